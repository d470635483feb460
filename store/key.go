package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Kind is the type of one part of an encoded key. Its value is the tag byte
// that starts the part, so parts of different kinds order by Kind.
type Kind byte

// The kinds of key parts, in the order they sort.
const (
	KindBytes  Kind = 0x01
	KindString Kind = 0x02
	KindUint64 Kind = 0x10
	KindInt64  Kind = 0x11
	KindFalse  Kind = 0x20
	KindTrue   Kind = 0x21
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindBytes:
		return "bytes"
	case KindString:
		return "string"
	case KindUint64:
		return "uint64"
	case KindInt64:
		return "int64"
	case KindFalse, KindTrue:
		return "bool"
	}
	return "kind(0x" + strconv.FormatUint(uint64(k), 16) + ")"
}

// Escaping of strings and byte strings: 0x00 in the data is written as
// 0x00 0xFF, and the part ends with 0x00 0x01.
const (
	escByte  = 0x00
	escEsc   = 0xFF
	escEnd   = 0x01
	int64Off = 1 << 63
)

// ErrBadKey is matched (with errors.Is) by every *KeyError.
var ErrBadKey = errors.New("store: malformed key")

// KeyError reports a key that does not decode as asked.
type KeyError struct {
	Off  int  // offset in the key of the part that failed
	Want Kind // the kind asked for; 0 when any kind would do
	Got  Kind // the tag found; 0 when the key ended
	Msg  string
}

func (e *KeyError) Error() string {
	s := "store: malformed key at offset " + strconv.Itoa(e.Off) + ": " + e.Msg
	if e.Want != 0 {
		s += fmt.Sprintf(" (want %v, got %v)", e.Want, e.Got)
	}
	return s
}

// Unwrap returns ErrBadKey.
func (e *KeyError) Unwrap() error { return ErrBadKey }

// AppendString appends the encoding of s as a string part to dst.
func AppendString(dst []byte, s string) []byte { return appendEscaped(dst, KindString, s) }

// AppendBytes appends the encoding of b as a byte-string part to dst. A nil
// and an empty b encode alike.
func AppendBytes(dst, b []byte) []byte { return appendEscaped(dst, KindBytes, b) }

// appendEscaped appends the tag k, s with each 0x00 escaped, and the
// terminator.
func appendEscaped[S string | []byte](dst []byte, k Kind, s S) []byte {
	dst = append(dst, byte(k))
	for {
		i := indexZero(s)
		if i < 0 {
			dst = append(dst, s...)
			break
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, escByte, escEsc)
		s = s[i+1:]
	}
	return append(dst, escByte, escEnd)
}

func indexZero[S string | []byte](s S) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// AppendUint64 appends the encoding of v to dst (9 bytes).
func AppendUint64(dst []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, byte(KindUint64)), v)
}

// AppendInt64 appends the encoding of v to dst (9 bytes). Negative values
// sort before positive ones.
func AppendInt64(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, byte(KindInt64)), uint64(v)^int64Off)
}

// AppendBool appends the encoding of v to dst (1 byte); false sorts first.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, byte(KindTrue))
	}
	return append(dst, byte(KindFalse))
}

// PrefixEnd returns the smallest key that is greater than every key that
// starts with prefix, for use as IterOptions.End. It returns nil when there
// is none (prefix is empty or all 0xFF). prefix is not modified.
func PrefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xFF {
			end := make([]byte, i+1)
			copy(end, prefix)
			end[i]++
			return end
		}
	}
	return nil
}

// KeyBuilder builds a key part by part; the zero value is ready to use.
//
//	var kb store.KeyBuilder
//	key := kb.String("profile").Uint64(42).Key()
//
// Reset and reuse a builder to build keys without allocating.
type KeyBuilder struct {
	buf []byte
}

// NewKeyBuilder returns a builder that appends to buf[:0].
func NewKeyBuilder(buf []byte) *KeyBuilder { return &KeyBuilder{buf: buf[:0]} }

// String appends a string part.
func (b *KeyBuilder) String(s string) *KeyBuilder { b.buf = AppendString(b.buf, s); return b }

// Bytes appends a byte-string part.
func (b *KeyBuilder) Bytes(v []byte) *KeyBuilder { b.buf = AppendBytes(b.buf, v); return b }

// Uint64 appends a uint64 part.
func (b *KeyBuilder) Uint64(v uint64) *KeyBuilder { b.buf = AppendUint64(b.buf, v); return b }

// Int64 appends an int64 part.
func (b *KeyBuilder) Int64(v int64) *KeyBuilder { b.buf = AppendInt64(b.buf, v); return b }

// Bool appends a bool part.
func (b *KeyBuilder) Bool(v bool) *KeyBuilder { b.buf = AppendBool(b.buf, v); return b }

// Key returns the key built so far. It aliases the builder's buffer: it is
// valid until the next call on the builder; Copy it to keep it.
func (b *KeyBuilder) Key() []byte { return b.buf }

// Reset empties the builder, keeping its buffer.
func (b *KeyBuilder) Reset() { b.buf = b.buf[:0] }

// Part is one decoded part of a key. Kind says which field holds the value;
// for both bool kinds, Bool holds it.
type Part struct {
	Kind  Kind
	Bytes []byte // KindBytes
	Str   string // KindString
	Uint  uint64 // KindUint64
	Int   int64  // KindInt64
	Bool  bool   // KindFalse, KindTrue
}

