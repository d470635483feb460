package memstore

import (
	"bytes"
	"encoding/binary"
)

// A copy-on-write B-tree of items ordered by key, after google/btree.
//
// Every node records the owner (a *owner token) that may modify it in place.
// clone gives the original and the copy fresh owners, so neither modifies
// the nodes they share: the first write to a shared node copies it. A frozen
// tree (one nobody writes to again) can therefore be read from any number
// of goroutines while its clone is being changed.
//
// A node is one allocation with fixed-size arrays, so copying it is one
// allocation and a search touches few cache lines: it compares the first 8
// bytes of the keys, held as big-endian integers in their own array, and
// reads a key's bytes only when the prefixes tie.

const (
	maxItems = 31
	minItems = maxItems / 2 // a node with at most minItems can take a merge
)

// entry is a key and its value, held in one allocation.
type entry struct {
	kv   []byte // the key, then the value; len(kv) == cap(kv)
	klen int32
	del  bool // a tombstone, in a transaction's pending writes
}

func (e *entry) key() []byte { return e.kv[:e.klen:e.klen] }
func (e *entry) val() []byte { return e.kv[e.klen:] }

// item is an entry with the prefix of its key, as runs of writes hold them.
type item struct {
	pfx uint64 // prefix(key)
	entry
}

// newItem copies key and value into one allocation.
func newItem(key, value []byte, del bool) item {
	b := make([]byte, len(key)+len(value))
	copy(b, key)
	copy(b[len(key):], value)
	return item{prefix(key), entry{kv: b, klen: int32(len(key)), del: del}}
}

// prefix returns the first 8 bytes of k as a big-endian integer, padded with
// zeros. prefix(a) < prefix(b) implies a < b, so only equal prefixes need
// bytes.Compare.
func prefix(k []byte) uint64 {
	if len(k) >= 8 {
		return binary.BigEndian.Uint64(k)
	}
	var b [8]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:])
}

// compareItems orders items by key.
func compareItems(a, b *item) int {
	switch {
	case a.pfx < b.pfx:
		return -1
	case a.pfx > b.pfx:
		return 1
	}
	return bytes.Compare(a.key(), b.key())
}

type owner struct{ _ byte }

// node holds n items; an inner node also holds n+1 children, a leaf none.
type node struct {
	n     int
	pfx   [maxItems]uint64
	kids  [maxItems + 1]*node // next to pfx: a search reads both
	ents  [maxItems]entry
	owner *owner
}

type btree struct {
	root   *node
	length int
	owner  *owner
}

func newBtree() *btree { return &btree{owner: new(owner)} }

// clone returns a copy of t that shares its nodes; both copy a shared node
// before changing it. O(1).
func (t *btree) clone() *btree {
	c := *t
	t.owner, c.owner = new(owner), new(owner)
	return &c
}

func (n *node) leaf() bool { return n.kids[0] == nil }

func (n *node) item(i int) item { return item{n.pfx[i], n.ents[i]} }

func (n *node) setItem(i int, it item) { n.pfx[i], n.ents[i] = it.pfx, it.entry }

// insertItem inserts it at i.
func (n *node) insertItem(i int, it item) {
	copy(n.pfx[i+1:n.n+1], n.pfx[i:n.n])
	copy(n.ents[i+1:n.n+1], n.ents[i:n.n])
	n.setItem(i, it)
	n.n++
}

// removeItem removes and returns item i.
func (n *node) removeItem(i int) item {
	it := n.item(i)
	copy(n.pfx[i:n.n-1], n.pfx[i+1:n.n])
	copy(n.ents[i:n.n-1], n.ents[i+1:n.n])
	n.n--
	n.ents[n.n] = entry{}
	return it
}

// insertKid inserts c at i among the first count children.
func (n *node) insertKid(i, count int, c *node) {
	copy(n.kids[i+1:count+1], n.kids[i:count])
	n.kids[i] = c
}

