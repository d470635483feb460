package memstore

import (
	"bytes"
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/unifycdp/unify/store"
)

// Options configures a Store. The zero value is the default.
type Options struct {
	// MaxTxnWrites is the most writes (sets and deletes of distinct keys)
	// one transaction may hold; a write past it fails with
	// store.ErrTxnTooBig. 0 means no limit.
	MaxTxnWrites int
	// MaxTxnBytes is the most bytes of keys and values one transaction may
	// hold, likewise. 0 means no limit.
	MaxTxnBytes int
}

// Store is an in-memory store.Store. It is safe for concurrent use.
type Store struct {
	opts   Options
	seed   maphash.Seed
	state  atomic.Pointer[snapshot]
	closed atomic.Bool // set under mu, so that no commit follows Close

	mu        sync.Mutex        // serializes commits; guards the fields below
	active    map[*txn]struct{} // running read-write transactions
	committed []commitRecord    // commits that running transactions may conflict with
	// wowner owns the nodes that commits may change in place: those made
	// by the commits since a snapshot was last in use when the next commit
	// began. nil makes the next commit start a new owner.
	wowner *owner
}

// snapshot is a committed state: a tree and its commit timestamp.
//
// A commit changes in place the nodes it owns (see Store.wowner) when no
// transaction holds the state it replaces. Transactions hold a snapshot
// through refs; the commit sets retired before it reads refs, and acquire
// adds to refs before it reads retired, so (the atomics being sequentially
// consistent) either the commit sees the reference and copies the nodes it
// changes, or the reader sees retired and takes the new state instead.
type snapshot struct {
	tree    *btree
	ts      uint64
	refs    atomic.Int64
	retired atomic.Bool
}

type commitRecord struct {
	ts   uint64
	keys map[uint64]struct{} // fingerprints of the keys written
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.BatchWriter = (*Store)(nil)
)

// New returns an empty store with the default options.
func New() *Store { return NewWithOptions(Options{}) }

// NewWithOptions returns an empty store.
func NewWithOptions(opts Options) *Store {
	s := &Store{opts: opts, seed: maphash.MakeSeed(), active: make(map[*txn]struct{})}
	s.state.Store(&snapshot{tree: newBtree()})
	return s
}

// Len returns the number of keys in the latest committed state.
func (s *Store) Len() int { return s.state.Load().tree.length }

// Close releases the store. Transactions that are running may finish
// reading; their commits fail with store.ErrClosed. Closing twice is a no-op.
func (s *Store) Close() error {
	s.mu.Lock() // wait for a commit in progress
	defer s.mu.Unlock()
	s.closed.Store(true)
	return nil
}

// View runs fn in a read-only transaction on the latest committed state.
func (s *Store) View(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	tx := &txn{s: s, snap: s.acquire()}
	defer tx.finish()
	return fn(tx)
}

// Update runs fn in a read-write transaction; see store.Store.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tx, err := s.begin()
	if err != nil {
		return err
	}
	defer s.end(tx) // also on panic
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.commit(tx)
}

func (s *Store) begin() (*txn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	st := s.state.Load() // not retired: commits retire it under s.mu
	st.refs.Add(1)
	tx := &txn{s: s, update: true, snap: st}
	s.active[tx] = struct{}{}
	return tx, nil
}

// acquire returns the latest committed state, held until release.
func (s *Store) acquire() *snapshot {
	st := s.state.Load()
	st.refs.Add(1)
	if !st.retired.Load() {
		return st
	}
	// A commit is replacing st and may be changing its nodes.
	st.refs.Add(-1)
	s.mu.Lock()
	st = s.state.Load()
	st.refs.Add(1)
	s.mu.Unlock()
	return st
}

// end unregisters tx and forgets the commits that no running transaction
// can conflict with any more.
func (s *Store) end(tx *txn) {
	tx.finish()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.active, tx)
	if len(s.committed) == 0 {
		return
	}
	oldest := ^uint64(0)
	for t := range s.active {
		oldest = min(oldest, t.snap.ts)
	}
	keep := s.committed[:0]
	for _, c := range s.committed {
		if c.ts > oldest {
			keep = append(keep, c)
		}
	}
	clear(s.committed[len(keep):])
	s.committed = keep
}

func (s *Store) fingerprint(key []byte) uint64 { return maphash.Bytes(s.seed, key) }

