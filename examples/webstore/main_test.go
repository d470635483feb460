package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/profile"
)

var quiet = slog.New(slog.DiscardHandler)

func openEngine(t *testing.T) *unify.Engine {
	t.Helper()
	eng, err := unify.Open(t.Context(), unify.Options{Dir: filepath.Join(t.TempDir(), "store"), PhoneRegion: "FI", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func startServer(t *testing.T, eng *unify.Engine) *httptest.Server {
	ts := httptest.NewServer(newServer(eng, serverOptions{Logger: quiet}))
	t.Cleanup(ts.Close)
	return ts
}

// call makes a request with a JSON body (nil for none) and decodes the
// answer into out (when not nil); it returns the status.
func call(t *testing.T, c *http.Client, method, u string, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, u, ct)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, u, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// mustPost posts body and fails unless the answer is 200 or 201.
func mustPost(t *testing.T, c *http.Client, u, body string) ingestAnswer {
	t.Helper()
	var ans ingestAnswer
	if st := call(t, c, "POST", u, body, &ans); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("POST %s: %d %+v", u, st, ans)
	}
	return ans
}

// The seed story over HTTP: anonymous product views, a signup with phone
// and email, a guest order by the same email and cookie with a coupon; the
// phone finds one profile with all of it.
func TestStory(t *testing.T) {
	eng := openEngine(t)
	ts := startServer(t, eng)
	c := ts.Client()

	mustPost(t, c, ts.URL+"/events", `{"cookie":"ck-3f9a","name":"product_view","category":"curtains","url":"/p/c-200","time":"2026-03-02T09:00:00Z"}`)
	mustPost(t, c, ts.URL+"/events", `{"cookie":"ck-3f9a","name":"product_view","category":"lamps","url":"/p/l-7","time":"2026-03-02T09:03:00Z"}`)
	signup := `{"customer_id":"c-42","phone":"040 123 4567","email":"Jane.Doe@Posti.fi","first_name":"Jane","last_name":"Doe",
		"consents":{"sms_marketing":true},"time":"2026-03-04T11:00:00+02:00"}`
	if ans := mustPost(t, c, ts.URL+"/customers", signup); ans.Status != unify.Added {
		t.Errorf("signup: %+v", ans)
	}
	order := mustPost(t, c, ts.URL+"/orders", `{"order_id":"1001","email":"jane.doe@posti.fi","cookie":"ck-3f9a","coupon":"CURTAINS20",
		"time":"2026-03-05T12:00:00Z","lines":[{"sku":"C-200","name":"Linen curtain","category":"curtains","quantity":2,"unit_price":"44.95"}],
		"consents":{"email_marketing":true}}`)
	if order.Record != "webstore/order-1001" || len(order.Changes) == 0 || order.Changes[0].Kind != unify.ProfileMerged {
		t.Errorf("order: %+v", order)
	}
	// The same signup again makes the same record: nothing changes.
	if ans := mustPost(t, c, ts.URL+"/customers", signup); ans.Status != unify.Unchanged {
		t.Errorf("signup again: %+v", ans)
	}

	var p profile.Profile
	if st := call(t, c, "GET", ts.URL+"/profiles?type=phone&value=%2B358401234567", "", &p); st != http.StatusOK {
		t.Fatalf("lookup by phone: %d", st)
	}
	if p.Records != 4 || p.Traits.OrderCount != 1 || p.Traits.TotalSpend != 8990 || !slices.Equal(p.Traits.Coupons, []string{"CURTAINS20"}) {
		t.Errorf("profile: records %d, traits %+v", p.Records, p.Traits)
	}
	if !slices.Equal(p.Traits.CategoriesBrowsed, []string{"curtains", "lamps"}) {
		t.Errorf("browsed: %v", p.Traits.CategoriesBrowsed)
	}
	if !p.Consents.Allowed(consent.SMSMarketing, nil) || !p.Consents.Allowed(consent.EmailMarketing, nil) {
		t.Errorf("consents: %+v", p.Consents.Slice())
	}
	if got := p.Attr("first_name"); got.String() != "Jane" {
		t.Errorf("first_name %v", got)
	}
	if len(p.Aliases) != 1 {
		t.Fatalf("aliases: %v", p.Aliases)
	}

	// Any identifier, in any format, finds the same profile; so does an alias.
	for _, u := range []string{
		"/profiles?type=phone&value=" + url.QueryEscape("040-123 4567"),
		"/profiles?type=email&value=" + url.QueryEscape("JANE.DOE@posti.fi"),
		"/profiles?type=cookie&value=ck-3f9a",
		"/profiles?type=customer_id&value=c-42",
		"/profiles/" + p.ID,
		"/profiles/" + p.Aliases[0],
	} {
		var q profile.Profile
		if st := call(t, c, "GET", ts.URL+u, "", &q); st != http.StatusOK || q.ID != p.ID {
			t.Errorf("GET %s: %d, profile %q, want %q", u, st, q.ID, p.ID)
		}
	}
	for _, u := range []string{"/profiles?type=email&value=nobody@example.com", "/profiles/no-such-profile", "/profiles/no-such-profile/timeline"} {
		var e apiError
		if st := call(t, c, "GET", ts.URL+u, "", &e); st != http.StatusNotFound || e.Msg == "" {
			t.Errorf("GET %s: %d %+v, want 404 with an error", u, st, e)
		}
	}

	// The timeline, two at a time, newest first, through an alias.
	var keys []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("timeline does not end")
		}
		var tl struct {
			Profile string            `json:"profile"`
			Records []json.RawMessage `json:"records"`
			Next    string            `json:"next"`
		}
		u := ts.URL + "/profiles/" + p.Aliases[0] + "/timeline?limit=2&cursor=" + url.QueryEscape(cursor)
		if st := call(t, c, "GET", u, "", &tl); st != http.StatusOK || tl.Profile != p.ID || len(tl.Records) > 2 {
			t.Fatalf("timeline: %d %+v", st, tl)
		}
		for _, raw := range tl.Records {
			r, err := profile.DecodeJSON(raw)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, r.Source+"/"+r.ID[:min(len(r.ID), 10)])
		}
		if cursor = tl.Next; cursor == "" {
			break
		}
	}
	if len(keys) != 4 || keys[0] != "webstore/order-1001" || !strings.HasPrefix(keys[1], "webstore/customer-") || !strings.HasPrefix(keys[3], "web/ev-") {
		t.Errorf("timeline: %v", keys)
	}
}

