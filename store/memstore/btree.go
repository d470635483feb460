package memstore

import "bytes"

// A copy-on-write B-tree of items ordered by key, after google/btree.
//
// Every node records the owner (a *owner token) that may modify it in place.
// clone gives the original and the copy fresh owners, so neither modifies
// the nodes they share: the first write to a shared node copies it. A frozen
// tree (one nobody writes to again) can therefore be read from any number
// of goroutines while its clone is being changed.

const (
	degree   = 32
	maxItems = 2*degree - 1
	minItems = degree - 1
)

type item struct {
	key, val []byte
	del      bool // a tombstone, in a transaction's pending writes
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

func (t *btree) newNode() *node {
	return &node{owner: t.owner, items: make([]item, 0, maxItems)}
}

func (n *node) mutableFor(o *owner) *node {
	if n.owner == o {
		return n
	}
	c := &node{owner: o, items: make([]item, len(n.items), maxItems)}
	copy(c.items, n.items)
	if len(n.children) > 0 {
		c.children = make([]*node, len(n.children), maxItems+1)
		copy(c.children, n.children)
	}
	return c
}

func (n *node) mutableChild(i int) *node {
	c := n.children[i].mutableFor(n.owner)
	n.children[i] = c
	return c
}

// find returns the index of the first item with key >= k and whether it is
// equal to k.
func (n *node) find(k []byte) (int, bool) {
	lo, hi := 0, len(n.items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(n.items[m].key, k) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(n.items) && bytes.Equal(n.items[lo].key, k)
}

func (t *btree) get(k []byte) (item, bool) {
	for n := t.root; n != nil; {
		i, found := n.find(k)
		if found {
			return n.items[i], true
		}
		if len(n.children) == 0 {
			break
		}
		n = n.children[i]
	}
	return item{}, false
}

// set inserts it or replaces the item with the same key.
func (t *btree) set(it item) {
	if t.root == nil {
		t.root = t.newNode()
		t.root.items = append(t.root.items, it)
		t.length++
		return
	}
	t.root = t.root.mutableFor(t.owner)
	if len(t.root.items) >= maxItems {
		mid, second := t.root.split(maxItems / 2)
		old := t.root
		t.root = t.newNode()
		t.root.items = append(t.root.items, mid)
		t.root.children = append(make([]*node, 0, maxItems+1), old, second)
	}
	if !t.root.insert(it) {
		t.length++
	}
}

// split moves the items after i (and their children) to a new node and
// returns item i and that node.
func (n *node) split(i int) (item, *node) {
	it := n.items[i]
	next := &node{owner: n.owner, items: make([]item, 0, maxItems)}
	next.items = append(next.items, n.items[i+1:]...)
	clear(n.items[i:])
	n.items = n.items[:i]
	if len(n.children) > 0 {
		next.children = make([]*node, 0, maxItems+1)
		next.children = append(next.children, n.children[i+1:]...)
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
	i, found := n.find(it.key)
	if found {
		n.items[i] = it
		return true
	}
	if len(n.children) == 0 {
		n.items = insertAt(n.items, i, it)
		return false
	}
	if n.maybeSplitChild(i) {
		switch c := bytes.Compare(it.key, n.items[i].key); {
		case c > 0:
			i++
		case c == 0:
			n.items[i] = it
			return true
		}
	}
	return n.mutableChild(i).insert(it)
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
	_, ok := t.root.remove(k, false)
	if len(t.root.items) == 0 && len(t.root.children) > 0 {
		t.root = t.root.children[0]
	}
	if ok {
		t.length--
	}
}

// remove removes the item with key k, or the largest item when max is set.
func (n *node) remove(k []byte, max bool) (item, bool) {
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
		i, found = n.find(k)
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
		return n.remove(k, max)
	}
	child := n.mutableChild(i)
	if found {
		out := n.items[i]
		n.items[i], _ = child.remove(nil, true)
		return out, true
	}
	return child.remove(k, max)
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
	for n := root; n != nil; {
		i, found := n.find(k)
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
	for n := root; n != nil; {
		i := len(n.items)
		if k != nil {
			i, _ = n.find(k)
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