// AppendPart appends the encoding of p to dst.
func AppendPart(dst []byte, p Part) []byte {
	switch p.Kind {
	case KindBytes:
		return AppendBytes(dst, p.Bytes)
	case KindString:
		return AppendString(dst, p.Str)
	case KindUint64:
		return AppendUint64(dst, p.Uint)
	case KindInt64:
		return AppendInt64(dst, p.Int)
	case KindFalse, KindTrue:
		return AppendBool(dst, p.Bool)
	}
	panic("store: AppendPart of unknown kind " + p.Kind.String())
}

// DecodeKey decodes every part of an encoded key. The Bytes of a byte-string
// part are freshly allocated. Any malformed input gives a *KeyError.
func DecodeKey(key []byte) ([]Part, error) {
	r := NewKeyReader(key)
	var parts []Part
	for !r.Done() {
		var p Part
		k, err := r.Peek()
		if err != nil {
			return nil, err
		}
		p.Kind = k
		switch k {
		case KindBytes:
			p.Bytes, err = r.Bytes(nil)
			if p.Bytes == nil {
				p.Bytes = []byte{}
			}
		case KindString:
			p.Str, err = r.String()
		case KindUint64:
			p.Uint, err = r.Uint64()
		case KindInt64:
			p.Int, err = r.Int64()
		case KindFalse, KindTrue:
			p.Bool, err = r.Bool()
		}
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// KeyReader decodes a key part by part, without allocating except for
// String. A method that fails returns a *KeyError and leaves the reader
// where it was.
type KeyReader struct {
	b   []byte
	off int
}

// NewKeyReader returns a reader of key.
func NewKeyReader(key []byte) *KeyReader { return &KeyReader{b: key} }

// Reset makes r read key from the start.
func (r *KeyReader) Reset(key []byte) { r.b, r.off = key, 0 }

// Done reports whether every part has been read.
func (r *KeyReader) Done() bool { return r.off >= len(r.b) }

// Rest returns the bytes not read yet.
func (r *KeyReader) Rest() []byte { return r.b[r.off:] }

// Peek returns the kind of the next part without reading it.
func (r *KeyReader) Peek() (Kind, error) {
	if r.Done() {
		return 0, r.err(0, 0, "unexpected end of key")
	}
	k := Kind(r.b[r.off])
	switch k {
	case KindBytes, KindString, KindUint64, KindInt64, KindFalse, KindTrue:
		return k, nil
	}
	return 0, r.err(0, k, "unknown tag")
}

func (r *KeyReader) err(want, got Kind, msg string) *KeyError {
	return &KeyError{Off: r.off, Want: want, Got: got, Msg: msg}
}

// tag checks that the next part has kind want.
func (r *KeyReader) tag(want Kind) error {
	if r.Done() {
		return r.err(want, 0, "unexpected end of key")
	}
	if got := Kind(r.b[r.off]); got != want {
		return r.err(want, got, "wrong kind")
	}
	return nil
}

// Bytes reads a byte-string part and appends it to dst.
func (r *KeyReader) Bytes(dst []byte) ([]byte, error) {
	if err := r.tag(KindBytes); err != nil {
		return dst, err
	}
	out, n, err := r.unescape(dst, KindBytes)
	if err != nil {
		return dst, err
	}
	r.off += n
	return out, nil
}

// String reads a string part.
func (r *KeyReader) String() (string, error) {
	if err := r.tag(KindString); err != nil {
		return "", err
	}
	// Fast path: no escapes, convert the span directly.
	body := r.b[r.off+1:]
	if i := bytes.IndexByte(body, escByte); i >= 0 && i+1 < len(body) && body[i+1] == escEnd {
		s := string(body[:i])
		r.off += 1 + i + 2
		return s, nil
	}
	out, n, err := r.unescape(nil, KindString)
	if err != nil {
		return "", err
	}
	r.off += n
	return string(out), nil
}

// unescape decodes the escaped part at r.off (whose tag is k) onto dst and
// returns the encoded length.
func (r *KeyReader) unescape(dst []byte, k Kind) ([]byte, int, error) {
	body := r.b[r.off+1:]
	for i := 0; ; {
		j := bytes.IndexByte(body[i:], escByte)
		if j < 0 || i+j+1 >= len(body) {
			return dst, 0, r.err(k, k, "unterminated "+k.String())
		}
		dst = append(dst, body[i:i+j]...)
		i += j
		switch body[i+1] {
		case escEnd:
			return dst, 1 + i + 2, nil
		case escEsc:
			dst = append(dst, 0)
			i += 2
		default:
			return dst, 0, r.err(k, k, "bad escape in "+k.String())
		}
	}
}

func (r *KeyReader) fixed(k Kind) (uint64, error) {
	if err := r.tag(k); err != nil {
		return 0, err
	}
	if len(r.b)-r.off < 9 {
		return 0, r.err(k, k, "truncated "+k.String())
	}
	v := binary.BigEndian.Uint64(r.b[r.off+1:])
	r.off += 9
	return v, nil
}

// Uint64 reads a uint64 part.
func (r *KeyReader) Uint64() (uint64, error) { return r.fixed(KindUint64) }

// Int64 reads an int64 part.
func (r *KeyReader) Int64() (int64, error) {
	v, err := r.fixed(KindInt64)
	return int64(v ^ int64Off), err
}

// Bool reads a bool part.
func (r *KeyReader) Bool() (bool, error) {
	if r.Done() {
		return false, r.err(KindFalse, 0, "unexpected end of key")
	}
	switch Kind(r.b[r.off]) {
	case KindFalse:
		r.off++
		return false, nil
	case KindTrue:
		r.off++
		return true, nil
	}
	return false, r.err(KindFalse, Kind(r.b[r.off]), "wrong kind")
}
