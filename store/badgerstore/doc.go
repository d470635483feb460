// Package badgerstore is the store.Store on Badger (github.com/dgraph-io/badger/v4),
// an embedded LSM key-value store with serializable snapshot isolation.
//
// It translates Badger's errors to the store package's sentinels, copies
// what the caller passes in (Badger keeps the caller's slices until
// commit), closes iterators left open when a transaction ends, and guards
// every call with a lock so that calls after Close return store.ErrClosed
// instead of panicking inside Badger.
//
//	s, err := badgerstore.Open(ctx, badgerstore.Options{Dir: "data"})
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	// Every few minutes, reclaim value log space:
//	err = s.GC(ctx)
//
// # Caveats
//
//   - Options defaults favour modest memory (16 MiB memtables, 32 MiB block
//     cache). A transaction may hold about 15% of MemTableSize in writes;
//     past that, writes fail with store.ErrTxnTooBig.
//   - With InMemory, values of ValueThreshold (1 MiB by default) or more are
//     refused with ErrValueTooLarge.
//   - Reverse iteration does not use Badger's prefix filtering of tables, so
//     it is slower than forward iteration over a large store.
//   - Close waits for running transactions; calling it from inside a
//     transaction deadlocks.
//   - Badger counts the keys an iterator seeks to as reads, so an Update
//     that iterates may see a conflict on a key just outside its range.
package badgerstore
