package identity

import (
	"fmt"
	"strings"
	"testing"
)

// Interning across many types and several table growths, with values
// that differ only past 256 KiB and values equal across types: every
// identifier is found again with its own index and value.
func TestIdentTableGrowth(t *testing.T) {
	tab := newSetTable()
	long := strings.Repeat("v", 300<<10)
	var ids []ID
	for i := range 20000 {
		v := fmt.Sprint(i % 997)
		if i%1000 == 0 {
			v = long + fmt.Sprint(i)
		}
		ids = append(ids, ID{Type(fmt.Sprintf("type%d", i%300)), v})
	}
	idx := map[ID]int32{}
	for _, id := range ids {
		i, err := tab.ids.intern(id)
		if err != nil {
			t.Fatal(err)
		}
		if j, ok := idx[id]; ok && j != i {
			t.Fatalf("%v interned as %d and %d", id, j, i)
		}
		idx[id] = i
	}
	if len(tab.ids.ents) != len(idx) {
		t.Fatalf("%d entries for %d identifiers", len(tab.ids.ents), len(idx))
	}
	for id, i := range idx {
		if j, ok := tab.ids.find(id); !ok || j != i || tab.ids.id(i) != id {
			t.Fatalf("find(%v) = %d, %v; want %d", id.Type, j, ok, i)
		}
	}
	if _, ok := tab.ids.find(ID{"type1", long + "1"}); ok {
		t.Error("found a long value never added")
	}
}