// Bad input is a 400 naming the field.
func TestBadInput(t *testing.T) {
	eng := openEngine(t)
	ts := startServer(t, eng)
	for _, tc := range []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"POST", "/orders", `{"order_id":"1","email":"a@b.fi","lines":[{"quantity":"two"}]}`, 400, "lines.quantity"},
		{"POST", "/orders", `{"order_id":"1","email":"a@b.fi","lines":[{"quantity":1},{"quantity":1,"unit_price":"12,50"}]}`, 400, "lines[1].unit_price"},
		{"POST", "/orders", `{"order_id":"1","lines":[]}`, 400, "email"},
		{"POST", "/orders", `{"email":"a@b.fi"}`, 400, "order_id"},
		{"POST", "/orders", `{"order_id":"1","email":"a@b.fi","currency":"euro"}`, 400, "currency"},
		{"POST", "/events", `{"cookie":"ck-1","name":"page_view","time":"yesterday"}`, 400, "time"},
		{"POST", "/events", `{"cookie":"ck-1"}`, 400, "name"},
		{"POST", "/events", `{"name":"page_view"}`, 400, "cookie"},
		{"POST", "/events", `{"cookie":"ck-1","name":"page_view","colour":"red"}`, 400, "colour"},
		{"POST", "/events", `{"cookie":"ck-1",`, 400, ""},
		{"POST", "/events", `[1,2]`, 400, ""},
		{"POST", "/events", ``, 400, ""},
		{"POST", "/customers", `{"email":"not an email"}`, 400, "email"},
		{"POST", "/customers", `{"phone":"12"}`, 400, "phone"},
		{"POST", "/customers", `{"email":"a@b.fi","consents":{"SMS!":true}}`, 400, "consents.SMS!"},
		{"POST", "/customers", `{"email":"a@b.fi","birthdate":"12.4.1988"}`, 400, "birthdate"},
		// Full records: the decoder and the engine name the JSON path.
		{"POST", "/records", `{"source":"web","id":"x","kind":"event","time":5}`, 400, "time"},
		{"POST", "/records", `{"source":"web","id":"x","kind":"event","time":"2026-03-02T09:00:00Z","identifiers":[{"type":"cookie","value":"c"}]}`, 400, "event"},
		{"GET", "/profiles?value=x", "", 400, "type"},
		{"GET", "/profiles?type=phone", "", 400, "value"},
		{"GET", "/profiles?type=phone&value=12", "", 400, "value"},
		{"GET", "/profiles/x/timeline?limit=many", "", 400, "limit"},
	} {
		var e apiError
		st := call(t, ts.Client(), tc.method, ts.URL+tc.path, tc.body, &e)
		if st != tc.status || e.Field != tc.field || e.Msg == "" {
			t.Errorf("%s %s %s: %d %+v, want %d naming %q", tc.method, tc.path, tc.body, st, e, tc.status, tc.field)
		}
	}
	// A cursor that is not one.
	ans := mustPost(t, ts.Client(), ts.URL+"/events", `{"cookie":"ck-1","name":"page_view"}`)
	var e apiError
	if st := call(t, ts.Client(), "GET", ts.URL+"/profiles/"+ans.Profile+"/timeline?cursor=%21%21", "", &e); st != 400 || e.Field != "cursor" {
		t.Errorf("bad cursor: %d %+v", st, e)
	}
	// A record posted in full works too.
	full := `{"source":"crm","id":"c-1","kind":"customer","time":"2026-03-02T09:00:00Z","identifiers":[{"type":"email","value":"A@B.fi"}],"customer":{"first_name":"A"}}`
	if ans := mustPost(t, ts.Client(), ts.URL+"/records", full); ans.Record != "crm/c-1" || ans.Status != unify.Added {
		t.Errorf("full record: %+v", ans)
	}
}

