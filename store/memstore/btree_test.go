package memstore

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/unifycdp/unify/store"
)

func treeKeys(tr *btree, reverse bool, from []byte) []string {
	var c cursor
	var out []string
	if reverse {
		for c.seekLT(tr, from); c.valid(); c.prev() {
			out = append(out, string(c.key()))
		}
	} else {
		for c.seekGE(tr, from); c.valid(); c.next() {
			out = append(out, string(c.key()))
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
		if step%2 == 1 { // keys that tie on their first 8 or 16 bytes
			k = []byte(fmt.Sprintf("namespace:%0*d", r.IntN(10), r.IntN(3000)))
		}
		if r.IntN(3) == 0 {
			tr.delete(k)
			delete(model, string(k))
		} else {
			tr.set(tr.mem.item(k, k[:step%3], false))
			model[string(k)] = true
		}
		if tr.length != len(model) {
			t.Fatalf("step %d: length %d, want %d", step, tr.length, len(model))
		}
		if step%4000 == 0 {
			if frozen != nil {
				if diff := cmp.Diff(modelKeys(frozenModel, false, nil), treeKeys(frozen, false, nil)); diff != "" {
					t.Fatalf("step %d: frozen clone changed (-want +got):\n%s", step, diff)
				}
			}
			frozen, frozenModel = tr.clone(), maps.Clone(model)
			for _, rev := range []bool{false, true} {
				for _, from := range [][]byte{nil, []byte("01000"), []byte("0150"), []byte("99999"), []byte("0")} {
					if diff := cmp.Diff(modelKeys(model, rev, from), treeKeys(tr, rev, from)); diff != "" {
						t.Fatalf("step %d reverse=%v from=%s (-want +got):\n%s", step, rev, from, diff)
					}
				}
			}
		}
		if _, ok := tr.get(k); ok != model[string(k)] {
			t.Fatalf("step %d: get(%s) = %v", step, k, ok)
		}
		if step%1000 == 0 {
			checkTree(t, tr)
		}
	}
	for k := range model {
		tr.delete([]byte(k))
	}
	if tr.length != 0 || len(treeKeys(tr, false, nil)) != 0 || len(treeKeys(tr, true, nil)) != 0 {
		t.Fatalf("tree not empty after deleting everything")
	}
}

// checkTree checks that every leaf of t is at the same depth, that no node
// holds more than maxItems items, and that the keys ascend.
func checkTree(t *testing.T, tr *btree) {
	t.Helper()
	leafDepth := -1
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		if n.n < 1 || n.n > maxItems {
			t.Fatalf("node with %d items", n.n)
		}
		if n.leaf() {
			if leafDepth >= 0 && depth != leafDepth {
				t.Fatalf("leaves at depths %d and %d", leafDepth, depth)
			}
			leafDepth = depth
			return
		}
		for i := 0; i <= n.n; i++ {
			walk(n.kids[i], depth+1)
		}
	}
	if tr.root != nil {
		walk(tr.root, 0)
	}
	keys := treeKeys(tr, false, nil)
	if !slices.IsSorted(keys) || len(keys) != tr.length {
		t.Fatalf("%d keys (length %d), sorted: %v", len(keys), tr.length, slices.IsSorted(keys))
	}
	live := 0
	var c cursor
	for c.seekGE(tr, nil); c.valid(); c.next() {
		live += c.item().size()
		if string(c.key()) != string(tr.mem.key(c.item())) || c.full().pfx != prefix(c.key()) || c.full().pfx2 != prefix2(c.key()) {
			t.Fatalf("item %q: bytes or prefix wrong", c.key())
		}
	}
	if live != tr.live || tr.garbage() < 0 {
		t.Fatalf("live bytes %d, tree says %d; garbage %d", live, tr.live, tr.garbage())
	}
}

