package profile

import (
	"bytes"
	"cmp"
	"encoding/json"
	"iter"
	"slices"
	"strings"
)

// Entry is one key and its value in a Table.
type Entry[K ~string, V any] struct {
	Key   K
	Value V
}

// Table is a small map kept as a slice of entries sorted by key, each key
// once. Profiles hold many small maps (attributes, counts by channel, by
// store, by event name); as slices they decode with one allocation, iterate
// in key order and compare with cmp.Diff.
//
// The zero value (nil) is an empty table ready to use. Get, Set, Ref and
// Delete find a key by binary search; len gives the number of entries and
// range visits them in key order. A Table built by hand, as a literal or
// with append, must keep its keys strictly ascending (byte-wise, as Go
// compares strings): the methods assume it. slices.Clone copies one.
//
// In JSON a Table is an object, with its keys in order, like a Go map; an
// object decodes into a Table in any key order, the last of repeated keys
// winning.
type Table[K ~string, V any] []Entry[K, V]

// search returns the index of key k, or where it would be inserted, and
// whether it is present.
func (t Table[K, V]) search(k K) (int, bool) {
	i, j := 0, len(t)
	for i < j {
		h := int(uint(i+j) >> 1)
		switch c := strings.Compare(string(t[h].Key), string(k)); {
		case c < 0:
			i = h + 1
		case c > 0:
			j = h
		default:
			return h, true
		}
	}
	return i, false
}

// Get returns the value of k and whether t holds k; the zero value if not.
func (t Table[K, V]) Get(k K) (V, bool) {
	if i, ok := t.search(k); ok {
		return t[i].Value, true
	}
	var zero V
	return zero, false
}

// Set sets the value of k, adding k in its place if absent.
func (t *Table[K, V]) Set(k K, v V) {
	i, ok := t.search(k)
	if ok {
		(*t)[i].Value = v
		return
	}
	*t = slices.Insert(*t, i, Entry[K, V]{Key: k, Value: v})
}

// Ref returns a pointer to the value of k, adding k with the zero value if
// absent; for counters: *t.Ref(k)++. The pointer is valid until the next
// change of t's keys (Set of a new key, Ref of a new key, Delete).
func (t *Table[K, V]) Ref(k K) *V {
	i, ok := t.search(k)
	if !ok {
		*t = slices.Insert(*t, i, Entry[K, V]{Key: k})
	}
	return &(*t)[i].Value
}

// Delete removes k from t, if present.
func (t *Table[K, V]) Delete(k K) {
	if i, ok := t.search(k); ok {
		*t = slices.Delete(*t, i, i+1)
	}
}

// All returns an iterator over the keys and values in key order.
// maps.Collect(t.All()) makes a map of them.
func (t Table[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for _, e := range t {
			if !yield(e.Key, e.Value) {
				return
			}
		}
	}
}

// MarshalJSON encodes t as a JSON object with the keys in order, as
// encoding/json encodes a map; nil encodes as null.
func (t Table[K, V]) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	// Without HTML escaping: encoding/json escapes the result again as the
	// caller's Encoder asks, so that a Table comes out as a map would.
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, e := range t {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(string(e.Key)); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(e.Value); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON decodes a JSON object into t as encoding/json decodes one
// into a map: it adds to the entries t holds, the last of repeated keys
// wins, and null makes t nil.
func (t *Table[K, V]) UnmarshalJSON(b []byte) error {
	var m map[K]V
	if *t != nil {
		m = make(map[K]V, len(*t))
		for _, e := range *t {
			m[e.Key] = e.Value
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		*t = nil
		return nil
	}
	s := make(Table[K, V], 0, len(m))
	for k, v := range m {
		s = append(s, Entry[K, V]{Key: k, Value: v})
	}
	slices.SortFunc(s, func(a, b Entry[K, V]) int { return cmp.Compare(a.Key, b.Key) })
	*t = s
	return nil
}
