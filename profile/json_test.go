package profile

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

func TestDecodeJSON(t *testing.T) {
	line := `{"source":"webstore","id":"o-1001","kind":"order","time":"2026-03-01T14:00:00.5+02:00",
		"identifiers":[{"type":"email","value":"Jane@Example.com"},{"type":"phone","value":"040 1","normalized":"+3584","problem":""}],
		"customer":{"first_name":"J\u00e4ne","address":{"city":"Turku"},"attributes":{"vip":true,"n":null}},
		"order":{"order_id":"1001","currency":"EUR","total":59.9,"discount":"5","return":false,
			"lines":[{"sku":"A","quantity":2,"unit_price":"29.95","total":59.90}]},
		"event":null,
		"consents":[{"purpose":"email_marketing","status":"granted"},
			{"purpose":"sms_marketing","status":"withdrawn","time":"2026-02-01T00:00:00Z","source":"app","record_id":"x","scope":{"type":"phone","value":"+3584"}}],
		"properties":{"s":"a\"b\\c\n\ud83d\ude00","f":-1.5e3,"b":false}}` + "\r\n"
	got, err := DecodeJSON([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	rt := time.Date(2026, 3, 1, 12, 0, 0, 5e8, time.UTC)
	want := &Record{
		Source: "webstore", ID: "o-1001", Kind: KindOrder, Time: rt,
		Identifiers: []Identifier{
			{Type: identity.TypeEmail, Raw: "Jane@Example.com"},
			{Type: identity.TypePhone, Raw: "040 1", Value: "+3584"},
		},
		Customer: &Customer{FirstName: "Jäne", Address: &Address{City: "Turku"}, Attributes: map[string]Value{"vip": BoolValue(true), "n": {}}},
		Order: &Order{OrderID: "1001", Currency: "EUR", Total: 5990, Discount: 500,
			Lines: []OrderLine{{SKU: "A", Quantity: 2, UnitPrice: 2995, Total: 5990}}},
		Consents: []consent.Consent{
			{Purpose: consent.EmailMarketing, Status: consent.Granted, Time: rt, Source: "webstore", RecordID: "o-1001"},
			{Purpose: consent.SMSMarketing, Status: consent.Withdrawn, Time: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
				Source: "app", RecordID: "x", Scope: &identity.ID{Type: identity.TypePhone, Value: "+3584"}},
		},
		Properties: map[string]Value{"s": StringValue("a\"b\\c\n😀"), "f": NumberValue(-1500), "b": BoolValue(false)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeJSON (-want +got):\n%s", diff)
	}
	if got.Time.Location() != time.UTC {
		t.Errorf("time not in UTC: %v", got.Time.Location())
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantErr    error
		wantField  string
		wantRecord string
		wantOffset int64 // -1: do not check
	}{
		{"unknown field", `{"source":"s","id":"1","colour":1}`, ErrUnknownField, "colour", "s/1", 23},
		{"unknown nested field", `{"order":{"colour":1},"source":"s","id":"1"}`, ErrUnknownField, "order.colour", "s/1", -1},
		{"fractional quantity", `{"source":"s","id":"1","order":{"lines":[{},{},{"quantity":1.5}]}}`, ErrInvalid, "order.lines[2].quantity", "s/1", 59},
		{"three decimals", `{"order":{"total":"59.999"},"source":"s","id":"1"}`, ErrMoneyPrecision, "order.total", "s/1", 18},
		{"money overflow", `{"order":{"total":1e400}}`, ErrMoneyRange, "order.total", "", -1},
		{"money NaN", `{"order":{"total":"NaN"}}`, ErrMoneySyntax, "order.total", "", -1},
		{"money wrong type", `{"order":{"total":true}}`, ErrSyntax, "order.total", "", -1},
		{"duplicate field", `{"source":"s","source":"t"}`, ErrDuplicateField, "source", "s/", -1},
		{"bad time", `{"id":"1","time":"yesterday"}`, ErrInvalid, "time", "/1", 17},
		{"bad date", `{"time":"2026-02-30T00:00:00Z"}`, ErrInvalid, "time", "", -1},
		{"time without zone", `{"time":"2026-02-03T00:00:00"}`, ErrInvalid, "time", "", -1},
		{"not an object", `[1]`, ErrSyntax, "", "", 0},
		{"empty", ``, ErrSyntax, "", "", 0},
		{"truncated", `{"source":"s"`, ErrSyntax, "", "s/", 13},
		{"trailing data", `{"source":"s"} x`, ErrSyntax, "", "s/", 15},
		{"nested value", `{"properties":{"a":{"b":1}}}`, ErrInvalid, `properties["a"]`, "", -1},
		{"duplicate property", `{"properties":{"a":1,"a":2}}`, ErrDuplicateField, `properties["a"]`, "", -1},
		{"number out of range", `{"properties":{"a":-1e400}}`, ErrInvalid, `properties["a"]`, "", -1},
		{"identifier value type", `{"identifiers":[{"type":"email","value":1}]}`, ErrSyntax, "identifiers[0].value", "", -1},
		{"invalid UTF-8", "{\"source\":\"\xff\"}", ErrSyntax, "source", "", -1},
		{"control character", "{\"source\":\"a\tb\"}", ErrSyntax, "source", "", -1},
		{"bad escape", `{"source":"a\qb"}`, ErrSyntax, "source", "", -1},
		{"leading zero", `{"order":{"lines":[{"quantity":01}]}}`, ErrSyntax, "order.lines[0].quantity", "", -1},
		{"consent scope field", `{"consents":[{"scope":{"type":"phone","valu":"1"}}]}`, ErrUnknownField, "consents[0].scope.valu", "", -1},
		{"bad bool", `{"order":{"return":"yes"}}`, ErrSyntax, "order.return", "", -1},
		{"missing colon", `{"source" "s"}`, ErrSyntax, "", "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeJSON([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeJSON error %v, want %v", err, tt.wantErr)
			}
			if r != nil {
				t.Errorf("DecodeJSON returned a record with an error")
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FieldError", err)
			}
			if fe.Field != tt.wantField || fe.Record != tt.wantRecord {
				t.Errorf("Field, Record = %q, %q; want %q, %q", fe.Field, fe.Record, tt.wantField, tt.wantRecord)
			}
			if tt.wantOffset >= 0 && fe.Offset != tt.wantOffset {
				t.Errorf("Offset = %d, want %d", fe.Offset, tt.wantOffset)
			}
		})
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		in      string
		want    Money
		wantErr error
	}{
		{"0", 0, nil},
		{"59.9", 5990, nil},
		{"59.90", 5990, nil},
		{"59.900000", 5990, nil},
		{"-0.05", -5, nil},
		{"1e3", 100000, nil},
		{"1.5E-1", 15, nil},
		{"0e999999", 0, nil},
		{"92233720368547758.07", 1<<63 - 1, nil},
		{"-92233720368547758.08", -1 << 63, nil},
		{"92233720368547758.08", 0, ErrMoneyRange},
		{"1e17", 0, ErrMoneyRange},
		{"99999999999999999999999", 0, ErrMoneyRange},
		{"0.001", 0, ErrMoneyPrecision},
		{"59.999", 0, ErrMoneyPrecision},
		{"1e-3", 0, ErrMoneyPrecision},
		{"NaN", 0, ErrMoneySyntax},
		{"Infinity", 0, ErrMoneySyntax},
		{"", 0, ErrMoneySyntax},
		{"-", 0, ErrMoneySyntax},
		{"1.", 0, ErrMoneySyntax},
		{".5", 0, ErrMoneySyntax},
		{"+1", 0, ErrMoneySyntax},
		{"01", 0, ErrMoneySyntax},
		{"1,5", 0, ErrMoneySyntax},
		{" 1", 0, ErrMoneySyntax},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseMoney(%q) error %v does not match ErrInvalid", tt.in, err)
		}
	}
	for m, want := range map[Money]string{0: "0.00", 5: "0.05", -5: "-0.05", 5990: "59.90", -1 << 63: "-92233720368547758.08"} {
		if got := m.String(); got != want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(m), got, want)
		}
	}
	// Money works with encoding/json too.
	var v struct{ A, B Money }
	if err := json.Unmarshal([]byte(`{"A":"1.25","B":3}`), &v); err != nil || v.A != 125 || v.B != 300 {
		t.Errorf("json.Unmarshal = %+v, %v", v, err)
	}
	if b, _ := json.Marshal(v); string(b) != `{"A":1.25,"B":3.00}` {
		t.Errorf("json.Marshal = %s", b)
	}
}