// TestBtreeMerge applies runs of every size, with deletes, through both of
// merge's ways (inserting and rebuilding), against a map.
func TestBtreeMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tr := newBtree()
	model, vals := map[string]bool{}, map[string]string{}
	for step, size := range []int{1, 5000, 3, 200, 10, 2000, 1, 700, 40, 9000, 5, 100} {
		frozen, frozenModel := tr.clone(), maps.Clone(model)
		byKey := map[string]item{}
		var src arena
		if step%2 == 1 {
			src.add(make([]byte, adoptAt), nil, false) // makes merge adopt src
		}
		for range size {
			k := []byte(fmt.Sprintf("%05d", r.IntN(20000)))
			del := r.IntN(4) == 0
			byKey[string(k)] = src.item(k, fmt.Appendf(nil, "v%d", step), del)
		}
		run := slices.SortedFunc(maps.Values(byKey), func(a, b item) int { return compareItems(&src, &a, &src, &b) })
		for _, it := range run {
			if it.del() {
				delete(model, string(src.key(it.entry)))
			} else {
				model[string(src.key(it.entry))] = true
				vals[string(src.key(it.entry))] = string(src.val(it.entry))
			}
		}
		tr.merge(run, &src)
		checkTree(t, tr)
		if diff := cmp.Diff(modelKeys(model, false, nil), treeKeys(tr, false, nil)); diff != "" {
			t.Fatalf("step %d: (-want +got):\n%s", step, diff)
		}
		if diff := cmp.Diff(modelKeys(frozenModel, false, nil), treeKeys(frozen, false, nil)); diff != "" {
			t.Fatalf("step %d: frozen clone changed (-want +got):\n%s", step, diff)
		}
		for k := range model {
			if e, ok := tr.get([]byte(k)); !ok || string(tr.mem.val(e)) != vals[k] {
				t.Fatalf("step %d: get(%s) = %v, %q, want %q", step, k, ok, tr.mem.val(e), vals[k])
			}
		}
	}
}

// TestSortWrites checks the radix sort against a stable comparison sort, on
// keys that share long prefixes, are prefixes of one another and repeat.
func TestSortWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 50, 65, 1000, 20000} {
		var mem arena
		var p []item
		var keys [][]byte
		for i := range n {
			k := []byte("g\x00ident\x00email\x00user")[:r.IntN(18)+1]
			for range r.IntN(4) {
				k = append(k, "ab\x00\xff"[r.IntN(4)])
			}
			p = append(p, mem.item(k, fmt.Appendf(nil, "%d", i), false))
			keys = append(keys, k)
		}
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
		var want []string
		for _, i := range order {
			want = append(want, fmt.Sprintf("%q %d", keys[i], i))
		}
		sortWrites(p, &mem)
		var got []string
		for _, it := range p {
			k := mem.key(it.entry)
			if it.pfx != prefix(k) || it.pfx2 != prefix2(k) {
				t.Fatalf("n=%d: pfx of %q not restored", n, k)
			}
			got = append(got, fmt.Sprintf("%q %s", k, mem.val(it.entry)))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("n=%d (-want +got):\n%s", n, diff)
		}
	}
}

// TestCompaction overwrites a few keys until their garbage outgrows them,
// and checks that a commit moved the live data to a new arena while a
// snapshot taken before still reads the old one.
func TestCompaction(t *testing.T) {
	ctx := context.Background()
	s := New()
	defer s.Close()
	val := func(round, k int) []byte { return bytes.Repeat([]byte{byte(round), byte(k)}, 5000) }
	var held store.Tx
	release := make(chan struct{})
	viewing := make(chan struct{})
	const rounds, keys = 100, 10
	for round := range rounds {
		err := s.Update(ctx, func(tx store.Tx) error {
			for k := range keys {
				if err := tx.Set(fmt.Appendf(nil, "key%d", k), val(round, k)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			go s.View(ctx, func(tx store.Tx) error {
				held = tx
				close(viewing)
				<-release
				return nil
			})
			<-viewing
		}
	}
	tr := s.state.Load().tree
	if tr.garbage() > compactAt+tr.live {
		t.Errorf("garbage %d bytes with %d live: no compaction", tr.garbage(), tr.live)
	}
	for k := range keys {
		if v, err := held.Get(fmt.Appendf(nil, "key%d", k)); err != nil || !bytes.Equal(v, val(0, k)) {
			t.Errorf("held snapshot: key%d = %.4q, %v", k, v, err)
		}
	}
	close(release)
	err := s.View(ctx, func(tx store.Tx) error {
		for k := range keys {
			if v, err := tx.Get(fmt.Appendf(nil, "key%d", k)); err != nil || !bytes.Equal(v, val(rounds-1, k)) {
				t.Errorf("key%d = %.4q, %v", k, v, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
