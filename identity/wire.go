package identity

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errCorrupt reports a stored value that does not decode: a bug or a disk
// problem, never user input.
var errCorrupt = errors.New("identity: corrupt stored value")

type writer struct{ b []byte }

func (w *writer) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *writer) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *writer) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *writer) bytes(p []byte)   { w.uvarint(uint64(len(p))); w.b = append(w.b, p...) }
func (w *writer) id(id ID)         { w.str(string(id.Type)); w.str(id.Value) }
func (w *writer) key(k RecordKey)  { w.varint(k.Time); w.str(k.Source); w.str(k.ID) }

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w (at %d bytes from the end)", errCorrupt, len(r.b))
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) raw() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) str() string    { return string(r.raw()) }
func (r *reader) id() ID         { t := r.str(); return ID{Type(t), r.str()} }
func (r *reader) key() RecordKey { t := r.varint(); s := r.str(); return RecordKey{t, s, r.str()} }
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) { // every element takes at least one byte
		r.fail()
		return 0
	}
	return int(n)
}

func (r *reader) setHash() SetHash {
	var h SetHash
	if len(r.b) < len(h) {
		r.fail()
		return h
	}
	copy(h[:], r.b)
	r.b = r.b[len(h):]
	return h
}
