package memstore

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/unifycdp/unify/store"
)

// batchFlushAt is the number of pending writes at which a batch commits
// them on its own, to bound its memory.
const batchFlushAt = 1 << 16

// NewBatch returns a batch that commits its writes every 65536 writes and on
// Flush. Its commits do not check for conflicts, but transactions that read
// the keys it writes do conflict with it.
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
	}
	if b.pending == nil {
		b.pending = make([]item, 0, 1024)
	}
	b.pending = append(b.pending, b.mem.item(key, value, del))
	if len(b.pending) >= batchFlushAt && len(b.pending)*rebuildRatio >= b.s.Len() {
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
	radixSort(p, 56, func(x, y item) int {
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
	})
	run := p[:0]
	for i := range p {
		if i+1 < len(p) && p[i+1].pfx == p[i].pfx && bytes.Equal(mem.key(p[i+1].entry), mem.key(p[i].entry)) {
			continue // overwritten
		}
		run = append(run, p[i])
	}
	return run
}

// radixSortMin is the size below which radixSort leaves a bucket to
// slices.SortFunc.
const radixSortMin = 64

// radixSort sorts p, whose items agree on their prefixes' bits above
// shift+8, by compare, which orders by prefix first. It distributes the
// items in place by the prefix's byte at shift (an American flag sort),
// skipping bytes all items share, and sorts the buckets by compare once they
// are small or their prefixes equal. Compared with a comparison sort of a
// large run, that saves most comparisons and the key reads on prefix ties.
func radixSort(p []item, shift int, compare func(x, y item) int) {
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
				radixSort(p[start:e], shift-8, compare)
			}
			start = e
		}
		return
	}
	slices.SortFunc(p, compare)
}
