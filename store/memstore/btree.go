package memstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/unifycdp/unify/store"
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
// allocation and a search touches few cache lines: it compares the first 16
// bytes of the keys, held as two big-endian integers in arrays of their
// own, and reads a key's bytes only when those tie.
//
// Keys and values live in the tree's arena, a list of large byte chunks, and
// an entry locates its bytes by chunk index and offset. Entries thus hold no
// pointers: the garbage collector sees a few chunks, never scans them, and
// skips the entry arrays of the nodes, instead of following one pointer per
// key to one allocation per key.

const (
	maxItems = 31
	minItems = maxItems / 2 // a node with at most minItems can take a merge
)

// entry locates a key and its value, stored together (key first) at off in
// chunk of an arena.
type entry struct {
	chunk, off uint32
	klen       uint32 // the key's length; delBit marks a tombstone
	vlen       uint32
}

// delBit in entry.klen marks a tombstone, in a transaction's pending writes
// and in runs of writes.
const delBit = 1 << 31

func (e entry) keyLen() int { return int(e.klen &^ delBit) }
func (e entry) del() bool   { return e.klen&delBit != 0 }
func (e entry) size() int   { return e.keyLen() + int(e.vlen) }

// item is an entry with the prefix of its key, as runs of writes hold them.
type item struct {
	pfx  uint64 // prefix(key)
	pfx2 uint64 // prefix2(key)
	entry
}

// Arena chunks grow from chunkMin to chunkMax bytes as the arena fills; an
// entry larger than chunkMax/4 gets a chunk of its own.
const (
	chunkMin = 256
	chunkMax = 1 << 20
)

// arena holds the bytes of entries. It only grows: an entry that is
// overwritten or deleted stays in its chunk as garbage until the arena is
// dropped, which Store.apply does (compacting the tree into a new arena)
// once garbage outweighs live data.
//
// Entries are laid out in the order they were added (chunk, then offset),
// which batches use to tell the later of two writes of a key.
//
// An arena value may be copied to hand the arena on (a commit's new tree
// continues its predecessor's); the copy must then be the only one that
// adds. Readers of the original stay safe: adding never changes an element
// of chunks, nor bytes already handed out.
type arena struct {
	chunks [][]byte // each at its full length
	used   int      // bytes used in the last chunk
	next   int      // the size of the next ordinary chunk
	total  int      // bytes of all entries added, live or not
}

func (a *arena) key(e entry) []byte {
	off, end := int(e.off), int(e.off)+e.keyLen()
	return a.chunks[e.chunk][off:end:end]
}

func (a *arena) val(e entry) []byte {
	off := int(e.off) + e.keyLen()
	end := off + int(e.vlen)
	return a.chunks[e.chunk][off:end:end]
}

// tooLarge reports whether an entry cannot be held: entries store the
// key's length in 31 bits and the value's in 32.
func tooLarge(key, value []byte) bool {
	return len(key) >= delBit || len(value) > math.MaxUint32
}

func errTooLarge(key, value []byte) error {
	return fmt.Errorf("%w: a key of %d bytes and a value of %d bytes exceed the memory store's limits (2 GiB, 4 GiB)", store.ErrTxnTooBig, len(key), len(value))
}

// add copies key and value into a and returns their entry. Writes check
// tooLarge before they get here.
func (a *arena) add(key, value []byte, del bool) entry {
	if tooLarge(key, value) {
		panic("memstore: key or value too large")
	}
	n := len(key) + len(value)
	switch last := len(a.chunks) - 1; {
	case n > chunkMax/4:
		// The next entry goes to a new chunk after this one, keeping the
		// order.
		a.chunks = append(a.chunks, make([]byte, n))
		a.used = 0
	case last < 0 || a.used+n > len(a.chunks[last]):
		a.next = min(max(2*a.next, chunkMin, n), chunkMax)
		a.chunks = append(a.chunks, make([]byte, a.next))
		a.used = 0
	}
	if len(a.chunks) > math.MaxUint32 {
		panic("memstore: arena too large")
	}
	buf := a.chunks[len(a.chunks)-1]
	e := entry{chunk: uint32(len(a.chunks) - 1), off: uint32(a.used), klen: uint32(len(key)), vlen: uint32(len(value))}
	if del {
		e.klen |= delBit
	}
	copy(buf[a.used:], key)
	copy(buf[a.used+len(key):], value)
	a.used += n
	a.total += n
	return e
}

