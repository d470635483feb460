// Package memstore is an in-memory store.Store with the semantics of the
// Badger one: snapshot isolation, optimistic conflict detection on the keys
// a transaction read, and iterators that merge a transaction's pending
// writes with its snapshot.
//
// Committed data is a copy-on-write B-tree: a commit copies only the nodes
// on the paths it changes and publishes a new root, so a transaction reads
// its snapshot without locks (Get is O(log n)) and iterators walk it in
// order while other transactions commit. When no transaction holds the
// latest state, a commit changes the nodes made since one last did in
// place, so commits without concurrent readers copy nothing. A commit of
// many writes for the size of the tree (a batch's often is) builds a new
// tree from a merge of the two instead of inserting one by one; a batch
// holds its writes until they are as many as the store's keys, then sorts
// them (a radix sort) and commits them so.
//
// Keys and values live in large byte chunks, not one allocation each, and
// the tree refers to them by chunk and offset, so the garbage collector has
// few objects to mark and no per-key pointers to follow. Keys and values
// are copied on the way in and out, so no caller ever holds the store's own
// bytes.
//
//	s := memstore.New()
//	defer s.Close()
//	err := s.Update(ctx, func(tx store.Tx) error {
//		return tx.Set([]byte("k"), []byte("v"))
//	})
//
// # Caveats
//
//   - Nothing is persisted; Close only makes later calls fail.
//   - Overwritten and deleted values stay in their chunks until a commit
//     finds the garbage larger than the live data (and at least 4 MiB) and
//     copies the live data to new chunks, so the store may hold up to about
//     twice its data. A large batch also holds its pending writes, up to
//     as many as the store, until it commits them.
//   - Transactions have no size limit unless Options sets one; set
//     MaxTxnWrites or MaxTxnBytes in tests of code that must also work
//     on Badger, whose transactions are bounded.
//   - Conflict detection uses 64-bit hashes of the keys, so a conflict may
//     (very rarely) be reported where there is none, as in Badger.
//   - Badger also counts seek positions as reads, so it may report a few
//     conflicts (after iterating) that memstore does not.
package memstore
