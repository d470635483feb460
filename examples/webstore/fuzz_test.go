package main

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/unifycdp/unify"
)

// The fuzz targets of the POST endpoints: random bodies through the
// handler. The service must answer 2xx, or 4xx with a JSON error that
// names the field at fault when the body is a JSON object, never 5xx, and
// posting the same body again must change nothing. Run one with
//
//	go test ./examples/webstore -run '^$' -fuzz '^FuzzOrders$' -fuzztime 60s

// fuzzHandler opens one engine for a fuzz target, with a fixed clock so
// that a body posted twice makes the same record.
func fuzzHandler(f *testing.F) (http.Handler, *unify.Engine) {
	eng, err := unify.Open(f.Context(), unify.Options{Dir: filepath.Join(f.TempDir(), "store"), PhoneRegion: "FI", Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { eng.Close() })
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return newServer(eng, serverOptions{Logger: quiet, Now: func() time.Time { return now }}), eng
}

// post posts body to path and checks the answer; it returns the status.
func post(t *testing.T, h http.Handler, path string, body []byte) (int, ingestAnswer) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", path, bytes.NewReader(body)))
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("POST %s %q: %d, Content-Type %q", path, body, w.Code, ct)
	}
	var ans ingestAnswer
	switch {
	case w.Code == http.StatusOK || w.Code == http.StatusCreated:
		if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || ans.Record == "" || ans.Profile == "" ||
			(ans.Status == unify.Added) != (w.Code == http.StatusCreated) ||
			ans.Status != unify.Added && ans.Status != unify.Replaced && ans.Status != unify.Unchanged {
			t.Fatalf("POST %s %q: %d %s (%v)", path, body, w.Code, w.Body, err)
		}
	case w.Code >= 400 && w.Code < 500:
		var e apiError
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Msg == "" {
			t.Fatalf("POST %s %q: %d %s (%v)", path, body, w.Code, w.Body, err)
		}
		if e.Field == "" && isObject(body) {
			t.Fatalf("POST %s %q: %d %s names no field", path, body, w.Code, w.Body)
		}
	default:
		t.Fatalf("POST %s %q: %d %s", path, body, w.Code, w.Body)
	}
	return w.Code, ans
}

// isObject reports whether body is one well-formed JSON object (in UTF-8,
// as RFC 8259 wants, which json.Valid does not check).
func isObject(body []byte) bool {
	return utf8.Valid(body) && json.Valid(body) && bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{"))
}

// fuzzPost is the body of the fuzz targets: a body posted twice. check,
// when not nil, checks what a 2xx answer stored.
func fuzzPost(f *testing.F, path string, check func(t *testing.T, eng *unify.Engine, body []byte, ans ingestAnswer), seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{``, `{`, `[1,2]`, `null`, `{}`, `{"colour":"red"}`, `{"time":5}`, `{} {}`, `"x"`} {
		f.Add([]byte(s))
	}
	h, eng := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		code, ans := post(t, h, path, body)
		if code < 400 && check != nil {
			check(t, eng, body, ans)
		}
		again, ans2 := post(t, h, path, body)
		switch {
		case code >= 400 && again != code:
			t.Fatalf("POST %s %q: %d, then %d", path, body, code, again)
		case code < 400 && (again != http.StatusOK || ans2.Status != unify.Unchanged || ans2.Record != ans.Record):
			t.Fatalf("POST %s %q again: %d %+v, want it unchanged", path, body, again, ans2)
		}
	})
}

func FuzzEvents(f *testing.F) {
	fuzzPost(f, "/events", nil,
		`{"cookie":"ck-3f9a","name":"product_view","category":"curtains","url":"/p/c-200","time":"2026-03-02T09:00:00Z"}`,
		`{"id":"k-1","customer_id":"c-42","email":"Jane.Doe@Posti.fi","name":"search","query":"linen","campaign":"spring"}`,
		`{"cookie":"ck-1","name":"page_view","time":"yesterday"}`,
		`{"cookie":"ck-1","name":"page_view","time":"0000-01-01T00:00:00+01:00"}`,
		`{"cookie":"ck-1"}`, `{"name":"page_view"}`, `{"email":"not an email","name":"x"}`,
		`{"cookie":"ck-1","name":"page_view","colour":"red"}`, `{"cookie":"ck-1",`, `{"cookie":1,"name":"x"}`,
		`{"cookie":"ck-1","name":"x","id":"`+strings.Repeat("x", 300)+`"}`)
}

