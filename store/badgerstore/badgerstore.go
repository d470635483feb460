package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/unifycdp/unify/store"
)

// Options configures Open. Zero values are the documented defaults, chosen
// for modest memory use (Badger's own defaults are larger).
type Options struct {
	// Dir is the directory of the database; required unless InMemory.
	Dir string
	// InMemory keeps everything in memory and writes nothing to disk; Dir
	// must be empty.
	InMemory bool
	// SyncWrites makes every commit wait for fsync.
	SyncWrites bool
	// ReadOnly opens an existing database for reading; writes fail.
	ReadOnly bool
	// Logger receives Badger's log messages at their level. nil means
	// slog.Default(), given only warnings and errors.
	Logger *slog.Logger
	// MemTableSize is the size of each memtable; 0 means 16 MiB. It also
	// bounds a transaction: one may hold about 15% of it (ErrTxnTooBig).
	MemTableSize int64
	// NumMemtables is how many memtables may be in memory; 0 means 3.
	NumMemtables int
	// BlockCacheSize is the size of the block cache; 0 means 32 MiB.
	BlockCacheSize int64
	// IndexCacheSize bounds the memory for table indices and bloom
	// filters; 0 keeps them all in memory (Badger's default).
	IndexCacheSize int64
	// ValueLogFileSize is the size of each value log file; 0 means 256 MiB.
	// No value may be larger.
	ValueLogFileSize int64
	// ValueThreshold is the size above which values are kept in the value
	// log rather than the LSM tree; 0 means 1 MiB or 15% of MemTableSize,
	// whichever is smaller. With InMemory, larger values are refused.
	ValueThreshold int64
	// BaseTableSize is the size of the tables of the LSM tree's first
	// level; each level's tables are twice the size of the level's above,
	// and a sorted load (LoadSorted) builds tables of the last level's
	// size, 32 times this, up to 16 of them in memory at once while
	// earlier ones are written. 0 means 256 KiB: 8 MiB tables after a
	// sorted load, about 130 table files per GB of store (Badger keeps
	// each open; Go raises the open-file limit to the hard limit at
	// start). Badger's default of 2 MiB made a 10M-record load's table
	// builders hold 1.2 GB; at 512 KiB its anonymous RSS peaked at
	// 2,950 MiB, at 256 KiB at 2,511 MiB, in the same time.
	BaseTableSize int64
	// Compression of table blocks; the zero value is Snappy.
	Compression Compression
}

// Compression says how table blocks are compressed on disk.
type Compression int

const (
	// Snappy: smaller tables; every block read from disk, rather than
	// from the block cache, is decompressed.
	Snappy Compression = iota
	// NoCompression: larger tables, read straight from the mapped files
	// with no decompression and no block cache (faster reads and scans).
	NoCompression
	// ZSTD: the smallest tables and the most CPU.
	ZSTD
)

// Badger returns the options Open gives Badger, which Open uses in
// managed mode. It is for tools that open a store's directory with Badger
// itself, such as the benchmark's floor: Badger's normal mode opens a
// store this package wrote.
func (o Options) Badger() badger.Options { return o.badger() }

func (o Options) badger() badger.Options {
	bo := badger.DefaultOptions(o.Dir).
		WithInMemory(o.InMemory).
		WithSyncWrites(o.SyncWrites).
		WithReadOnly(o.ReadOnly).
		WithMetricsEnabled(false).
		WithLogger(newLogger(o.Logger)).
		WithMemTableSize(or(o.MemTableSize, 16<<20)).
		WithNumMemtables(or(o.NumMemtables, 3)).
		WithBlockCacheSize(or(o.BlockCacheSize, 32<<20)).
		WithIndexCacheSize(o.IndexCacheSize).
		WithValueLogFileSize(or(o.ValueLogFileSize, 256<<20)).
		WithNumCompactors(2).
		WithBaseTableSize(or(o.BaseTableSize, 256<<10)).
		WithNumGoroutines(max(2, runtime.GOMAXPROCS(0)))
	bo = bo.WithValueThreshold(or(o.ValueThreshold, min(1<<20, bo.MemTableSize*15/100)))
	switch o.Compression {
	case NoCompression:
		// Without compression Badger reads blocks from the mapped tables;
		// a block cache would only copy them.
		bo = bo.WithCompression(options.None).WithBlockCacheSize(0)
	case ZSTD:
		bo = bo.WithCompression(options.ZSTD)
	default:
		bo = bo.WithCompression(options.Snappy)
	}
	return bo
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Store is a store.Store on Badger. It is safe for concurrent use.
type Store struct {
	db       *badger.DB
	inMemory bool
	dir      string // "" in memory
	// maxValue is the largest value accepted, or -1 for no limit of ours.
	maxValue int
	// mu guards closed: transactions and batch calls hold it for reading,
	// Close for writing, so that nothing reaches a closed DB.
	mu     sync.RWMutex
	closed bool
	clock  clock
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.BatchWriter = (*Store)(nil)
)

// Open opens (creating if needed) the database that opts describes.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.InMemory == (opts.Dir != "") {
		return nil, errors.New("badgerstore: exactly one of Dir and InMemory must be set")
	}
	bo := opts.badger()
	db, err := badger.OpenManaged(bo)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: open %s: %v", opts.Dir, err)
	}
	s := &Store{db: db, inMemory: opts.InMemory, dir: opts.Dir, maxValue: -1}
	s.clock.init(db)
	if err := s.discardInterruptedLoad(opts); err != nil {
		db.Close()
		return nil, err
	}
	if opts.InMemory {
		// Badger accepts a value as large as ValueThreshold but then fails
		// to write it (it would need the value log): refuse it here.
		s.maxValue = int(bo.ValueThreshold) - 1
	}
	return s, nil
}

