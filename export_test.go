package unify

// SetBucketRecords makes bulk imports of e build profiles n records at a
// time, so that tests reach the spilled path with a few hundred records.
func SetBucketRecords(e *Engine, n int) { e.bucketRecords = n }

// SetSortMemory makes staged imports of e sort in buffers of n bytes, so
// that tests spill many runs.
func SetSortMemory(e *Engine, n int) { e.sortMemory = n }