// checkOrder checks the amounts of a stored order: a line's total,
// when not given, is its quantity times its unit price, and the order's
// total the sum of the lines less the discount, exactly.
func checkOrder(t *testing.T, eng *unify.Engine, body []byte, ans ingestAnswer) {
	t.Helper()
	var q orderRequest
	if err := json.Unmarshal(body, &q); err != nil {
		t.Fatalf("POST /orders %q: accepted, but %v", body, err)
	}
	src, id, _ := strings.Cut(ans.Record, "/")
	rec, err := eng.Record(t.Context(), src, id)
	if err != nil {
		t.Fatal(err)
	}
	o := rec.Order
	if len(o.Lines) != len(q.Lines) {
		t.Fatalf("POST /orders %q: %d lines stored", body, len(o.Lines))
	}
	sum := new(big.Int)
	for i, l := range o.Lines {
		lt := big.NewInt(int64(l.Total))
		if q.Lines[i].Total == nil {
			if want := new(big.Int).Mul(big.NewInt(int64(l.UnitPrice)), big.NewInt(int64(l.Quantity))); lt.Cmp(want) != 0 {
				t.Fatalf("POST /orders %q: line %d total %v, want %v × %v", body, i, l.Total, l.Quantity, l.UnitPrice)
			}
		}
		sum.Add(sum, lt)
	}
	if q.Total == nil {
		if want := sum.Sub(sum, big.NewInt(int64(o.Discount))); want.Cmp(big.NewInt(int64(o.Total))) != 0 {
			t.Fatalf("POST /orders %q: total %v, want %v", body, o.Total, want)
		}
	}
}

func FuzzOrders(f *testing.F) {
	fuzzPost(f, "/orders", checkOrder,
		`{"order_id":"1001","email":"jane.doe@posti.fi","cookie":"ck-3f9a","coupon":"CURTAINS20","time":"2026-03-05T12:00:00Z",
		  "lines":[{"sku":"C-200","name":"Linen curtain","category":"curtains","quantity":2,"unit_price":"44.95"}],
		  "consents":{"email_marketing":true}}`,
		`{"order_id":"1002","customer_id":"c-42","phone":"040 123 4567","currency":"sek","total":89.90,"discount":"10",
		  "lines":[{"sku":"C-200","quantity":2,"unit_price":44.95,"total":89.90},{"quantity":0}]}`,
		`{"order_id":"1","email":"a@b.fi","lines":[{"quantity":"two"}]}`,
		`{"order_id":"1","email":"a@b.fi","lines":[{"quantity":1},{"quantity":1,"unit_price":"12,50"}]}`,
		`{"order_id":"1","lines":[]}`, `{"email":"a@b.fi"}`, `{"order_id":"1","email":"a@b.fi","currency":"euro"}`,
		`{"order_id":"1","email":"a@b.fi","lines":[{"quantity":-1}]}`,
		`{"order_id":"2","email":"a@b.fi","lines":[{"quantity":3037000500,"unit_price":30370005.00}]}`,
		`{"order_id":"3","email":"a@b.fi","total":"92233720368547758.07","discount":"-92233720368547758.08"}`,
		`{"order_id":"4","email":"a@b.fi","lines":[{"quantity":1,"unit_price":92233720368547758.07},{"quantity":1,"unit_price":1}]}`,
		`{"order_id":"5","email":"a@b.fi","consents":{"SMS!":true}}`)
}

func FuzzCustomers(f *testing.F) {
	fuzzPost(f, "/customers", nil,
		`{"customer_id":"c-42","phone":"040 123 4567","email":"Jane.Doe@Posti.fi","first_name":"Jane","last_name":"Doe",
		  "consents":{"sms_marketing":true},"time":"2026-03-04T11:00:00+02:00"}`,
		`{"loyalty_card":"7001 2345","cookie":"ck-1","birthdate":"1988-04-12","language":"fi",
		  "address":{"street":"Mannerheimintie 1","postal_code":"00100","city":"Helsinki","country":"FI"}}`,
		`{"email":"not an email"}`, `{"phone":"12"}`, `{"email":"a@b.fi","consents":{"SMS!":true}}`,
		`{"email":"a@b.fi","birthdate":"12.4.1988"}`, `{"email":"a@b.fi","address":{"colour":"red"}}`,
		`{"id":"x","email":"a@b.fi","address":null,"consents":null}`)
}

