// Package store defines the ordered key-value store with serializable
// transactions that Unify keeps its data in, and the helpers shared by its
// implementations: an order-preserving key encoding and Retry.
//
// A Store runs closures in transactions: View on a consistent snapshot,
// Update in a read-write transaction that commits when the closure returns
// nil and rolls back when it returns an error or panics. Transactions are
// optimistic: a commit fails with ErrConflict when a key the transaction
// read was committed by another transaction after it began; Retry runs the
// closure again. Implementations are in store/memstore (memory, for tests
// and small deployments) and store/badgerstore (Badger, the default); both
// pass the conformance suite in store/storetest.
//
// Keys are built with the tuple encoding in this package, so that no value
// can collide with another key whatever bytes it holds, and so that byte
// order is tuple order:
//
//	var kb store.KeyBuilder
//	key := kb.String("profile").Uint64(id).Key()
//	err := store.Retry(ctx, s, func(tx store.Tx) error {
//		return tx.Set(key, data)
//	}, store.RetryOptions{})
//
// A prefix scan over every key that starts with some parts uses the
// encoding of those parts as IterOptions.Prefix.
//
// # Caveats
//
//   - Bytes returned by Get, Iterator.Key and Iterator.Value belong to the
//     transaction (and, for an iterator, to the current position); Copy them
//     to keep them.
//   - Conflicts are detected on the keys a transaction read (with Get, or
//     as yielded by an iterator), as in Badger: a range scan does not lock
//     the range, so a key inserted into a scanned range by another
//     transaction is not a conflict (no phantom protection), and two
//     transactions that only write the same key both commit, the later
//     winning. Read a key that guards an invariant to make writers conflict.
//   - An iterator sees the transaction's writes made before it was created,
//     not those made after.
//   - An Update closure may run several times under Retry: keep its effects
//     inside the transaction.
//   - A transaction holds a bounded number of writes; past that, writes fail
//     with ErrTxnTooBig and the work must be split.
package store
