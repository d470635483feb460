package store_test

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/store"
)

func encode(parts []store.Part) []byte {
	var b []byte
	for _, p := range parts {
		b = store.AppendPart(b, p)
	}
	return b
}

// comparePart is the tuple order the encoding must preserve.
func comparePart(a, b store.Part) int {
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	switch a.Kind {
	case store.KindBytes:
		return bytes.Compare(a.Bytes, b.Bytes)
	case store.KindString:
		return cmp.Compare(a.Str, b.Str)
	case store.KindUint64:
		return cmp.Compare(a.Uint, b.Uint)
	case store.KindInt64:
		return cmp.Compare(a.Int, b.Int)
	}
	return 0
}

func compareTuple(a, b []store.Part) int {
	return slices.CompareFunc(a, b, comparePart)
}

func bs(s string) store.Part  { return store.Part{Kind: store.KindBytes, Bytes: []byte(s)} }
func str(s string) store.Part { return store.Part{Kind: store.KindString, Str: s} }
func u64(v uint64) store.Part { return store.Part{Kind: store.KindUint64, Uint: v} }
func i64(v int64) store.Part  { return store.Part{Kind: store.KindInt64, Int: v} }
func boolean(v bool) store.Part {
	if v {
		return store.Part{Kind: store.KindTrue, Bool: true}
	}
	return store.Part{Kind: store.KindFalse}
}

func TestKeyRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		parts []store.Part
		want  []byte // nil: only check the round trip
	}{
		{"string", []store.Part{str("ab")}, []byte{0x02, 'a', 'b', 0, 1}},
		{"string with zero", []store.Part{str("a\x00b")}, []byte{0x02, 'a', 0, 0xFF, 'b', 0, 1}},
		{"empty string", []store.Part{str("")}, []byte{0x02, 0, 1}},
		{"bytes ff", []store.Part{bs("\xff\x00\x01")}, []byte{0x01, 0xFF, 0, 0xFF, 1, 0, 1}},
		{"empty bytes", []store.Part{bs("")}, []byte{0x01, 0, 1}},
		{"uint64", []store.Part{u64(258)}, []byte{0x10, 0, 0, 0, 0, 0, 0, 1, 2}},
		{"int64 -1", []store.Part{i64(-1)}, []byte{0x11, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{"int64 0", []store.Part{i64(0)}, []byte{0x11, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"bools", []store.Part{boolean(false), boolean(true)}, []byte{0x20, 0x21}},
		{"tuple", []store.Part{str("profile"), u64(math.MaxUint64), i64(math.MinInt64), bs("\x00\x00"), boolean(true)}, nil},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encode(tt.parts)
			if tt.want != nil {
				if diff := gocmp.Diff(tt.want, got); diff != "" {
					t.Errorf("encoding (-want +got):\n%s", diff)
				}
			}
			dec, err := store.DecodeKey(got)
			if err != nil {
				t.Fatalf("DecodeKey: %v", err)
			}
			if diff := gocmp.Diff(tt.parts, dec); diff != "" {
				t.Errorf("DecodeKey (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyBuilderAndReader(t *testing.T) {
	kb := store.NewKeyBuilder(make([]byte, 0, 64))
	key := store.Copy(kb.String("id").Bytes([]byte("e\x00m")).Uint64(7).Int64(-7).Bool(true).Key())
	if allocs := testing.AllocsPerRun(100, func() {
		kb.Reset()
		kb.String("id").Bytes([]byte("x")).Uint64(7).Int64(-7).Bool(false)
	}); allocs != 0 {
		t.Errorf("KeyBuilder allocates %v times, want 0", allocs)
	}
	r := store.NewKeyReader(key)
	s, err1 := r.String()
	b, err2 := r.Bytes(nil)
	u, err3 := r.Uint64()
	i, err4 := r.Int64()
	v, err5 := r.Bool()
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		t.Fatal(err)
	}
	type got struct {
		S string
		B []byte
		U uint64
		I int64
		V bool
	}
	if diff := gocmp.Diff(got{"id", []byte("e\x00m"), 7, -7, true}, got{s, b, u, i, v}); diff != "" {
		t.Errorf("read (-want +got):\n%s", diff)
	}
	if !r.Done() {
		t.Errorf("reader not done, rest %q", r.Rest())
	}
	if _, err := r.Uint64(); !errors.Is(err, store.ErrBadKey) {
		t.Errorf("read past end: err = %v, want ErrBadKey", err)
	}
	r.Reset(key)
	_, err := r.Uint64()
	var ke *store.KeyError
	if !errors.As(err, &ke) || ke.Want != store.KindUint64 || ke.Got != store.KindString || ke.Off != 0 {
		t.Errorf("wrong kind: err = %#v", err)
	}
	if s, err := r.String(); err != nil || s != "id" {
		t.Errorf("String after failed read = %q, %v; want reader unchanged", s, err)
	}
}

func TestKeyMalformed(t *testing.T) {
	for _, in := range []string{
		"\x02abc",           // unterminated
		"\x02a\x00",         // unterminated after escape byte
		"\x02a\x00\x02",     // bad escape
		"\x01\x00",          // unterminated bytes
		"\x10\x00\x00",      // truncated uint
		"\x11",              // truncated int
		"\x7f",              // unknown tag
		"\x02a\x00\x01\x00", // unknown tag after a good part
	} {
		_, err := store.DecodeKey([]byte(in))
		var ke *store.KeyError
		if !errors.As(err, &ke) || !errors.Is(err, store.ErrBadKey) {
			t.Errorf("DecodeKey(%q) = %v, want *KeyError", in, err)
		}
	}
}

func randPart(r *rand.Rand) store.Part {
	const alphabet = "\x00\x01\x02ab\xfe\xff"
	randStr := func() string {
		b := make([]byte, r.IntN(5))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	switch r.IntN(5) {
	case 0:
		return bs(randStr())
	case 1:
		return str(randStr())
	case 2:
		return u64([]uint64{0, 1, 255, 256, math.MaxUint64, r.Uint64()}[r.IntN(6)])
	case 3:
		return i64([]int64{0, -1, 1, math.MinInt64, math.MaxInt64, r.Int64() - math.MaxInt64/2}[r.IntN(6)])
	}
	return boolean(r.IntN(2) == 0)
}

func randTuple(r *rand.Rand) []store.Part {
	t := make([]store.Part, r.IntN(4))
	for i := range t {
		t[i] = randPart(r)
	}
	return t
}

// TestKeyOrder checks that bytes.Compare on encodings agrees with tuple
// order, that distinct tuples encode distinctly, and that a tuple's encoding
// prefixes the encoding of its extensions.
func TestKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tuples := make([][]store.Part, 3000)
	for i := range tuples {
		tuples[i] = randTuple(r)
	}
	for i := range 20000 {
		a, b := tuples[r.IntN(len(tuples))], tuples[r.IntN(len(tuples))]
		ea, eb := encode(a), encode(b)
		if want, got := compareTuple(a, b), bytes.Compare(ea, eb); want != got {
			t.Fatalf("case %d: compare(%v, %v) = %d, encodings compare %d", i, a, b, want, got)
		}
		ab := append(slices.Clone(a), b...)
		if !bytes.HasPrefix(encode(ab), ea) {
			t.Fatalf("encode(%v) is not a prefix of encode(%v)", a, ab)
		}
	}
	byTuple := slices.Clone(tuples)
	slices.SortFunc(byTuple, compareTuple)
	byBytes := slices.Clone(tuples)
	slices.SortFunc(byBytes, func(a, b []store.Part) int { return bytes.Compare(encode(a), encode(b)) })
	for i := range byTuple {
		if compareTuple(byTuple[i], byBytes[i]) != 0 {
			t.Fatalf("sorted orders differ at %d: %v vs %v", i, byTuple[i], byBytes[i])
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ in, want []byte }{
		{nil, nil},
		{[]byte{}, nil},
		{[]byte{0xFF, 0xFF}, nil},
		{[]byte{1, 2}, []byte{1, 3}},
		{[]byte{1, 0xFF}, []byte{2}},
		{[]byte{0, 0xFF, 0xFF}, []byte{1}},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		if diff := gocmp.Diff(tt.want, store.PrefixEnd(in)); diff != "" {
			t.Errorf("PrefixEnd(%x) (-want +got):\n%s", tt.in, diff)
		}
		if !bytes.Equal(in, tt.in) {
			t.Errorf("PrefixEnd modified its input")
		}
	}
}

func FuzzKey(f *testing.F) {
	f.Add([]byte("\x02a\x00\xff\x00\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01"), "s", []byte{0}, uint64(1), int64(-1), true)
	f.Add([]byte{}, "", []byte(nil), uint64(0), int64(0), false)
	f.Fuzz(func(t *testing.T, raw []byte, s string, b []byte, u uint64, i int64, v bool) {
		// Arbitrary bytes: typed error or a canonical encoding.
		parts, err := store.DecodeKey(raw)
		if err != nil {
			if !errors.Is(err, store.ErrBadKey) {
				t.Fatalf("DecodeKey(%q): untyped error %v", raw, err)
			}
		} else if enc := encode(parts); !bytes.Equal(enc, raw) {
			t.Fatalf("DecodeKey(%q) = %v, which encodes as %q", raw, parts, enc)
		}
		// Typed values: round trip.
		if b == nil {
			b = []byte{}
		}
		want := []store.Part{str(s), bs(string(b)), u64(u), i64(i), boolean(v)}
		got, err := store.DecodeKey(encode(want))
		if err != nil {
			t.Fatalf("DecodeKey(encode(%v)): %v", want, err)
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		// Order of the string and byte parts against the raw input.
		if c1, c2 := bytes.Compare([]byte(s), raw), bytes.Compare(store.AppendString(nil, s), store.AppendString(nil, string(raw))); c1 != c2 {
			t.Fatalf("order of %q vs %q: %d, encoded %d", s, raw, c1, c2)
		}
	})
}
