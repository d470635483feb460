package store

import (
	"context"
	"errors"
	"iter"
)

// Sentinel errors. Implementations translate their backend's errors into
// these (wrapped with %w where there is more to say), so callers match with
// errors.Is and never see a backend type.
var (
	// ErrNotFound is returned by Tx.Get when the key does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned by Update when a concurrent transaction
	// committed a write that this transaction read or wrote. The whole
	// transaction can be retried; see Retry.
	ErrConflict = errors.New("store: transaction conflict")
	// ErrClosed is returned by any call on a closed store.
	ErrClosed = errors.New("store: closed")
	// ErrReadOnly is returned by a write inside View.
	ErrReadOnly = errors.New("store: write in read-only transaction")
	// ErrTxnTooBig is returned when a transaction holds more writes than the
	// backend accepts in one commit; split the work into smaller transactions.
	ErrTxnTooBig = errors.New("store: transaction too big")
	// ErrEmptyKey is returned for a nil or empty key.
	ErrEmptyKey = errors.New("store: empty key")
	// ErrNotEmpty is returned by SortedLoader.LoadSorted on a store that
	// holds keys.
	ErrNotEmpty = errors.New("store: not empty")
	// ErrUnsorted is returned by SortedLoader.LoadSorted when a key does
	// not come after the one before.
	ErrUnsorted = errors.New("store: keys out of order")
)

// SortedLoader is implemented by stores that can take a whole data set in
// key order faster than through a Batch (Badger writes its tables directly
// instead of through its memtables). LoadSorted writes kvs, whose keys must
// be strictly increasing, into an EMPTY store (else ErrNotEmpty); the
// slices may be reused once the iterator moves on. The load is not a
// transaction: readers may see a part of it, and a load that fails or is
// interrupted may leave a part behind.
type SortedLoader interface {
	LoadSorted(ctx context.Context, kvs iter.Seq2[[]byte, []byte]) error
}

// Store is an ordered key-value store with serializable transactions.
// Keys are compared as raw bytes (bytes.Compare).
//
// The interface is deliberately small so that a distributed transactional
// store could implement it. Optional capabilities (BatchWriter,
// SortedLoader) are detected with a type assertion.
type Store interface {
	// View runs fn in a read-only transaction on a consistent snapshot.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Update runs fn in a read-write transaction. The transaction commits
	// when fn returns nil and rolls back when fn returns an error or panics
	// (the panic is re-raised after rollback). A commit that loses against
	// a concurrent writer returns an error matching ErrConflict.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}

// Tx is a transaction. It must not be used after its closure returns and is
// not safe for concurrent use.
//
// Byte slices returned by Get, Iterator.Key and Iterator.Value are valid only
// until the transaction ends (and, for an iterator, until the next call to
// Next); use Copy to keep them. Slices passed to Set may be reused by the
// caller as soon as Set returns.
type Tx interface {
	// Get returns the value of key, or an error matching ErrNotFound.
	Get(key []byte) ([]byte, error)
	// Set writes key=value. An empty value is allowed; an empty key is not.
	Set(key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key []byte) error
	// Iterate returns an iterator over the keys selected by opts, which sees
	// this transaction's own writes. The iterator must be closed.
	Iterate(opts IterOptions) Iterator
}

// IterOptions selects a range of keys. The zero value iterates over every key
// in ascending order.
type IterOptions struct {
	// Prefix restricts iteration to keys that start with Prefix.
	Prefix []byte
	// Start is the inclusive lower bound; nil means unbounded.
	Start []byte
	// End is the exclusive upper bound; nil means unbounded.
	End []byte
	// Reverse iterates from the largest key to the smallest.
	Reverse bool
	// KeysOnly lets the backend skip reading values; Value then returns nil.
	KeysOnly bool
}

// Iterator walks keys in order. Call Next before the first Key.
type Iterator interface {
	// Next advances to the next key and reports whether there is one.
	Next() bool
	// Key returns the current key.
	Key() []byte
	// Value returns the current value.
	Value() ([]byte, error)
	// Err returns the first error met while iterating.
	Err() error
	// Close releases the iterator; it is safe to call more than once.
	Close() error
}

// BatchWriter is an optional interface for stores that can load many writes
// faster than through transactions. A batch is not isolated: its writes
// become visible as they are flushed, and they do not detect conflicts.
type BatchWriter interface {
	NewBatch(ctx context.Context) (Batch, error)
}

// Batch collects writes for a bulk load.
type Batch interface {
	Set(key, value []byte) error
	Delete(key []byte) error
	// Flush writes everything collected and waits until it is durable to the
	// degree the store is configured for. The batch can't be used afterwards.
	Flush() error
	// Cancel discards what has not been flushed.
	Cancel()
}

// Copy returns a copy of b that outlives the transaction. Copy(nil) is nil.
func Copy(b []byte) []byte {
	if b == nil {
		return nil
	}
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
