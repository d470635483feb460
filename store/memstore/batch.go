package memstore

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/unifycdp/unify/store"
)

// A batch commits its pending writes on its own once it holds at least
// batchFlushAt of them and at least as many as the store holds keys. Each
// commit of a large load then rebuilds the tree (see btree.merge) and
// doubles it, so a load of n keys copies O(n) items in all, and the
// pending writes take at most about as much memory as the store.
const batchFlushAt = 1 << 16

// NewBatch returns a batch that commits its writes on Flush and, to bound
// its memory, whenever it holds at least 65536 and as many as the store
// holds keys. Its commits do not check for conflicts, but transactions that
// read the keys it writes do conflict with it.
func (s *Store) NewBatch(ctx context.Context) (store.Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	return &batch{s: s, ctx: ctx}, nil
}

// batch collects its writes in order in its own arena; a commit sorts
// them and keeps the last write of each key.
type batch struct {
	s       *Store
	ctx     context.Context
	mem     arena
	pending []item
	done    bool
}

func (b *batch) Set(key, value []byte) error { return b.write(key, value, false) }

func (b *batch) Delete(key []byte) error { return b.write(key, nil, true) }

func (b *batch) write(key, value []byte, del bool) error {
	switch {
	case b.done:
		return store.ErrTxnDone
	case len(key) == 0:
		return store.ErrEmptyKey
	case tooLarge(key, value):
		return errTooLarge(key, value)
	}
	if b.pending == nil {
		b.pending = make([]item, 0, 1024)
	}
	b.pending = append(b.pending, b.mem.item(key, value, del))
	if len(b.pending) >= max(batchFlushAt, b.s.Len()) {
		return b.commit()
	}
	return nil
}

func (b *batch) commit() error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return store.ErrClosed
	}
	if len(b.pending) > 0 {
		s.apply(b.sorted(), &b.mem, nil)
		b.pending = b.pending[:0]
		b.mem = arena{}
	}
	return nil
}

func (b *batch) Flush() error {
	if b.done {
		return store.ErrTxnDone
	}
	b.done = true
	return b.commit()
}

func (b *batch) Cancel() {
	b.done = true
	b.pending, b.mem = nil, arena{}
}

// sorted sorts the pending writes by key and returns the last of each key.
// The arena lays writes out in order, so a later write of a key sorts after
// an earlier one.
func (b *batch) sorted() []item {
	mem := &b.mem
	p := b.pending
	sortWrites(p, mem)
	run := p[:0]
	for i := range p {
		if i+1 < len(p) && p[i+1].pfx == p[i].pfx && p[i+1].pfx2 == p[i].pfx2 && bytes.Equal(mem.key(p[i+1].entry), mem.key(p[i].entry)) {
			continue // overwritten
		}
		run = append(run, p[i])
	}
	return run
}

// sortWrites sorts p, whose bytes are in mem, by key and then by the
// order in which they were written.
func sortWrites(p []item, mem *arena) {
	r := radixSorter{mem: mem, compare: func(x, y item) int {
		if x.pfx != y.pfx {
			return cmp.Compare(x.pfx, y.pfx)
		}
		if c := bytes.Compare(mem.key(x.entry), mem.key(y.entry)); c != 0 {
			return c
		}
		if x.chunk != y.chunk {
			return cmp.Compare(x.chunk, y.chunk)
		}
		return cmp.Compare(x.off, y.off)
	}}
	r.sort(p, 56, 0)
}

// radixSortMin is the size below which radixSorter leaves a bucket to
// slices.SortFunc.
const radixSortMin = 64

// radixSorter sorts writes by key with an in-place most-significant-digit
// radix sort (an American flag sort) on the bytes of their prefixes, falling
// back on compare for small buckets. Compared with a comparison sort of a
// large run, that saves most comparisons, and the key reads that keys
// sharing their first 8 bytes (the graph's keys often do) cost on every
// comparison.
type radixSorter struct {
	mem     *arena
	compare func(x, y item) int // orders by pfx, then by key
}

// sort sorts p, whose items' pfx agree in the bits above shift+8 and whose
// keys agree in the depth bytes before the bytes pfx holds.
func (r *radixSorter) sort(p []item, shift, depth int) {
	for ; shift >= 0 && len(p) > radixSortMin; shift -= 8 {
		var count [256]int
		for i := range p {
			count[byte(p[i].pfx>>shift)]++
		}
		if count[byte(p[0].pfx>>shift)] == len(p) {
			continue // one bucket: try the next byte
		}
		var next, end [256]int
		sum := 0
		for d, c := range count {
			next[d] = sum
			sum += c
			end[d] = sum
		}
		for d := range 256 {
			for i := next[d]; i < end[d]; i = next[d] {
				to := byte(p[i].pfx >> shift)
				if int(to) != d {
					p[i], p[next[to]] = p[next[to]], p[i]
				}
				next[to]++
			}
		}
		start := 0
		for _, e := range end {
			if e-start > 1 {
				r.sort(p[start:e], shift-8, depth)
			}
			start = e
		}
		return
	}
	if len(p) <= radixSortMin {
		slices.SortFunc(p, r.compare)
		return
	}
	// The keys agree in their first depth+8 bytes: sort by the next 8,
	// held in pfx meanwhile.
	pfx, depth := p[0].pfx, depth+8
	more := false
	for i := range p {
		if depth == 8 {
			// pfx2 holds them: no need to read the key.
			more = more || p[i].keyLen() > depth
			p[i].pfx = p[i].pfx2
			continue
		}
		k := r.mem.key(p[i].entry)
		if len(k) > depth {
			more = true
			k = k[depth:]
		} else {
			k = nil
		}
		p[i].pfx = prefix(k)
	}
	if more {
		r.sort(p, 56, depth)
	} else {
		slices.SortFunc(p, r.compare) // equal keys: by write order
	}
	for i := range p {
		p[i].pfx = pfx
	}
}
