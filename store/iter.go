package store

import "bytes"

// Bounds returns the inclusive lower and exclusive upper bound of the keys
// o selects, combining Prefix with Start and End; nil means unbounded. The
// range is empty when both are set and lower >= upper.
func (o IterOptions) Bounds() (lower, upper []byte) {
	lower, upper = o.Start, o.End
	if len(o.Prefix) > 0 {
		if lower == nil || bytes.Compare(lower, o.Prefix) < 0 {
			lower = o.Prefix
		}
		if end := PrefixEnd(o.Prefix); end != nil && (upper == nil || bytes.Compare(end, upper) < 0) {
			upper = end
		}
	}
	return lower, upper
}