// commit checks tx's reads against the commits made since tx began and
// applies its writes as a new snapshot.
func (s *Store) commit(tx *txn) error {
	if tx.pending == nil || tx.pending.length == 0 {
		return nil // read-only: nothing to check, as in Badger
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return store.ErrClosed
	}
	for _, c := range s.committed {
		if c.ts <= tx.snap.ts {
			continue
		}
		for _, r := range tx.reads {
			if _, ok := c.keys[r]; ok {
				return store.ErrConflict
			}
		}
	}
	tx.release() // tx reads nothing more, so its commit may reuse its nodes
	run := make([]item, 0, tx.pending.length)
	var c cursor
	for c.seekGE(tx.pending, nil); c.valid(); c.next() {
		run = append(run, c.full())
	}
	s.apply(run, &tx.pending.mem, tx)
	return nil
}

// compactAt is the least garbage in the tree's arena at which a commit
// compacts it; it does once the garbage also outweighs the live data, so
// compaction costs O(1) a byte written, and memory stays within about twice
// the live data.
const compactAt = 4 << 20

// apply makes the writes in run (sorted by key, one per key, their bytes in
// src) the latest committed state; it records their fingerprints if some
// running transaction other than self may conflict with them. s.mu must be
// held.
func (s *Store) apply(run []item, src *arena, self *txn) {
	cur := s.state.Load()
	cur.retired.Store(true)
	if s.wowner == nil || cur.refs.Load() != 0 {
		s.wowner = new(owner) // freeze every node a reader may hold
	}
	// cur.tree is frozen, so next may go on filling its arena.
	next := &btree{root: cur.tree.root, length: cur.tree.length, live: cur.tree.live, owner: s.wowner, mem: cur.tree.mem}
	record := len(s.active) > 1 || (len(s.active) == 1 && self == nil)
	var keys map[uint64]struct{}
	if record {
		keys = make(map[uint64]struct{}, len(run))
		for i := range run {
			keys[s.fingerprint(src.key(run[i].entry))] = struct{}{}
		}
	}
	next.merge(run, src)
	if g := next.garbage(); g >= compactAt && g > next.live {
		next.compact()
	}
	ts := cur.ts + 1
	s.state.Store(&snapshot{tree: next, ts: ts})
	if record {
		s.committed = append(s.committed, commitRecord{ts: ts, keys: keys})
	}
}

// txn is a transaction on a snapshot. A read-write txn collects its writes
// in pending (a tree of copies, with tombstones for deletes) and the
// fingerprints of the keys it read from the snapshot in reads.
type txn struct {
	s        *Store
	snap     *snapshot
	update   bool
	done     bool
	released bool // tx.snap.refs no longer counts tx
	pending  *btree
	writes   int // Set and Delete calls, for Options.MaxTxnWrites
	bytes    int // bytes in them, for Options.MaxTxnBytes
	reads    []uint64
}

// finish ends tx: later calls on it and its iterators fail with
// store.ErrTxnDone.
func (tx *txn) finish() {
	tx.done = true
	tx.release()
}

// release lets commits change the nodes of tx's snapshot in place.
func (tx *txn) release() {
	if !tx.released {
		tx.released = true
		tx.snap.refs.Add(-1)
	}
}

func (tx *txn) Get(key []byte) ([]byte, error) {
	if tx.done {
		return nil, store.ErrTxnDone
	}
	if len(key) == 0 {
		return nil, store.ErrEmptyKey
	}
	if tx.pending != nil {
		if e, ok := tx.pending.get(key); ok {
			if e.del() {
				return nil, store.ErrNotFound
			}
			return clone(tx.pending.mem.val(e)), nil
		}
	}
	if tx.update {
		tx.reads = append(tx.reads, tx.s.fingerprint(key))
	}
	e, ok := tx.snap.tree.get(key)
	if !ok {
		return nil, store.ErrNotFound
	}
	return clone(tx.snap.tree.mem.val(e)), nil
}

