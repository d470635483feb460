package profile

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
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

// TestBinaryLarge round-trips a record and a profile larger than the
// buffers the encoders and decoders keep on the stack.
func TestBinaryLarge(t *testing.T) {
	var rs []*Record
	for i := range 60 {
		r := &Record{Source: fmt.Sprint("src", i%7), ID: fmt.Sprint("r", i), Kind: KindEnrichment, Time: t0.Add(time.Duration(i) * time.Minute)}
		r.Identifiers = []Identifier{{Type: identity.TypeEmail, Raw: fmt.Sprint("e", i), Value: fmt.Sprint("e", i)}}
		r.Properties = map[string]Value{}
		for j := range 30 {
			r.Properties[fmt.Sprint("p", (i+j)%45)] = NumberValue(float64(i * j))
		}
		r.Order = &Order{Store: fmt.Sprint("store", i%20), Channel: fmt.Sprint("ch", i%18), Currency: fmt.Sprint("C", i%12), Total: Money(i)}
		for j := range 5 {
			r.Order.Lines = append(r.Order.Lines, OrderLine{SKU: fmt.Sprint(j), Category: fmt.Sprint("cat", i+j), Quantity: 1})
		}
		r.Event = &Event{Name: fmt.Sprint("ev", i%19), Category: fmt.Sprint("browse", i)}
		r.Consents = []consent.Consent{{Purpose: consent.Purpose(fmt.Sprint("p", i%11)), Status: consent.Granted}}
		rs = append(rs, r)
	}
	for _, r := range rs[:3] {
		b, _ := r.AppendBinary(nil)
		var got Record
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, &got); diff != "" {
			t.Fatalf("record round trip (-want +got):\n%s", diff)
		}
	}
	p := Derive("p", rs, Options{})
	if len(p.Attributes) < 40 || p.Consents.Len() < 10 || len(p.Traits.EventCounts) < 18 {
		t.Fatalf("profile too small: %d attributes, %d consents", len(p.Attributes), p.Consents.Len())
	}
	b, _ := p.AppendBinary(nil)
	var got Profile
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, &got); diff != "" {
		t.Fatalf("profile round trip (-want +got):\n%s", diff)
	}
	b2, _ := got.AppendBinary(nil)
	if !bytes.Equal(b, b2) {
		t.Error("profile encoding is not deterministic")
	}
}