// receiver is a webhook endpoint that fails its first requests.
type receiver struct {
	mu       sync.Mutex
	failures int // requests still to fail
	got      []unify.Change
	bad      []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.failures > 0 {
		rc.failures--
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var c unify.Change
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
		rc.bad = append(rc.bad, err.Error())
	} else if h := r.Header.Get("Unify-Seq"); h != strconv.FormatUint(c.Seq, 10) {
		rc.bad = append(rc.bad, "Unify-Seq "+h)
	}
	rc.got = append(rc.got, c)
}

func (rc *receiver) changes() []unify.Change {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// feed returns the whole change feed of eng.
func feed(t *testing.T, eng *unify.Engine) []unify.Change {
	var out []unify.Change
	for c, err := range eng.Changes(t.Context(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestWebhook(t *testing.T) {
	eng := openEngine(t)
	ts := startServer(t, eng)
	rc := &receiver{failures: 3}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	state := filepath.Join(t.TempDir(), "webhook.seq")

	startPusher := func() (stop func()) {
		p := newPusher(eng, hook.URL, state, quiet)
		p.minBackoff, p.maxBackoff = time.Millisecond, 20*time.Millisecond
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.run(ctx) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	delivered := func(n int) func() bool {
		return func() bool { return len(rc.changes()) >= n }
	}

	stop := startPusher()
	mustPost(t, ts.Client(), ts.URL+"/events", `{"cookie":"ck-1","name":"page_view","time":"2026-03-02T09:00:00Z"}`)
	mustPost(t, ts.Client(), ts.URL+"/events", `{"cookie":"ck-1","name":"product_view","time":"2026-03-02T09:01:00Z"}`)
	mustPost(t, ts.Client(), ts.URL+"/customers", `{"email":"a@b.fi","time":"2026-03-02T09:02:00Z"}`)
	mustPost(t, ts.Client(), ts.URL+"/orders", `{"order_id":"7","email":"a@b.fi","cookie":"ck-1","total":10,"time":"2026-03-02T09:03:00Z"}`)
	n := len(feed(t, eng))
	waitFor(t, "the first deliveries", delivered(n))
	stop()
	if seq, err := readSeq(state); err != nil || seq != uint64(n) {
		t.Errorf("state after stop: %d, %v; want %d", seq, err, n)
	}

	// Changes made while no pusher runs are delivered by the next one,
	// and nothing is sent twice.
	mustPost(t, ts.Client(), ts.URL+"/customers", `{"email":"b@b.fi","time":"2026-03-02T10:00:00Z"}`)
	mustPost(t, ts.Client(), ts.URL+"/orders", `{"order_id":"8","email":"b@b.fi","total":"20.50","time":"2026-03-02T10:01:00Z"}`)
	stop = startPusher()
	mustPost(t, ts.Client(), ts.URL+"/events", `{"cookie":"ck-2","name":"page_view","time":"2026-03-02T10:02:00Z"}`)
	all := feed(t, eng)
	waitFor(t, "the deliveries after restart", delivered(len(all)))
	stop()
	stop = startPusher() // a restart with nothing new sends nothing
	time.Sleep(50 * time.Millisecond)
	stop()

	got := rc.changes()
	if len(got) != len(all) {
		t.Fatalf("received %d changes, the feed has %d", len(got), len(all))
	}
	for i, c := range got {
		if c.Seq != uint64(i+1) || c.Kind != all[i].Kind || c.Profile != all[i].Profile || c.Record != all[i].Record {
			t.Errorf("delivery %d: %+v, want %+v", i, c, all[i])
		}
	}
	if len(rc.bad) > 0 {
		t.Errorf("bad deliveries: %v", rc.bad)
	}
	if rc.failures != 0 {
		t.Errorf("the failures were not retried")
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run serves until its context ends, pushes to the webhook, and shuts down
// cleanly.
func TestRun(t *testing.T) {
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-dir", dir, "-webhook", hook.URL}, &stdout, &stderr)
	}()
	re := regexp.MustCompile(`listening on (http://\S+),`)
	var base string
	waitFor(t, "the server", func() bool {
		m := re.FindStringSubmatch(stdout.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	ans := mustPost(t, http.DefaultClient, base+"/events", `{"cookie":"ck-9","name":"page_view"}`)
	waitFor(t, "the webhook", func() bool { return len(rc.changes()) == 1 })
	if c := rc.changes()[0]; c.Profile != ans.Profile || c.Kind != unify.ProfileCreated {
		t.Errorf("webhook got %+v", c)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not shut down")
	}
	if seq, err := readSeq(filepath.Join(dir, "webhook.seq")); err != nil || seq != 1 {
		t.Errorf("webhook.seq: %d, %v", seq, err)
	}

	// -h documents the flags.
	var help syncBuffer
	if err := run(t.Context(), []string{"-h"}, io.Discard, &help); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	for _, f := range []string{"-addr", "-dir", "-region", "-webhook", "POST /events"} {
		if !strings.Contains(help.String(), f) {
			t.Errorf("-h does not mention %s:\n%s", f, help.String())
		}
	}
}