func TestValueJSON(t *testing.T) {
	for _, v := range []Value{{}, StringValue(""), StringValue("<a&b>\u2028"), NumberValue(0), NumberValue(-1.5e-9),
		NumberValue(1e21), NumberValue(123456789), BoolValue(true), BoolValue(false)} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got Value
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !got.Equal(v) {
			t.Errorf("%s decodes as %v, want %v", b, got, v)
		}
	}
	var v Value
	if err := v.UnmarshalJSON([]byte(`[1]`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("array: %v, want ErrInvalid", err)
	}
	if _, err := json.Marshal(NumberValue(0).withNaN()); err == nil {
		t.Error("NaN encoded without error")
	}
}

func (v Value) withNaN() Value { v.n = nan(); return v }

func TestRecordJSONRoundTrip(t *testing.T) {
	rs := loadRecords(t)
	rs = append(rs, randomRecords(rand.New(rand.NewPCG(1, 1)), 200)...)
	for _, r := range rs {
		// Random records come without consent defaults; decoding fills them.
		for i := range r.Consents {
			r.Consents[i] = r.Consent(i)
		}
		b, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeJSON(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Fatalf("round trip of %s (-want +got):\n%s", b, diff)
		}
		b2, _ := json.Marshal(got)
		if string(b2) != string(b) {
			t.Errorf("second encoding differs:\n%s\n%s", b, b2)
		}
	}
}

func TestAppendJSONErrors(t *testing.T) {
	for name, r := range map[string]*Record{
		"utf8":   {Source: "\xff"},
		"nan":    {Properties: map[string]Value{"a": NumberValue(nan())}},
		"key":    {Properties: map[string]Value{"\xff": {}}},
		"year":   {Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"string": {Customer: &Customer{Attributes: map[string]Value{"a": StringValue("\xff")}}},
	} {
		if _, err := r.AppendJSON(nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: AppendJSON error %v, want ErrInvalid", name, err)
		}
	}
}