// removeKid removes and returns child i of the first count.
func (n *node) removeKid(i, count int) *node {
	c := n.kids[i]
	copy(n.kids[i:count-1], n.kids[i+1:count])
	n.kids[count-1] = nil
	return c
}

// mutableFor returns n if o owns it, else a copy owned by o.
func (n *node) mutableFor(o *owner) *node {
	if n.owner == o {
		return n
	}
	c := new(node)
	*c = *n
	c.owner = o
	return c
}

func (n *node) mutableChild(i int) *node {
	c := n.kids[i].mutableFor(n.owner)
	n.kids[i] = c
	return c
}

// find returns the index of the first item with key >= k (whose prefix is
// kp) and whether it is equal to k.
func (n *node) find(k []byte, kp uint64) (int, bool) {
	lo, hi := 0, n.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p := n.pfx[m]; p < kp || p == kp && bytes.Compare(n.ents[m].key(), k) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < n.n && n.pfx[lo] == kp && bytes.Equal(n.ents[lo].key(), k)
}

func (t *btree) get(k []byte) (*entry, bool) {
	kp := prefix(k)
	for n := t.root; n != nil; {
		i, found := n.find(k, kp)
		if found {
			return &n.ents[i], true
		}
		n = n.kids[i] // nil in a leaf
	}
	return nil, false
}

// set inserts it or replaces the item with the same key.
func (t *btree) set(it item) {
	if t.root == nil {
		t.root = &node{owner: t.owner}
		t.root.insertItem(0, it)
		t.length++
		return
	}
	t.root = t.root.mutableFor(t.owner)
	if t.root.n >= maxItems {
		mid, second := t.root.split(maxItems / 2)
		old := t.root
		t.root = &node{owner: t.owner}
		t.root.insertItem(0, mid)
		t.root.kids[0], t.root.kids[1] = old, second
	}
	if !t.root.insert(it) {
		t.length++
	}
}

// split moves the items after i (and their children) to a new node and
// returns item i and that node.
func (n *node) split(i int) (item, *node) {
	it := n.item(i)
	next := &node{owner: n.owner, n: n.n - i - 1}
	copy(next.pfx[:], n.pfx[i+1:n.n])
	copy(next.ents[:], n.ents[i+1:n.n])
	clear(n.ents[i:n.n])
	if !n.leaf() {
		copy(next.kids[:], n.kids[i+1:n.n+1])
		clear(n.kids[i+1 : n.n+1])
	}
	n.n = i
	return it, next
}

func (n *node) maybeSplitChild(i int) bool {
	if n.kids[i].n < maxItems {
		return false
	}
	first := n.mutableChild(i)
	mid, second := first.split(maxItems / 2)
	n.insertKid(i+1, n.n+1, second)
	n.insertItem(i, mid)
	return true
}

// insert reports whether it replaced an existing item.
func (n *node) insert(it item) bool {
	for {
		i, found := n.find(it.key(), it.pfx)
		if found {
			n.ents[i] = it.entry
			return true
		}
		if n.leaf() {
			n.insertItem(i, it)
			return false
		}
		if n.maybeSplitChild(i) {
			mid := n.item(i)
			switch c := compareItems(&it, &mid); {
			case c > 0:
				i++
			case c == 0:
				n.ents[i] = it.entry
				return true
			}
		}
		n = n.mutableChild(i)
	}
}

// delete removes the item with key k, if any.
func (t *btree) delete(k []byte) {
	if t.root == nil {
		return
	}
	t.root = t.root.mutableFor(t.owner)
	_, ok := t.root.remove(k, prefix(k), false)
	if t.root.n == 0 {
		t.root = t.root.kids[0] // nil for a leaf
	}
	if ok {
		t.length--
	}
}