// clone copies b; unlike bytes.Clone, an empty b gives an empty non-nil
// slice.
func clone(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

func (tx *txn) Set(key, value []byte) error {
	return tx.write(key, value, false)
}

func (tx *txn) Delete(key []byte) error {
	return tx.write(key, nil, true)
}

func (tx *txn) write(key, value []byte, del bool) error {
	switch {
	case tx.done:
		return store.ErrTxnDone
	case !tx.update:
		return store.ErrReadOnly
	case len(key) == 0:
		return store.ErrEmptyKey
	case tooLarge(key, value):
		return errTooLarge(key, value)
	}
	if tx.pending == nil {
		tx.pending = newBtree()
	}
	// Like Badger, count every write, also of a key written before.
	writes, n := tx.writes+1, tx.bytes+len(key)+len(value)
	if o := tx.s.opts; (o.MaxTxnWrites > 0 && writes > o.MaxTxnWrites) || (o.MaxTxnBytes > 0 && n > o.MaxTxnBytes) {
		return store.ErrTxnTooBig
	}
	tx.writes, tx.bytes = writes, n
	tx.pending.set(tx.pending.mem.item(key, value, del))
	return nil
}

func (tx *txn) Iterate(opts store.IterOptions) store.Iterator {
	it := &iterator{tx: tx, reverse: opts.Reverse, keysOnly: opts.KeysOnly}
	if tx.done {
		it.err = store.ErrTxnDone
		return it
	}
	it.lower, it.upper = opts.Bounds()
	it.base, it.pend = tx.snap.tree, &btree{}
	if tx.pending != nil && tx.pending.length > 0 {
		// The iterator sees the writes made so far, as in Badger.
		it.pend = tx.pending.clone()
	}
	return it
}

// iterator merges the snapshot with the pending writes; a pending write
// hides the snapshot's item with the same key.
type iterator struct {
	tx                *txn
	base, pend        *btree
	bc, pc            cursor
	lower, upper      []byte
	reverse, keysOnly bool
	started, closed   bool
	cur               *cursor // the cursor at the current item; nil if none
	err               error
	keyBuf, valBuf    []byte
}

func (it *iterator) Next() bool {
	if it.closed || it.err != nil {
		return false
	}
	if it.tx.done {
		it.err = store.ErrTxnDone
		return false
	}
	if !it.started {
		it.started = true
		if it.lower != nil && it.upper != nil && bytes.Compare(it.lower, it.upper) >= 0 {
			return it.stop()
		}
		if it.reverse {
			it.bc.seekLT(it.base, it.upper)
			it.pc.seekLT(it.pend, it.upper)
		} else {
			it.bc.seekGE(it.base, it.lower)
			it.pc.seekGE(it.pend, it.lower)
		}
	} else if it.cur != nil {
		it.advancePast(it.cur.key())
	}
	for {
		var c *cursor
		switch b, p := it.bc.valid(), it.pc.valid(); {
		case !b && !p:
			return it.stop()
		case !p:
			c = &it.bc
		case !b:
			c = &it.pc
		default:
			c = &it.pc
			d := bytes.Compare(it.bc.key(), c.key())
			if (d < 0) != it.reverse && d != 0 {
				c = &it.bc
			}
		}
		k := c.key()
		if it.reverse && it.lower != nil && bytes.Compare(k, it.lower) < 0 ||
			!it.reverse && it.upper != nil && bytes.Compare(k, it.upper) >= 0 {
			return it.stop()
		}
		if !c.item().del() {
			it.cur = c
			if it.tx.update {
				it.tx.reads = append(it.tx.reads, it.tx.s.fingerprint(k))
			}
			return true
		}
		it.advancePast(k)
	}
}

func (it *iterator) advancePast(key []byte) {
	for _, c := range [2]*cursor{&it.bc, &it.pc} {
		if c.valid() && bytes.Equal(c.key(), key) {
			if it.reverse {
				c.prev()
			} else {
				c.next()
			}
		}
	}
}

func (it *iterator) stop() bool {
	it.cur = nil
	return false
}

// Key returns a copy of the current key, valid until Next.
func (it *iterator) Key() []byte {
	if it.cur == nil {
		return nil
	}
	it.keyBuf = append(it.keyBuf[:0], it.cur.key()...)
	return it.keyBuf
}

// Value returns a copy of the current value, valid until Next.
func (it *iterator) Value() ([]byte, error) {
	if it.err != nil {
		return nil, it.err
	}
	if it.cur == nil || it.keysOnly {
		return nil, nil
	}
	v := it.cur.mem.val(it.cur.item())
	if it.valBuf == nil {
		it.valBuf = make([]byte, 0, len(v))
	}
	it.valBuf = append(it.valBuf[:0], v...)
	return it.valBuf, nil
}

func (it *iterator) Err() error { return it.err }

func (it *iterator) Close() error {
	if !it.closed {
		it.closed, it.cur = true, nil
		it.bc, it.pc = cursor{}, cursor{}
	}
	return nil
}
