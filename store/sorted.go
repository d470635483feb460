package store

import (
	"bytes"
	"fmt"
	"iter"
)

// EachSorted calls fn with each pair of kvs after checking what
// SortedLoader requires of it: keys non-empty (ErrEmptyKey) and strictly
// increasing (ErrUnsorted). It stops at the first error, fn's included.
// SortedLoader implementations share it so that they refuse alike.
func EachSorted(kvs iter.Seq2[[]byte, []byte], fn func(key, value []byte) error) error {
	var prev []byte
	n := 0
	for k, v := range kvs {
		if len(k) == 0 {
			return fmt.Errorf("%w: key %d", ErrEmptyKey, n)
		}
		if n > 0 && bytes.Compare(k, prev) <= 0 {
			return fmt.Errorf("%w: key %d", ErrUnsorted, n)
		}
		if err := fn(k, v); err != nil {
			return err
		}
		prev = append(prev[:0], k...)
		n++
	}
	return nil
}