// remove removes the item with key k, or the largest item when max is set.
func (n *node) remove(k []byte, kp uint64, max bool) (item, bool) {
	for {
		var i int
		var found bool
		if max {
			if n.leaf() {
				return n.removeItem(n.n - 1), true
			}
			i = n.n
		} else {
			i, found = n.find(k, kp)
			if n.leaf() {
				if !found {
					return item{}, false
				}
				return n.removeItem(i), true
			}
		}
		if n.kids[i].n <= minItems {
			n.growChild(i)
			continue
		}
		child := n.mutableChild(i)
		if found {
			out := n.item(i)
			last, _ := child.remove(nil, 0, true)
			n.setItem(i, last)
			return out, true
		}
		n = child
	}
}

// growChild gives child i more than minItems items, by stealing from a
// sibling or merging with one.
func (n *node) growChild(i int) {
	switch {
	case i > 0 && n.kids[i-1].n > minItems:
		child, left := n.mutableChild(i), n.mutableChild(i-1)
		if !left.leaf() {
			child.insertKid(0, child.n+1, left.removeKid(left.n, left.n+1))
		}
		stolen := left.removeItem(left.n - 1)
		child.insertItem(0, n.item(i-1))
		n.setItem(i-1, stolen)
	case i < n.n && n.kids[i+1].n > minItems:
		child, right := n.mutableChild(i), n.mutableChild(i+1)
		if !right.leaf() {
			child.kids[child.n+1] = right.removeKid(0, right.n+1)
		}
		stolen := right.removeItem(0)
		child.setItem(child.n, n.item(i))
		child.n++
		n.setItem(i, stolen)
	default:
		if i >= n.n {
			i--
		}
		child := n.mutableChild(i)
		right := n.removeKid(i+1, n.n+1)
		mid := n.removeItem(i)
		child.setItem(child.n, mid)
		copy(child.pfx[child.n+1:], right.pfx[:right.n])
		copy(child.ents[child.n+1:], right.ents[:right.n])
		if !right.leaf() {
			copy(child.kids[child.n+1:], right.kids[:right.n+1])
		}
		child.n += 1 + right.n
	}
}

// Bulk building. Fill factors of the nodes build makes: leaves get at most
// buildLeaf items and inner nodes at most buildFan children, leaving room
// for some inserts before the first splits.
const (
	buildLeaf = maxItems - maxItems/4
	buildFan  = maxItems + 1 - (maxItems+1)/4
)

// build returns a tree owned by o holding items, which must be sorted by key
// without duplicates or tombstones.
func build(items []item, o *owner) *node {
	n := len(items)
	if n == 0 {
		return nil
	}
	// Leaves and the separators between them: k leaves hold n-(k-1) items.
	k := (n + buildLeaf) / (buildLeaf + 1)
	nodes := make([]*node, k)
	seps := make([]item, 0, k-1)
	pos := 0
	for j := range k {
		cnt := (n - pos - (k - j - 1)) / (k - j)
		leaf := &node{owner: o, n: cnt}
		for x := range cnt {
			leaf.setItem(x, items[pos+x])
		}
		nodes[j] = leaf
		pos += cnt
		if j < k-1 {
			seps = append(seps, items[pos])
			pos++
		}
	}
	// Inner levels: parent j takes children [a, b), the separators between
	// them, and hands separator b-1 up.
	for len(nodes) > 1 {
		k := len(nodes)
		m := (k + buildFan - 1) / buildFan
		parents := make([]*node, m)
		up := make([]item, 0, m-1)
		pos := 0
		for j := range m {
			cnt := (k - pos) / (m - j)
			p := &node{owner: o, n: cnt - 1}
			for x := range cnt - 1 {
				p.setItem(x, seps[pos+x])
			}
			copy(p.kids[:], nodes[pos:pos+cnt])
			parents[j] = p
			pos += cnt
			if j < m-1 {
				up = append(up, seps[pos-1])
			}
		}
		nodes, seps = parents, up
	}
	return nodes[0]
}

// cursor walks a frozen tree in either direction. In stack, the last frame
// holds the current item's index; the others hold the index of the child
// that the frame above descends into.
type cursor struct {
	stack []frame
}

