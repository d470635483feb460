// Package storetest is the conformance suite for store.Store
// implementations, in the manner of testing/fstest and testing/slogtest.
//
// Run checks reads and writes, binary key order, range and prefix
// iteration in both directions (over committed data, pending writes and a
// mix), read-your-writes, isolation, conflicts and Retry, rollback on error
// and panic, byte lifetimes, large values, read-only and closed errors, use
// after a transaction ends, and BatchWriter when the store implements it.
// After each subtest it checks invariants (forward and reverse iteration
// agree, keys ascend, Get agrees with iteration) and closes the store.
// RunReopen checks that a store reopened on its directory keeps what was
// committed and nothing rolled back.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
//	}
//
// # Caveats
//
//   - The suite needs values just under 1 MiB and transactions of a few
//     thousand writes to fit in the store under test.
//   - It does not check semantics the store package leaves open, such as
//     whether an iterator sees writes made after it was created.
package storetest
