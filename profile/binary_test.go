package profile

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRecordBinaryRoundTrip(t *testing.T) {
	rs := append(loadRecords(t), randomRecords(rand.New(rand.NewPCG(2, 2)), 300)...)
	rs = append(rs, &Record{}, &Record{Customer: &Customer{}, Order: &Order{Lines: []OrderLine{{Quantity: -3}}}, Event: &Event{}, Ticket: &Ticket{}})
	for _, r := range rs {
		b, err := r.AppendBinary([]byte("prefix"))
		if err != nil {
			t.Fatal(err)
		}
		var got Record
		if err := got.UnmarshalBinary(b[len("prefix"):]); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, &got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		b2, _ := got.MarshalBinary()
		if string(b2) != string(b[len("prefix"):]) {
			t.Error("encoding is not deterministic")
		}
	}
}

func TestRecordBinaryCorrupt(t *testing.T) {
	for _, r := range loadRecords(t) {
		b, _ := r.AppendBinary(nil)
		for n := range len(b) {
			var got Record
			err := got.UnmarshalBinary(b[:n])
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated to %d of %d bytes: error %v, want ErrCorrupt", n, len(b), err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Offset > int64(n) {
				t.Fatalf("error %#v: want a *FieldError within the data", err)
			}
		}
		var got Record
		if err := got.UnmarshalBinary(append(b, 0)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("trailing byte: %v, want ErrCorrupt", err)
		}
		b[0] = 99
		if err := got.UnmarshalBinary(b); !errors.Is(err, ErrVersion) {
			t.Errorf("version 99: %v, want ErrVersion", err)
		}
	}
}

func TestProfileBinaryRoundTrip(t *testing.T) {
	rs := loadRecords(t)
	last := rs[len(rs)-1]
	p := Derive("p-1", rs[:len(rs)-1], Options{})
	p.Aliases = []string{"p-7"}
	p.Segments = []string{"buyers", "vip"}
	b, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var got Profile
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, &got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	// A loaded profile goes on as the original would.
	p.Apply(last, Options{})
	got.Apply(last, Options{})
	if diff := cmp.Diff(p, &got); diff != "" {
		t.Errorf("Apply after round trip (-want +got):\n%s", diff)
	}
	for n := range len(b) {
		var q Profile
		if err := q.UnmarshalBinary(b[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v, want ErrCorrupt", n, err)
		}
	}
}
