// Package badgerstore is the store.Store on Badger (github.com/dgraph-io/badger/v4),
// an embedded LSM key-value store with serializable snapshot isolation.
//
// It translates Badger's errors to the store package's sentinels, copies
// what the caller passes in (Badger keeps the caller's slices until
// commit), closes iterators left open when a transaction ends, and guards
// every call with a lock so that calls after Close return store.ErrClosed
// instead of panicking inside Badger.
//
// # Timestamps
//
// The store opens Badger in managed mode (badger.OpenManaged) and keeps the
// transaction timestamps itself. In its normal mode Badger's oracle tracks
// every transaction's start and end and every commit with two watermarks,
// each step a channel send that wakes a goroutine; that was a fifth of the
// CPU of a real-time ingest. Here a transaction reads at the timestamp of
// the last applied commit and registers it in a map under a mutex;
// commits take the next timestamp under a commit lock that also covers
// handing the transaction to Badger, so that Badger's write queue holds
// them in timestamp order and applies them in it. Snapshot isolation and
// conflict detection are Badger's own, unchanged: after each commit the
// store raises Badger's discard timestamp to the oldest read timestamp
// still in use, which lets Badger forget the commits no open transaction
// can conflict with and compaction drop the versions no open transaction
// can read. On open, timestamps continue above the highest version the
// database holds, so a database written in normal mode (as this package
// wrote them before) opens with its data, and one written here opens in
// normal mode.
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
//   - Commits of concurrent Updates run one after another, each waiting
//     until Badger has applied it: Badger does not group them into one
//     write (and, with SyncWrites, one fsync) as it does in normal mode.
//     A batch's chunks are queued without waiting, up to 16 at a time.
//   - A transaction left open holds the discard timestamp back, and with
//     it the dropping of old versions and Badger's memory of commits to
//     check conflicts against, until it ends.
package badgerstore
