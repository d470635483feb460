package profile

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

func validRecord() *Record {
	return &Record{
		Source: "webstore", ID: "o-1", Kind: KindOrder, Time: t0,
		Identifiers: []Identifier{{Type: identity.TypeEmail, Raw: "a@b.c"}},
		Order:       &Order{Currency: "EUR", Total: 100, Lines: []OrderLine{{Quantity: 1, Total: 100}}},
	}
}

func TestValidate(t *testing.T) {
	type problem struct {
		Field string
		Err   error
	}
	tests := []struct {
		name   string
		change func(r *Record)
		want   []problem
	}{
		{"valid", func(r *Record) {}, nil},
		{"user-defined kind", func(r *Record) { r.Kind = "loyalty_points"; r.Order = nil }, nil},
		{"missing basics", func(r *Record) { *r = Record{} }, []problem{
			{"source", ErrMissing}, {"id", ErrMissing}, {"kind", ErrMissing}, {"time", ErrMissing}, {"identifiers", ErrMissing}}},
		{"bad kind", func(r *Record) { r.Kind = "Order" }, []problem{{"kind", ErrInvalid}}},
		{"identifier without value", func(r *Record) { r.Identifiers = append(r.Identifiers, Identifier{Type: "email"}) },
			[]problem{{"identifiers[1].value", ErrMissing}}},
		{"identifier without type", func(r *Record) { r.Identifiers[0].Type = "" }, []problem{{"identifiers[0].type", ErrMissing}}},
		{"order payload missing", func(r *Record) { r.Order = nil }, []problem{{"order", ErrMissing}}},
		{"consent payload missing", func(r *Record) { r.Kind = KindConsent; r.Order = nil }, []problem{{"consents", ErrMissing}}},
		{"negative quantity", func(r *Record) { r.Order.Lines[0].Quantity = -1 }, []problem{{"order.lines[0].quantity", ErrInvalid}}},
		{"currency lower-case", func(r *Record) { r.Order.Currency = "eur" }, []problem{{"order.currency", ErrInvalid}}},
		{"currency missing", func(r *Record) { r.Order.Currency = "" }, []problem{{"order.currency", ErrMissing}}},
		{"no currency needed without amounts", func(r *Record) { r.Order = &Order{OrderID: "1"} }, nil},
		{"bad birthdate", func(r *Record) { r.Customer = &Customer{Birthdate: "12.4.1988"} }, []problem{{"customer.birthdate", ErrInvalid}}},
		{"reserved attribute", func(r *Record) {
			r.Customer = &Customer{Attributes: map[string]Value{"first_name": StringValue("x"), "address.city": {}, "ok": {}}}
		}, []problem{{`customer.attributes["address.city"]`, ErrInvalid}, {`customer.attributes["first_name"]`, ErrInvalid}}},
		{"empty property name", func(r *Record) { r.Properties = map[string]Value{"": {}} }, []problem{{`properties[""]`, ErrMissing}}},
		{"NaN property", func(r *Record) { r.Properties = map[string]Value{"x": NumberValue(nan())} }, []problem{{`properties["x"]`, ErrInvalid}}},
		{"reserved enrichment property", func(r *Record) {
			r.Kind, r.Order, r.Properties = KindEnrichment, nil, map[string]Value{"address": {}}
		}, []problem{{`properties["address"]`, ErrInvalid}}},
		{"unknown consent status", func(r *Record) {
			r.Consents = []consent.Consent{{Purpose: consent.Push, Status: "yes"}}
		}, []problem{{"consents[0].status", consent.ErrStatus}}},
		{"bad consent purpose", func(r *Record) {
			r.Consents = []consent.Consent{{Purpose: "Push!", Status: consent.Granted, Time: time.Now()}}
		}, []problem{{"consents[0].purpose", consent.ErrPurpose}}},
		{"invalid UTF-8", func(r *Record) { r.Source = "\xff" }, []problem{{"source", ErrInvalid}}},
		{"invalid UTF-8 in the parts", func(r *Record) {
			r.Identifiers[0].Raw, r.Identifiers[0].Problem = "\xff", "\xfe"
			r.Order.Lines[0].Category, r.Order.Store = "\xff", "\xff"
			r.Customer = &Customer{FirstName: "\xff", Address: &Address{City: "\xff"}}
		}, []problem{{"identifiers[0].value", ErrInvalid}, {"identifiers[0].problem", ErrInvalid}, {"customer.first_name", ErrInvalid},
			{"customer.address.city", ErrInvalid}, {"order.lines[0].category", ErrInvalid}, {"order.store", ErrInvalid}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRecord()
			tt.change(r)
			err := r.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want an error matching ErrInvalid", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T, want *ValidationError", err)
			}
			if ve.Record != r.Key() {
				t.Errorf("Record = %q, want %q", ve.Record, r.Key())
			}
			var gotFields, wantFields []string
			for _, p := range ve.Problems {
				gotFields = append(gotFields, p.Field)
			}
			for _, p := range tt.want {
				wantFields = append(wantFields, p.Field)
			}
			if diff := cmp.Diff(wantFields, gotFields); diff != "" {
				t.Fatalf("problem fields (-want +got):\n%s", diff)
			}
			for i, p := range ve.Problems {
				if !errors.Is(p, tt.want[i].Err) {
					t.Errorf("problem %v does not match %v", p, tt.want[i].Err)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.want[0].Field {
				t.Errorf("errors.As found %v, want the first problem", fe)
			}
			if !errors.Is(err, tt.want[0].Err) {
				t.Errorf("errors.Is(err, %v) = false", tt.want[0].Err)
			}
		})
	}
}
