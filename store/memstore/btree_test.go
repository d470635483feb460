package memstore

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func treeKeys(root *node, reverse bool, from []byte) []string {
	var c cursor
	var out []string
	if reverse {
		for c.seekLT(root, from); c.valid(); c.prev() {
			out = append(out, string(c.item().key()))
		}
	} else {
		for c.seekGE(root, from); c.valid(); c.next() {
			out = append(out, string(c.item().key()))
		}
	}
	return out
}

func modelKeys(m map[string]bool, reverse bool, from []byte) []string {
	var out []string
	for k := range m {
		if from == nil || (!reverse && k >= string(from)) || (reverse && k < string(from)) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	if reverse {
		slices.Reverse(out)
	}
	return out
}

// TestBtreeModel checks the tree and its cursors against a map, and that a
// frozen clone does not change while the original is written.
func TestBtreeModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tr := newBtree()
	model := map[string]bool{}
	var frozen *btree
	var frozenModel map[string]bool
	for step := range 40000 {
		k := []byte(fmt.Sprintf("%05d", r.IntN(3000)))
		if r.IntN(3) == 0 {
			tr.delete(k)
			delete(model, string(k))
		} else {
			tr.set(newItem(k, nil, false))
			model[string(k)] = true
		}
		if tr.length != len(model) {
			t.Fatalf("step %d: length %d, want %d", step, tr.length, len(model))
		}
		if step%4000 == 0 {
			if frozen != nil {
				if diff := cmp.Diff(modelKeys(frozenModel, false, nil), treeKeys(frozen.root, false, nil)); diff != "" {
					t.Fatalf("step %d: frozen clone changed (-want +got):\n%s", step, diff)
				}
			}
			frozen, frozenModel = tr.clone(), maps.Clone(model)
			for _, rev := range []bool{false, true} {
				for _, from := range [][]byte{nil, []byte("01000"), []byte("0150"), []byte("99999"), []byte("0")} {
					if diff := cmp.Diff(modelKeys(model, rev, from), treeKeys(tr.root, rev, from)); diff != "" {
						t.Fatalf("step %d reverse=%v from=%s (-want +got):\n%s", step, rev, from, diff)
					}
				}
			}
		}
		if _, ok := tr.get(k); ok != model[string(k)] {
			t.Fatalf("step %d: get(%s) = %v", step, k, ok)
		}
	}
	for k := range model {
		tr.delete([]byte(k))
	}
	if tr.length != 0 || len(treeKeys(tr.root, false, nil)) != 0 || len(treeKeys(tr.root, true, nil)) != 0 {
		t.Fatalf("tree not empty after deleting everything")
	}
}