type frame struct {
	n *node
	i int
}

func (c *cursor) valid() bool { return len(c.stack) > 0 }

func (c *cursor) item() *entry {
	f := &c.stack[len(c.stack)-1]
	return &f.n.ents[f.i]
}

// full returns the current item with its prefix.
func (c *cursor) full() item {
	f := &c.stack[len(c.stack)-1]
	return f.n.item(f.i)
}

// seekGE positions c at the first item with key >= k (the first item if k
// is nil).
func (c *cursor) seekGE(root *node, k []byte) {
	c.stack = c.stack[:0]
	kp := prefix(k)
	for n := root; n != nil; {
		i, found := n.find(k, kp)
		c.stack = append(c.stack, frame{n, i})
		if found {
			return
		}
		if n.leaf() {
			if i == n.n {
				c.up(true)
			}
			return
		}
		n = n.kids[i]
	}
}

// seekLT positions c at the last item with key < k (the last item if k is
// nil).
func (c *cursor) seekLT(root *node, k []byte) {
	c.stack = c.stack[:0]
	kp := prefix(k)
	for n := root; n != nil; {
		i := n.n
		if k != nil {
			i, _ = n.find(k, kp)
		}
		if n.leaf() {
			c.stack = append(c.stack, frame{n, i - 1})
			if i == 0 {
				c.up(false)
			}
			return
		}
		c.stack = append(c.stack, frame{n, i})
		n = n.kids[i]
	}
}

// up pops the exhausted top frame and the frames above it until one has an
// item next in the direction of travel.
func (c *cursor) up(forward bool) {
	for {
		c.stack = c.stack[:len(c.stack)-1]
		if len(c.stack) == 0 {
			return
		}
		f := &c.stack[len(c.stack)-1]
		if forward && f.i < f.n.n {
			return
		}
		if !forward && f.i > 0 {
			f.i--
			return
		}
	}
}

func (c *cursor) next() {
	f := &c.stack[len(c.stack)-1]
	if !f.n.leaf() {
		f.i++
		for n := f.n.kids[f.i]; n != nil; n = n.kids[0] {
			c.stack = append(c.stack, frame{n, 0})
		}
		return
	}
	if f.i++; f.i == f.n.n {
		c.up(true)
	}
}

func (c *cursor) prev() {
	f := &c.stack[len(c.stack)-1]
	if !f.n.leaf() {
		for n := f.n.kids[f.i]; n != nil; n = n.kids[n.n] {
			if n.leaf() {
				c.stack = append(c.stack, frame{n, n.n - 1})
				break
			}
			c.stack = append(c.stack, frame{n, n.n})
		}
		return
	}
	if f.i == 0 {
		c.up(false)
		return
	}
	f.i--
}

// rebuildRatio: merge rebuilds the tree when the run has at least
// 1/rebuildRatio as many writes as the tree has items. Rebuilding allocates
// every node again, so (measured on batch loads) it pays only for runs
// about as large as the tree.
const rebuildRatio = 1

// merge applies run, a sorted list of writes with one per key, to t.
func (t *btree) merge(run []item) {
	if len(run)*rebuildRatio < t.length {
		for i := range run {
			if run[i].del {
				t.delete(run[i].key())
			} else {
				t.set(run[i])
			}
		}
		return
	}
	all := make([]item, 0, t.length+len(run))
	var c cursor
	c.seekGE(t.root, nil)
	for i := range run {
		w := &run[i]
		for ; c.valid(); c.next() {
			cur := c.full()
			if d := compareItems(&cur, w); d >= 0 {
				if d == 0 {
					c.next()
				}
				break
			}
			all = append(all, cur)
		}
		if !w.del {
			all = append(all, *w)
		}
	}
	for ; c.valid(); c.next() {
		all = append(all, c.full())
	}
	t.root, t.length = build(all, t.owner), len(all)
}