// item copies key and value into a and returns their item.
func (a *arena) item(key, value []byte, del bool) item {
	return item{prefix(key), prefix2(key), a.add(key, value, del)}
}

// copyItem copies it, whose bytes are in src, into a.
func (a *arena) copyItem(src *arena, it item) item {
	e := a.add(src.key(it.entry), src.val(it.entry), it.del())
	return item{it.pfx, it.pfx2, e}
}

// adopt appends src's chunks to a, which takes over src: src must not add
// again. It returns what to add to the chunk index of src's entries.
// Entries are then laid out in order as long as src's all came later than
// a's, and a goes on filling src's last chunk.
func (a *arena) adopt(src *arena) uint32 {
	if len(a.chunks)+len(src.chunks) > math.MaxUint32 {
		panic("memstore: arena too large")
	}
	base := uint32(len(a.chunks))
	if n := len(a.chunks); n > 0 {
		a.total += len(a.chunks[n-1]) - a.used // abandoned: garbage
	}
	a.chunks = append(a.chunks, src.chunks...)
	a.used, a.next = src.used, max(a.next, src.next)
	a.total += src.total
	return base
}

// adoptAt is the least bytes a commit's arena must hold for the commit to
// adopt its chunks (see merge) rather than copy its writes: adopting small
// arenas would fill the tree's with small chunks.
const adoptAt = chunkMax