func FuzzRecords(f *testing.F) {
	fuzzPost(f, "/records", nil,
		`{"source":"crm","id":"c-1","kind":"customer","time":"2026-03-02T09:00:00Z","identifiers":[{"type":"email","value":"A@B.fi"}],"customer":{"first_name":"A"}}`,
		`{"source":"web","id":"x","kind":"event","time":5}`,
		`{"source":"web","id":"x","kind":"event","time":"2026-03-02T09:00:00Z","identifiers":[{"type":"cookie","value":"c"}]}`,
		`{"source":"webstore","id":"order-1001","kind":"order","time":"2026-03-05T12:00:00Z","identifiers":[{"type":"email","value":"jane.doe@posti.fi"},{"type":"cookie","value":"ck-3f9a"}],"order":{"order_id":"1001","channel":"web","currency":"EUR","total":89.90,"coupon":"CURTAINS20","lines":[{"sku":"C-200","name":"Linen curtain","category":"curtains","quantity":2,"unit_price":44.95,"total":89.90}]},"consents":[{"purpose":"email_marketing","status":"granted"}]}`,
		`{"source":"pos","id":"signup-88","kind":"customer","time":"2026-03-04T11:00:00Z","identifiers":[{"type":"loyalty_card","value":"7001 2345"},{"type":"phone","value":"040 123 4567"}],"customer":{"first_name":"Jane","attributes":{"tier":"gold","points":1200}},"properties":{"nps":9}}`,
		`{"source":"s","id":"`+strings.Repeat("i", 300)+`","kind":"event","time":"2026-03-02T09:00:00Z","identifiers":[{"type":"member","value":"m"}],"event":{"name":"x"}}`)
}

// Inputs the fuzz targets found, as regression tests.
func TestFuzzFindings(t *testing.T) {
	eng := openEngine(t)
	h := newServer(eng, serverOptions{Logger: quiet})
	long := strings.Repeat("x", 70000)
	event := func(id, typ string) string {
		return `{"source":"s","id":"` + id + `","kind":"event","time":"2026-03-02T09:00:00Z","identifiers":[{"type":"` + typ + `","value":"c"}],"event":{"name":"x"}}`
	}
	for _, tc := range []struct{ path, body, field string }{
		// Keys longer than the store takes were a 500.
		{"/events", `{"id":"` + long + `","cookie":"c","name":"x"}`, "id"},
		{"/orders", `{"order_id":"` + long + `","email":"a@b.fi"}`, "order_id"},
		{"/customers", `{"id":"` + long + `","email":"a@b.fi"}`, "id"},
		{"/records", event(long, "cookie"), "id"},
		{"/records", strings.Replace(event("1", "cookie"), `"s"`, `"`+long+`"`, 1), "source"},
		{"/records", event("1", long), "identifiers[0].type"},
		// Amounts whose sums overflow were stored wrapped around.
		{"/orders", `{"order_id":"2","email":"a@b.fi","lines":[{"quantity":3037000500,"unit_price":30370005.00}]}`, "lines[0].quantity"},
		{"/orders", `{"order_id":"4","email":"a@b.fi","lines":[{"quantity":1,"unit_price":92233720368547758.07},{"quantity":1,"unit_price":1}]}`, "total"},
		{"/orders", `{"order_id":"4","email":"a@b.fi","discount":"-92233720368547758.08"}`, "total"},
		// An unknown field with an empty name was named by no field.
		{"/events", `{"":""}`, `[""]`},
		{"/records", `{"":{}}`, `[""]`},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body)))
		var e apiError
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != http.StatusBadRequest || e.Field != tc.field {
			t.Errorf("POST %s %.100s: %d %.200s, want 400 naming %s", tc.path, tc.body, w.Code, w.Body, tc.field)
		}
	}
	// Within range, the same sums are fine.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/orders", strings.NewReader(
		`{"order_id":"5","email":"a@b.fi","discount":"-92233720368547758.07","lines":[{"quantity":1,"unit_price":"-0.01"}]}`)))
	if w.Code != http.StatusCreated {
		t.Errorf("an order in range: %d %s", w.Code, w.Body)
	}
}
