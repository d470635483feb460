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
// Items are small (40 bytes) and carry the first 8 bytes of their key as a
// big-endian integer, so a search compares integers in the node and reads a
// key's bytes only when the prefixes tie.

const (
	degree   = 16
	maxItems = 2*degree - 1
	minItems = degree - 1
)

// item is a key and its value, held in one allocation.
type item struct {
	pfx  uint64 // prefix(key)
	kv   []byte // the key, then the value; len(kv) == cap(kv)
	klen int32
	del  bool // a tombstone, in a transaction's pending writes
}

func (it *item) key() []byte { return it.kv[:it.klen:it.klen] }
func (it *item) val() []byte { return it.kv[it.klen:] }

// newItem copies key and value into one allocation.
func newItem(key, value []byte, del bool) item {
	b := make([]byte, len(key)+len(value))
	copy(b, key)
	copy(b[len(key):], value)
	return item{pfx: prefix(key), kv: b, klen: int32(len(key)), del: del}
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

// less reports whether it's key is less than k (with prefix kp).
func (it *item) less(k []byte, kp uint64) bool {
	return it.pfx < kp || it.pfx == kp && bytes.Compare(it.key(), k) < 0
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

type node struct {
	items    []item
	children []*node
	owner    *owner
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

// mutableFor returns n if o owns it, else a copy owned by o with room for
// one more item (and child).
func (n *node) mutableFor(o *owner) *node {
	if n.owner == o {
		return n
	}
	c := &node{owner: o, items: make([]item, len(n.items), len(n.items)+1)}
	copy(c.items, n.items)
	if len(n.children) > 0 {
		c.children = make([]*node, len(n.children), len(n.children)+1)
		copy(c.children, n.children)
	}
	return c
}

func (n *node) mutableChild(i int) *node {
	c := n.children[i].mutableFor(n.owner)
	n.children[i] = c
	return c
}

// find returns the index of the first item with key >= k (whose prefix is
// kp) and whether it is equal to k.
func (n *node) find(k []byte, kp uint64) (int, bool) {
	items := n.items
	lo, hi := 0, len(items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if items[m].less(k, kp) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(items) && items[lo].pfx == kp && bytes.Equal(items[lo].key(), k)
}

func (t *btree) get(k []byte) (*item, bool) {
	kp := prefix(k)
	for n := t.root; n != nil; {
		i, found := n.find(k, kp)
		if found {
			return &n.items[i], true
		}
		if len(n.children) == 0 {
			break
		}
		n = n.children[i]
	}
	return nil, false
}

// set inserts it or replaces the item with the same key.
func (t *btree) set(it item) {
	if t.root == nil {
		t.root = &node{owner: t.owner, items: make([]item, 1, 4)}
		t.root.items[0] = it
		t.length++
		return
	}
	t.root = t.root.mutableFor(t.owner)
	if len(t.root.items) >= maxItems {
		mid, second := t.root.split(maxItems / 2)
		old := t.root
		t.root = &node{owner: t.owner, items: make([]item, 1, 4), children: make([]*node, 2, 5)}
		t.root.items[0] = mid
		t.root.children[0], t.root.children[1] = old, second
	}
	if !t.root.insert(it) {
		t.length++
	}
}

// split moves the items after i (and their children) to a new node and
// returns item i and that node.
func (n *node) split(i int) (item, *node) {
	it := n.items[i]
	next := &node{owner: n.owner, items: make([]item, len(n.items)-i-1, maxItems)}
	copy(next.items, n.items[i+1:])
	clear(n.items[i:])
	n.items = n.items[:i]
	if len(n.children) > 0 {
		next.children = make([]*node, len(n.children)-i-1, maxItems+1)
		copy(next.children, n.children[i+1:])
		clear(n.children[i+1:])
		n.children = n.children[:i+1]
	}
	return it, next
}

func (n *node) maybeSplitChild(i int) bool {
	if len(n.children[i].items) < maxItems {
		return false
	}
	first := n.mutableChild(i)
	mid, second := first.split(maxItems / 2)
	n.items = insertAt(n.items, i, mid)
	n.children = insertAt(n.children, i+1, second)
	return true
}

// insert reports whether it replaced an existing item.
func (n *node) insert(it item) bool {
	for {
		i, found := n.find(it.key(), it.pfx)
		if found {
			n.items[i] = it
			return true
		}
		if len(n.children) == 0 {
			n.items = insertAt(n.items, i, it)
			return false
		}
		if n.maybeSplitChild(i) {
			switch c := compareItems(&it, &n.items[i]); {
			case c > 0:
				i++
			case c == 0:
				n.items[i] = it
				return true
			}
		}
		n = n.mutableChild(i)
	}
}

func insertAt[T any](s []T, i int, v T) []T {
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

func removeAt[T any](s []T, i int) ([]T, T) {
	v := s[i]
	copy(s[i:], s[i+1:])
	var zero T
	s[len(s)-1] = zero
	return s[:len(s)-1], v
}

// delete removes the item with key k, if any.
func (t *btree) delete(k []byte) {
	if t.root == nil || len(t.root.items) == 0 {
		return
	}
	t.root = t.root.mutableFor(t.owner)
	_, ok := t.root.remove(k, prefix(k), false)
	if len(t.root.items) == 0 {
		if len(t.root.children) > 0 {
			t.root = t.root.children[0]
		} else {
			t.root = nil
		}
	}
	if ok {
		t.length--
	}
}

// remove removes the item with key k, or the largest item when max is set.
func (n *node) remove(k []byte, kp uint64, max bool) (item, bool) {
	var i int
	var found bool
	if max {
		if len(n.children) == 0 {
			var it item
			n.items, it = removeAt(n.items, len(n.items)-1)
			return it, true
		}
		i = len(n.items)
	} else {
		i, found = n.find(k, kp)
		if len(n.children) == 0 {
			if !found {
				return item{}, false
			}
			var it item
			n.items, it = removeAt(n.items, i)
			return it, true
		}
	}
	if len(n.children[i].items) <= minItems {
		n.growChild(i)
		return n.remove(k, kp, max)
	}
	child := n.mutableChild(i)
	if found {
		out := n.items[i]
		n.items[i], _ = child.remove(nil, 0, true)
		return out, true
	}
	return child.remove(k, kp, max)
}

// growChild gives child i more than minItems items, by stealing from a
// sibling or merging with one.
func (n *node) growChild(i int) {
	switch {
	case i > 0 && len(n.children[i-1].items) > minItems:
		child, left := n.mutableChild(i), n.mutableChild(i-1)
		var stolen item
		left.items, stolen = removeAt(left.items, len(left.items)-1)
		child.items = insertAt(child.items, 0, n.items[i-1])
		n.items[i-1] = stolen
		if len(left.children) > 0 {
			var c *node
			left.children, c = removeAt(left.children, len(left.children)-1)
			child.children = insertAt(child.children, 0, c)
		}
	case i < len(n.items) && len(n.children[i+1].items) > minItems:
		child, right := n.mutableChild(i), n.mutableChild(i+1)
		var stolen item
		right.items, stolen = removeAt(right.items, 0)
		child.items = append(child.items, n.items[i])
		n.items[i] = stolen
		if len(right.children) > 0 {
			var c *node
			right.children, c = removeAt(right.children, 0)
			child.children = append(child.children, c)
		}
	default:
		if i >= len(n.items) {
			i--
		}
		child := n.mutableChild(i)
		var mid item
		var right *node
		n.items, mid = removeAt(n.items, i)
		n.children, right = removeAt(n.children, i+1)
		child.items = append(child.items, mid)
		child.items = append(child.items, right.items...)
		child.children = append(child.children, right.children...)
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
// without duplicates or tombstones. The leaves are parts of items if keep is
// set (the caller then gives items up), else of a copy.
func build(items []item, o *owner, keep bool) *node {
	n := len(items)
	if n == 0 {
		return nil
	}
	// Leaves and the separators between them: k leaves hold n-(k-1) items.
	k := (n + buildLeaf) / (buildLeaf + 1)
	var arena []item
	if !keep {
		arena = make([]item, n-(k-1))
	}
	nodes := make([]*node, k)
	seps := make([]item, 0, k-1)
	pos, at := 0, 0
	for j := range k {
		cnt := (n - pos - (k - j - 1)) / (k - j)
		var leaf []item
		if keep {
			leaf = items[pos : pos+cnt : pos+cnt]
		} else {
			leaf = arena[at : at+cnt : at+cnt]
			copy(leaf, items[pos:pos+cnt])
		}
		nodes[j] = &node{owner: o, items: leaf}
		pos, at = pos+cnt, at+cnt
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
		kids := make([]*node, k)
		copy(kids, nodes)
		arena := make([]item, len(seps)-(m-1))
		pos, at := 0, 0
		for j := range m {
			cnt := (k - pos) / (m - j)
			p := &node{owner: o, items: arena[at : at+cnt-1 : at+cnt-1], children: kids[pos : pos+cnt : pos+cnt]}
			copy(p.items, seps[pos:pos+cnt-1])
			parents[j] = p
			at += cnt - 1
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

func (c *cursor) item() *item {
	f := &c.stack[len(c.stack)-1]
	return &f.n.items[f.i]
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
		if len(n.children) == 0 {
			if i == len(n.items) {
				c.up(true)
			}
			return
		}
		n = n.children[i]
	}
}

// seekLT positions c at the last item with key < k (the last item if k is
// nil).
func (c *cursor) seekLT(root *node, k []byte) {
	c.stack = c.stack[:0]
	kp := prefix(k)
	for n := root; n != nil; {
		i := len(n.items)
		if k != nil {
			i, _ = n.find(k, kp)
		}
		if len(n.children) == 0 {
			c.stack = append(c.stack, frame{n, i - 1})
			if i == 0 {
				c.up(false)
			}
			return
		}
		c.stack = append(c.stack, frame{n, i})
		n = n.children[i]
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
		if forward && f.i < len(f.n.items) {
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
	if len(f.n.children) > 0 {
		f.i++
		for n := f.n.children[f.i]; n != nil; {
			c.stack = append(c.stack, frame{n, 0})
			if len(n.children) == 0 {
				break
			}
			n = n.children[0]
		}
		return
	}
	if f.i++; f.i == len(f.n.items) {
		c.up(true)
	}
}

func (c *cursor) prev() {
	f := &c.stack[len(c.stack)-1]
	if len(f.n.children) > 0 {
		for n := f.n.children[f.i]; n != nil; {
			if len(n.children) == 0 {
				c.stack = append(c.stack, frame{n, len(n.items) - 1})
				break
			}
			c.stack = append(c.stack, frame{n, len(n.items)})
			n = n.children[len(n.items)]
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
// 1/rebuildRatio as many writes as the tree has items, as walking and
// rebuilding it then costs less than inserting one by one.
const rebuildRatio = 8

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
			if d := compareItems(c.item(), w); d >= 0 {
				if d == 0 {
					c.next()
				}
				break
			}
			all = append(all, *c.item())
		}
		if !w.del {
			all = append(all, *w)
		}
	}
	for ; c.valid(); c.next() {
		all = append(all, *c.item())
	}
	t.root, t.length = build(all, t.owner, true), len(all)
}