// sealed returns a copy of a that adds to chunks of its own, so that a and
// the copy may both go on adding.
func (a arena) sealed() arena {
	a.chunks = a.chunks[:len(a.chunks):len(a.chunks)]
	if n := len(a.chunks); n > 0 {
		a.used = len(a.chunks[n-1])
	}
	return a
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

// prefix2 returns the 8 bytes of k after those of prefix(k) likewise. Keys
// often share their first 8 bytes (a namespace, say), and comparing their
// bytes then costs a cache miss each; the next 8 usually tell them apart.
func prefix2(k []byte) uint64 {
	if len(k) <= 8 {
		return 0
	}
	return prefix(k[8:])
}

// compareItems orders x, whose bytes are in xa, and y, in ya, by key.
func compareItems(xa *arena, x *item, ya *arena, y *item) int {
	switch {
	case x.pfx < y.pfx:
		return -1
	case x.pfx > y.pfx:
		return 1
	case x.pfx2 < y.pfx2:
		return -1
	case x.pfx2 > y.pfx2:
		return 1
	}
	return bytes.Compare(xa.key(x.entry), ya.key(y.entry))
}

type owner struct{ _ byte }

// node holds n items; an inner node also holds n+1 children, a leaf none.
//
// The pointers come first, so that the garbage collector, which scans an
// object up to its last pointer, skips the rest.
type node struct {
	owner *owner
	kids  [maxItems + 1]*node // next to pfx: a search reads both
	pfx   [maxItems]uint64
	pfx2  [maxItems]uint64
	n     int
	ents  [maxItems]entry
}

type btree struct {
	root   *node
	length int
	live   int // bytes of the items' keys and values
	owner  *owner
	mem    arena // the items' bytes
}

func newBtree() *btree { return &btree{owner: new(owner)} }

// clone returns a copy of t that shares its nodes; both copy a shared node
// before changing it. O(1).
func (t *btree) clone() *btree {
	c := *t
	t.owner, c.owner = new(owner), new(owner)
	c.mem = t.mem.sealed()
	return &c
}

// garbage returns the bytes in t's arena that no item uses.
func (t *btree) garbage() int { return t.mem.total - t.live }

func (n *node) leaf() bool { return n.kids[0] == nil }

func (n *node) item(i int) item { return item{n.pfx[i], n.pfx2[i], n.ents[i]} }

func (n *node) setItem(i int, it item) {
	n.pfx[i], n.pfx2[i], n.ents[i] = it.pfx, it.pfx2, it.entry
}

// insertItem inserts it at i.
func (n *node) insertItem(i int, it item) {
	copy(n.pfx[i+1:n.n+1], n.pfx[i:n.n])
	copy(n.pfx2[i+1:n.n+1], n.pfx2[i:n.n])
	copy(n.ents[i+1:n.n+1], n.ents[i:n.n])
	n.setItem(i, it)
	n.n++
}

// removeItem removes and returns item i.
func (n *node) removeItem(i int) item {
	it := n.item(i)
	copy(n.pfx[i:n.n-1], n.pfx[i+1:n.n])
	copy(n.pfx2[i:n.n-1], n.pfx2[i+1:n.n])
	copy(n.ents[i:n.n-1], n.ents[i+1:n.n])
	n.n--
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

// find returns the index of the first item with key >= k (whose prefixes
// are kp and kp2) and whether it is equal to k; mem holds the items' bytes.
func (n *node) find(mem *arena, k []byte, kp, kp2 uint64) (int, bool) {
	lo, hi := 0, n.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p, p2 := n.pfx[m], n.pfx2[m]; p < kp || p == kp && (p2 < kp2 || p2 == kp2 && bytes.Compare(mem.key(n.ents[m]), k) < 0) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < n.n && n.pfx[lo] == kp && n.pfx2[lo] == kp2 && bytes.Equal(mem.key(n.ents[lo]), k)
}

func (t *btree) get(k []byte) (entry, bool) {
	kp, kp2 := prefix(k), prefix2(k)
	for n := t.root; n != nil; {
		i, found := n.find(&t.mem, k, kp, kp2)
		if found {
			return n.ents[i], true
		}
		n = n.kids[i] // nil in a leaf
	}
	return entry{}, false
}

// set inserts it, whose bytes are in t.mem, or replaces the item with the
// same key.
func (t *btree) set(it item) {
	t.live += it.size()
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
	if old, replaced := t.root.insert(&t.mem, it); replaced {
		t.live -= old.size()
	} else {
		t.length++
	}
}

// split moves the items after i (and their children) to a new node and
// returns item i and that node.
func (n *node) split(i int) (item, *node) {
	it := n.item(i)
	next := &node{owner: n.owner, n: n.n - i - 1}
	copy(next.pfx[:], n.pfx[i+1:n.n])
	copy(next.pfx2[:], n.pfx2[i+1:n.n])
	copy(next.ents[:], n.ents[i+1:n.n])
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

// insert inserts it or replaces the item with its key, which it returns.
func (n *node) insert(mem *arena, it item) (entry, bool) {
	k := mem.key(it.entry)
	for {
		i, found := n.find(mem, k, it.pfx, it.pfx2)
		if found {
			old := n.ents[i]
			n.ents[i] = it.entry
			return old, true
		}
		if n.leaf() {
			n.insertItem(i, it)
			return entry{}, false
		}
		if n.maybeSplitChild(i) {
			mid := n.item(i)
			switch c := compareItems(mem, &it, mem, &mid); {
			case c > 0:
				i++
			case c == 0:
				n.ents[i] = it.entry
				return mid.entry, true
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
	old, ok := t.root.remove(&t.mem, k, prefix(k), prefix2(k), false)
	if t.root.n == 0 {
		t.root = t.root.kids[0] // nil for a leaf
	}
	if ok {
		t.length--
		t.live -= old.size()
	}
}

// remove removes the item with key k, or the largest item when max is set.
func (n *node) remove(mem *arena, k []byte, kp, kp2 uint64, max bool) (item, bool) {
	for {
		var i int
		var found bool
		if max {
			if n.leaf() {
				return n.removeItem(n.n - 1), true
			}
			i = n.n
		} else {
			i, found = n.find(mem, k, kp, kp2)
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
			last, _ := child.remove(mem, nil, 0, 0, true)
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
		copy(child.pfx2[child.n+1:], right.pfx2[:right.n])
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
	mem   *arena // the tree's bytes
	stack []frame
}

type frame struct {
	n *node
	i int
}

func (c *cursor) valid() bool { return len(c.stack) > 0 }

func (c *cursor) item() entry {
	f := &c.stack[len(c.stack)-1]
	return f.n.ents[f.i]
}

func (c *cursor) key() []byte { return c.mem.key(c.item()) }

// full returns the current item with its prefix.
func (c *cursor) full() item {
	f := &c.stack[len(c.stack)-1]
	return f.n.item(f.i)
}

// seekGE positions c at the first item of t with key >= k (the first item
// if k is nil).
func (c *cursor) seekGE(t *btree, k []byte) {
	c.mem, c.stack = &t.mem, c.stack[:0]
	kp, kp2 := prefix(k), prefix2(k)
	for n := t.root; n != nil; {
		i, found := n.find(c.mem, k, kp, kp2)
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

// seekLT positions c at the last item of t with key < k (the last item if
// k is nil).
func (c *cursor) seekLT(t *btree, k []byte) {
	c.mem, c.stack = &t.mem, c.stack[:0]
	kp, kp2 := prefix(k), prefix2(k)
	for n := t.root; n != nil; {
		i := n.n
		if k != nil {
			i, _ = n.find(c.mem, k, kp, kp2)
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
// 1/rebuildRatio as many writes as the tree has items; see merge. Of 1, 4
// and 8, 4 measured best on BenchmarkBulkLoad/Into (on a noisy machine).
const rebuildRatio = 4

// merge applies run, a sorted list of writes with one per key whose bytes
// are in src, to t. src must not be added to afterwards: t may adopt it.
//
// A run that is small for the tree is inserted write by write; a large one
// is merged with the tree's items into a new tree built bottom-up, which
// costs O(length) whatever the run's size. (Copying the items' bytes into a
// new arena in key order as well was measured 3x slower.)
func (t *btree) merge(run []item, src *arena) {
	// add returns w as an item of t.
	add := func(w item) item { return t.mem.copyItem(src, w) }
	if src.total >= adoptAt {
		base := t.mem.adopt(src)
		add = func(w item) item {
			w.chunk += base
			return w
		}
	}
	if len(run)*rebuildRatio < t.length {
		for i := range run {
			if w := &run[i]; w.del() {
				t.delete(src.key(w.entry))
			} else {
				t.set(add(*w))
			}
		}
		return
	}
	all := make([]item, 0, t.length+len(run))
	live := 0
	var c cursor
	c.seekGE(t, nil)
	for i := range run {
		w := &run[i]
		for ; c.valid(); c.next() {
			cur := c.full()
			if d := compareItems(&t.mem, &cur, src, w); d >= 0 {
				if d == 0 {
					c.next()
				}
				break
			}
			all = append(all, cur)
			live += cur.size()
		}
		if !w.del() {
			all = append(all, add(*w))
			live += w.size()
		}
	}
	for ; c.valid(); c.next() {
		cur := c.full()
		all = append(all, cur)
		live += cur.size()
	}
	t.root, t.length, t.live = build(all, t.owner), len(all), live
}

// compact moves t's items to a new arena, leaving the garbage behind, and
// rebuilds t. Snapshots that hold the old tree keep the old arena alive.
func (t *btree) compact() {
	all := make([]item, 0, t.length)
	var mem arena
	var c cursor
	for c.seekGE(t, nil); c.valid(); c.next() {
		all = append(all, mem.copyItem(&t.mem, c.full()))
	}
	t.root, t.mem, t.live = build(all, t.owner), mem, mem.total
}