// Close closes the database, waiting for running transactions. Calls after
// Close return store.ErrClosed; closing twice is a no-op. Close must not be
// called from inside a transaction.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return translate("close", s.db.Close())
}

// acquire locks s for reading unless it is closed.
func (s *Store) acquire() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

// View runs fn in a read-only transaction; see store.Store.
func (s *Store) View(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.run(ctx, false, fn)
}

// Update runs fn in a read-write transaction; see store.Store.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.run(ctx, true, fn)
}

func (s *Store) run(ctx context.Context, update bool, fn func(tx store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	readTs := s.clock.begin()
	defer s.clock.end(readTs)
	tx := &txn{s: s, txn: s.db.NewTransactionAt(readTs, update), update: update}
	defer tx.finish() // also on panic: closes iterators, discards
	if err := fn(tx); err != nil {
		return err
	}
	if !tx.wrote {
		return nil // nothing to commit, and no timestamp to take
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx.closeIterators()
	return translate("commit", s.clock.commit(tx.txn))
}

// ErrValueTooLarge is returned by a write whose value is larger than the
// store accepts: with InMemory, ValueThreshold minus one byte; otherwise
// ValueLogFileSize.
var ErrValueTooLarge = errors.New("badgerstore: value too large")

func (s *Store) checkValue(v []byte) error {
	if s.maxValue >= 0 && len(v) > s.maxValue {
		return fmt.Errorf("%w: %d bytes, at most %d in memory", ErrValueTooLarge, len(v), s.maxValue)
	}
	return nil
}

// translate maps Badger's errors to the store's. Errors it does not know
// are reported by text only, so no Badger type leaks.
func translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return store.ErrNotFound
	case errors.Is(err, badger.ErrConflict):
		return store.ErrConflict
	case errors.Is(err, badger.ErrTxnTooBig):
		return store.ErrTxnTooBig
	case errors.Is(err, badger.ErrEmptyKey):
		return store.ErrEmptyKey
	case errors.Is(err, badger.ErrReadOnlyTxn):
		return store.ErrReadOnly
	case errors.Is(err, badger.ErrDBClosed), errors.Is(err, badger.ErrBlockedWrites):
		return store.ErrClosed
	case errors.Is(err, badger.ErrDiscardedTxn):
		return store.ErrTxnDone
	case strings.Contains(err.Error(), "exceeded"):
		// Badger's oversized key or value error has no sentinel.
		return fmt.Errorf("%w: %s", ErrValueTooLarge, firstLine(err.Error()))
	}
	return fmt.Errorf("badgerstore: %s: %s", op, err.Error())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

type txn struct {
	s      *Store
	txn    *badger.Txn
	update bool
	wrote  bool // a Set or Delete succeeded
	done   bool
	iters  []*iterator // open iterators; Badger panics if any is open at Discard
}

func (tx *txn) finish() {
	if tx.done {
		return
	}
	tx.done = true
	tx.closeIterators()
	tx.txn.Discard()
}

func (tx *txn) closeIterators() {
	for _, it := range tx.iters {
		it.close()
	}
	tx.iters = nil
}

func (tx *txn) Get(key []byte) ([]byte, error) {
	if tx.done {
		return nil, store.ErrTxnDone
	}
	if len(key) == 0 {
		return nil, store.ErrEmptyKey
	}
	item, err := tx.txn.Get(key)
	if err != nil {
		return nil, translate("get", err)
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return nil, translate("get", err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

func (tx *txn) Set(key, value []byte) error {
	if err := tx.writable(key); err != nil {
		return err
	}
	if err := tx.s.checkValue(value); err != nil {
		return err
	}
	// Badger keeps key and value until commit; the caller may reuse them.
	// One copy holds both (the key capped so that nothing appends into
	// the value): an ingest makes a dozen writes.
	kv := make([]byte, len(key)+len(value))
	n := copy(kv, key)
	copy(kv[n:], value)
	e := badger.NewEntry(kv[:n:n], kv[n:])
	if err := tx.txn.SetEntry(e); err != nil {
		return translate("set", err)
	}
	tx.wrote = true
	return nil
}

func (tx *txn) Delete(key []byte) error {
	if err := tx.writable(key); err != nil {
		return err
	}
	if err := tx.txn.Delete(store.Copy(key)); err != nil {
		return translate("delete", err)
	}
	tx.wrote = true
	return nil
}

func (tx *txn) writable(key []byte) error {
	switch {
	case tx.done:
		return store.ErrTxnDone
	case !tx.update:
		return store.ErrReadOnly
	case len(key) == 0:
		return store.ErrEmptyKey
	}
	return nil
}

func (tx *txn) Iterate(opts store.IterOptions) store.Iterator {
	it := &iterator{tx: tx, reverse: opts.Reverse, keysOnly: opts.KeysOnly}
	if tx.done {
		it.err = store.ErrTxnDone
		return it
	}
	it.prefix = opts.Prefix
	it.lower, it.upper = opts.Bounds()
	if it.lower != nil && it.upper != nil && bytes.Compare(it.lower, it.upper) >= 0 {
		it.empty = true
		return it
	}
	bo := badger.DefaultIteratorOptions
	// Values up to ValueThreshold live in the LSM tree next to their keys,
	// so prefetching them only adds goroutine hand-offs and copies (a
	// full profile scan ran ~25% faster without).
	bo.PrefetchValues = false
	bo.Reverse = opts.Reverse
	if !opts.Reverse {
		// Reverse iteration must start at the upper bound, which lies
		// outside the prefix, where a Badger iterator with a prefix is no
		// longer valid: there we check the prefix ourselves.
		bo.Prefix = opts.Prefix
	}
	it.it = tx.txn.NewIterator(bo)
	tx.iters = append(tx.iters, it)
	return it
}

type iterator struct {
	tx                   *txn
	it                   *badger.Iterator
	prefix, lower, upper []byte
	reverse, keysOnly    bool
	started, empty       bool
	item                 *badger.Item
	err                  error
	key, val             []byte
}

func (it *iterator) Next() bool {
	if it.err != nil || it.empty {
		return false
	}
	if it.it == nil {
		if it.tx.done && it.err == nil {
			it.err = store.ErrTxnDone
		}
		return false
	}
	if !it.started {
		it.started = true
		switch {
		case !it.reverse:
			it.it.Seek(it.lower)
		case it.upper != nil:
			it.it.Seek(it.upper) // lands on upper itself, if present
		default:
			it.it.Rewind()
		}
	} else {
		it.it.Next()
	}
	for ; it.it.Valid(); it.it.Next() {
		item := it.it.Item() // records the read, for conflict detection
		k := item.Key()
		if it.reverse {
			if it.upper != nil && bytes.Compare(k, it.upper) >= 0 {
				continue
			}
			if it.lower != nil && bytes.Compare(k, it.lower) < 0 {
				break
			}
		} else if it.upper != nil && bytes.Compare(k, it.upper) >= 0 {
			break
		}
		if !bytes.HasPrefix(k, it.prefix) {
			if it.reverse && bytes.Compare(k, it.prefix) > 0 {
				continue
			}
			break
		}
		it.item = item
		return true
	}
	it.item = nil
	it.empty = true
	return false
}

func (it *iterator) Key() []byte {
	if it.item == nil {
		return nil
	}
	it.key = it.item.KeyCopy(it.key[:0])
	return it.key
}

func (it *iterator) Value() ([]byte, error) {
	if it.err != nil {
		return nil, it.err
	}
	if it.item == nil || it.keysOnly {
		return nil, nil
	}
	v, err := it.item.ValueCopy(it.val[:0])
	if err != nil {
		return nil, translate("value", err)
	}
	if v == nil {
		v = []byte{}
	}
	it.val = v
	return v, nil
}

func (it *iterator) Err() error { return it.err }

func (it *iterator) Close() error {
	if it.it != nil {
		it.close()
		for i, o := range it.tx.iters {
			if o == it {
				it.tx.iters = append(it.tx.iters[:i], it.tx.iters[i+1:]...)
				break
			}
		}
	}
	return nil
}

// close closes the Badger iterator; later Next calls fail with ErrTxnDone
// if the transaction has ended.
func (it *iterator) close() {
	if it.it != nil {
		it.it.Close()
		it.it, it.item = nil, nil
	}
}
