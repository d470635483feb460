package profile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func jsonSeeds(f *testing.F) {
	data, err := os.ReadFile("testdata/records.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for line := range bytes.Lines(data) {
		f.Add(line)
	}
	for _, s := range []string{`{}`, `{"order":{"total":"1e3"}}`, `{"time":"0000-01-01T00:00:00+01:00"}`,
		`{"properties":{"a":"\ud800","b":1e-400}}`, `{"source":"s\u2028"}`} {
		f.Add([]byte(s))
	}
}

// checkDecodeError demands a *FieldError wrapping one of the sentinels.
func checkDecodeError(t *testing.T, err error, sentinels ...error) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T %v is not a *FieldError", err, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps none of the sentinels", err)
}

func FuzzDecodeJSON(f *testing.F) {
	jsonSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := DecodeJSON(line)
		if err != nil {
			checkDecodeError(t, err, ErrSyntax, ErrUnknownField, ErrDuplicateField, ErrInvalid)
			return
		}
		out, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, err := DecodeJSON(out)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if diff := cmp.Diff(r, r2); diff != "" {
			t.Fatalf("JSON round trip of %s (-want +got):\n%s", out, diff)
		}
		r.Validate() // must not panic
		bin, _ := r.AppendBinary(nil)
		var r3 Record
		if err := r3.UnmarshalBinary(bin); err != nil {
			t.Fatalf("binary round trip: %v", err)
		}
		if diff := cmp.Diff(r, &r3); diff != "" {
			t.Fatalf("binary round trip (-want +got):\n%s", diff)
		}
		p := Derive("p", []*Record{r, r2}, Options{}) // must not panic
		pb, _ := p.AppendBinary(nil)
		var p2 Profile
		if err := p2.UnmarshalBinary(pb); err != nil {
			t.Fatalf("profile binary round trip: %v", err)
		}
	})
}

func FuzzRecordBinary(f *testing.F) {
	rs := loadRecords(f)
	rs = append(rs, randomRecords(rand.New(rand.NewPCG(9, 9)), 20)...)
	for _, r := range rs {
		b, _ := r.AppendBinary(nil)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{recordFormat})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if err := r.UnmarshalBinary(b); err != nil {
			checkDecodeError(t, err, ErrCorrupt, ErrVersion)
			return
		}
		out, err := r.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var r2 Record
		if err := r2.UnmarshalBinary(out); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if diff := cmp.Diff(&r, &r2); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		if !bytes.Equal(out, b) {
			// Decoding accepts only canonical encodings but for varints with
			// redundant bytes; re-encoding must then be stable.
			out2, _ := r2.AppendBinary(nil)
			if !bytes.Equal(out, out2) {
				t.Fatal("encoding not stable")
			}
		}
		r.Validate() // must not panic
		p := &Profile{}
		p.Apply(&r, Options{})
		var p2 Profile
		pb, _ := p.AppendBinary(nil)
		if err := p2.UnmarshalBinary(pb); err != nil {
			t.Fatalf("profile round trip: %v", err)
		}
		if diff := cmp.Diff(p, &p2); diff != "" {
			t.Fatalf("profile round trip (-want +got):\n%s", diff)
		}
	})
}

func FuzzProfileBinary(f *testing.F) {
	p := Derive("p", loadRecords(f), Options{})
	b, _ := p.AppendBinary(nil)
	f.Add(b)
	rng := rand.New(rand.NewPCG(5, 5))
	for range 8 {
		p := Derive("p", randomRecords(rng, 1+rng.IntN(30)), Options{})
		p.Aliases = []string{"a"}
		b, _ := p.AppendBinary(nil)
		f.Add(b)
	}
	// Tables of numbers that fill the decoder's buffers, and overflow them.
	for _, width := range []int{5, 11} {
		b, _ := Derive("p", tableRecords(rng, 40, width), Options{}).AppendBinary(nil)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Profile
		if err := p.UnmarshalBinary(b); err != nil {
			checkDecodeError(t, err, ErrCorrupt, ErrVersion)
			return
		}
		out, _ := p.AppendBinary(nil)
		var p2 Profile
		if err := p2.UnmarshalBinary(out); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if diff := cmp.Diff(&p, &p2); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}
