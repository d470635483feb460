package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

// A Finnish spreadsheet export: semicolons, Windows-1252, Finnish dates.
const customersCSV = `store;card;first_name;last_name;phone;email;sms_consent;email_consent;time
Kamppi;7001 2345;Jane;Doe;040 123 4567;Jane.Doe@Posti.fi;yes;no;2.3.2026 14.05
Tampere;7001 9999;Matti;Meikäläinen;0501234567;;kyllä;;2026-03-02 15:10
Tampere;;Nobody;;;;yes;;2026-03-02 16:00
Tampere;7001 1111;No;Time;;;no;no;
`

// A POS export: commas, UTF-8 with a byte order mark, decimal commas
// quoted, phones as cashiers type them.
const receiptsCSV = "\uFEFF" + `store,receipt_no,card,phone,time,total,lines
Kamppi,10001,7001 2345,,2026-03-02 14:07,"59,90","C-200:curtains:1:49,90;H-1:hooks:2:5,00"
Kamppi,10002,,+358 40 123 4567,2026-03-03T10:00:00+02:00,12.50,L-7:lamps:1:12.50
Kamppi,10003,,040-1234567,2026-03-03 11:00,"59,9x",
Tampere,20001,,,2026-03-02 12:00,"5,00",
Tampere,20002,7001 9999,,,"10,00",
Kamppi,10004,,0401234567,3.3.2026 12.00,"-12,50","L-7:lamps:-1:12,50"
Tampere,20003,7001 9999,12,2026-03-02 15:20,"1 234,50 €",
`

func windows1252(t *testing.T, s string) []byte {
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dropFiles puts the day's files into the inbox the way writers must:
// written under a .tmp name, then renamed.
func dropFiles(t *testing.T, inbox string) {
	t.Helper()
	for name, data := range map[string][]byte{
		"customers-2026-03-02.csv": windows1252(t, customersCSV),
		"receipts-2026-03-02.csv":  []byte(receiptsCSV),
	} {
		tmp := filepath.Join(inbox, name+".tmp")
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(inbox, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// openEngine opens an engine in a temporary directory, as run does.
func openEngine(tb testing.TB) *unify.Engine {
	tb.Helper()
	eng, err := unify.Open(tb.Context(), unify.Options{Dir: filepath.Join(tb.TempDir(), "data"), PhoneRegion: "FI",
		Sources: map[string]unify.SourceOptions{source: {PhoneRegion: "FI"}},
		Logger:  slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { eng.Close() })
	return eng
}

func newTestProcessor(t *testing.T) (*processor, *unify.Engine, *bytes.Buffer) {
	t.Helper()
	eng := openEngine(t)
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p, err := newProcessor(eng, filepath.Join(t.TempDir(), "inbox"), loc, slog.New(slog.DiscardHandler), &out)
	if err != nil {
		t.Fatal(err)
	}
	return p, eng, &out
}

func readRejects(t *testing.T, name string) []rejectLine {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rejectLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l rejectLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, l)
	}
	return out
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestImportDay(t *testing.T) {
	p, eng, out := newTestProcessor(t)
	ctx := t.Context()
	dropFiles(t, p.inbox)
	// A file still being written is not taken.
	if err := os.WriteFile(filepath.Join(p.inbox, "receipts-2026-03-03.csv.tmp"), []byte("store,rec"), 0o644); err != nil {
		t.Fatal(err)
	}

	rep, err := p.pass(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, p.inbox); !slices.Equal(got, []string{"done", "receipts-2026-03-03.csv.tmp", "rejects"}) {
		t.Errorf("inbox after the pass: %v", got)
	}
	if got := names(t, filepath.Join(p.inbox, "done")); !slices.Equal(got, []string{"customers-2026-03-02.csv", "receipts-2026-03-02.csv"}) {
		t.Errorf("done: %v", got)
	}
	if im := rep.Import; im == nil || im.Read != 6 || im.Added != 6 || im.Rejected != 0 {
		t.Errorf("import: %+v", rep.Import)
	}
	if c, r := rep.Files[0], rep.Files[1]; c.Rows != 4 || c.Rejected != 2 || r.Rows != 7 || r.Rejected != 2 || r.Anonymous != 1 || r.Warnings != 1 {
		t.Errorf("files: %+v %+v", c, r)
	}
	t.Logf("output:\n%s", out)

	// The rejects name the line, the column and the reason.
	type want struct {
		line  int
		field string
		error string
	}
	for file, ws := range map[string][]want{
		"customers-2026-03-02.csv": {{4, "card", "one of card, phone and email is required"}, {5, "time", "required"}},
		"receipts-2026-03-02.csv":  {{4, "total", `"59,9x" is not an amount`}, {6, "time", "required"}},
	} {
		got := readRejects(t, filepath.Join(p.inbox, "rejects", file+".jsonl"))
		if len(got) != len(ws) {
			t.Errorf("%s: %d rejects, want %d: %+v", file, len(got), len(ws), got)
			continue
		}
		for i, w := range ws {
			if g := got[i]; g.Line != w.line || g.Field != w.field || !strings.Contains(g.Error, w.error) || g.Row == nil {
				t.Errorf("%s reject %d: %+v, want %+v", file, i, g, w)
			}
		}
	}
	if r := readRejects(t, filepath.Join(p.inbox, "rejects", "receipts-2026-03-02.csv.jsonl")); r[0].Row["receipt_no"] != "10003" {
		t.Errorf("reject row: %v", r[0].Row)
	}

	// Jane: the signup and three receipts, found by her phone in
	// international format whichever way the cashier typed it.
	jane, err := eng.Profile(ctx, identity.Phone("+358401234567"))
	if err != nil {
		t.Fatal(err)
	}
	checkJane := func(jane *profile.Profile) {
		t.Helper()
		tr := jane.Traits
		if jane.Records != 4 || tr.OrderCount != 2 || tr.Returns != 1 || tr.TotalSpend != 5990 || tr.Currency != "EUR" {
			t.Errorf("jane: %d records, traits %+v", jane.Records, tr)
		}
		if n, _ := tr.OrderCountByStore.Get("Kamppi"); n != 2 || !slices.Equal(tr.CategoriesBought, []string{"curtains", "hooks", "lamps"}) {
			t.Errorf("jane: stores %v, categories %v", tr.OrderCountByStore, tr.CategoriesBought)
		}
		if jane.Attr("last_name").String() != "Doe" || jane.Attr("signup_store").String() != "Kamppi" {
			t.Errorf("jane: attributes %v", jane.Attributes)
		}
		if !jane.Consents.Allowed(consent.SMSMarketing, nil) || jane.Consents.Allowed(consent.EmailMarketing, nil) {
			t.Errorf("jane: consents %+v", jane.Consents.Slice())
		}
	}
	checkJane(jane)
	for _, id := range []identity.ID{identity.Phone("040-1234567"), identity.Email("jane.doe@posti.fi"), identity.LoyaltyCard("7001 2345")} {
		if p, err := eng.Profile(ctx, id); err != nil || p.ID != jane.ID {
			t.Errorf("%s: %v", id.Type, err)
		}
	}
	// The receipt's amounts as written: a decimal comma, the lines.
	r, err := eng.Record(ctx, source, "receipt-Kamppi-10001")
	if err != nil {
		t.Fatal(err)
	}
	if o := r.Order; o.Total != 5990 || len(o.Lines) != 2 || o.Lines[0].UnitPrice != 4990 || o.Lines[1].Total != 1000 || !r.Time.Equal(time.Date(2026, 3, 2, 12, 7, 0, 0, time.UTC)) {
		t.Errorf("receipt 10001: %+v at %v", o, r.Time)
	}
	// Matti, from Windows-1252, with a receipt whose extra phone is bad.
	matti, err := eng.Profile(ctx, identity.Phone("050 123 4567"))
	if err != nil {
		t.Fatal(err)
	}
	if matti.Attr("last_name").String() != "Meikäläinen" || matti.Traits.TotalSpend != 123450 || matti.ID == jane.ID {
		t.Errorf("matti: %v, spend %v", matti.Attributes, matti.Traits.TotalSpend)
	}

	// The same files again (a crash before the move, a double delivery):
	// nothing changes, not even the feed.
	feedLen := func() int {
		n := 0
		for _, err := range eng.Changes(ctx, 1) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	before := feedLen()
	dropFiles(t, p.inbox)
	rep, err = p.pass(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Import; im == nil || im.Read != 6 || im.Added != 0 || im.Replaced != 0 || im.Unchanged != 6 {
		t.Errorf("second import: %+v", rep.Import)
	}
	if after := feedLen(); after != before {
		t.Errorf("the feed grew from %d to %d entries", before, after)
	}
	again, err := eng.Profile(ctx, identity.Phone("+358401234567"))
	if err != nil {
		t.Fatal(err)
	}
	checkJane(again)
	if len(readRejects(t, filepath.Join(p.inbox, "rejects", "customers-2026-03-02.csv.jsonl"))) != 2 {
		t.Error("rejects not rewritten the same")
	}
	// And a pass over an empty inbox does nothing.
	if rep, err := p.pass(ctx, false); err != nil || rep.Import != nil || len(rep.Files) != 0 {
		t.Errorf("empty pass: %+v, %v", rep, err)
	}
}

// Polling takes a file only once it has stopped changing.
func TestSettle(t *testing.T) {
	p, _, _ := newTestProcessor(t)
	name := filepath.Join(p.inbox, "receipts-2026-03-04.csv")
	write := func(s string, mod time.Time) {
		if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(name, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	ready := func() []string {
		r, err := p.ready(true)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t0 := time.Now().Add(-time.Minute)
	write("store,receipt_no,card,time,total\n", t0)
	if r := ready(); len(r) != 0 {
		t.Errorf("a new file is ready: %v", r)
	}
	write("store,receipt_no,card,time,total\nKamppi,1,7001,2026-03-04 10:00,1\n", t0.Add(time.Second))
	if r := ready(); len(r) != 0 {
		t.Errorf("a growing file is ready: %v", r)
	}
	if r := ready(); !slices.Equal(r, []string{"receipts-2026-03-04.csv"}) {
		t.Errorf("a settled file is not ready: %v", r)
	}
	rep, err := p.pass(t.Context(), true)
	if err != nil || len(rep.Files) != 1 || rep.Import == nil || rep.Import.Added != 1 {
		t.Errorf("pass: %+v, %v", rep, err)
	}
}

// A file whose header lacks a required column is refused as a whole.
func TestRefusedFile(t *testing.T) {
	p, _, _ := newTestProcessor(t)
	if err := os.WriteFile(filepath.Join(p.inbox, "receipts-x.csv"), []byte("store,receipt_no,card,total\nK,1,7001,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := p.pass(t.Context(), false)
	if err != nil || len(rep.Files) != 1 || !rep.Files[0].Refused || rep.Import != nil {
		t.Fatalf("pass: %+v, %v", rep, err)
	}
	if got := names(t, filepath.Join(p.inbox, "rejects")); !slices.Equal(got, []string{"receipts-x.csv", "receipts-x.csv.jsonl"}) {
		t.Errorf("rejects: %v", got)
	}
	if r := readRejects(t, filepath.Join(p.inbox, "rejects", "receipts-x.csv.jsonl")); len(r) != 1 || !strings.Contains(r[0].Error, `missing column "time"`) {
		t.Errorf("reason: %+v", r)
	}
}

func TestAmounts(t *testing.T) {
	for in, want := range map[string]profile.Money{
		"59,90": 5990, "59.90": 5990, "59,9": 5990, "5": 500, "-12,50": -1250, "1 234,50": 123450,
		"1.234,50": 123450, "1,234.50": 123450, "59,90 €": 5990, "59,90EUR": 5990, "0,05": 5,
	} {
		if got, err := parseAmount(in); err != nil || got != want {
			t.Errorf("parseAmount(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "59,9x", "1,2,3", "59,905", "abc", "€"} {
		if got, err := parseAmount(in); err == nil {
			t.Errorf("parseAmount(%q) = %v, want an error", in, got)
		}
	}
}

// run -once processes the inbox and exits; -h documents the flags.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	dropFiles(t, inbox)
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"-once", "-inbox", inbox, "-dir", filepath.Join(dir, "data")}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "receipts-2026-03-02.csv: 7 rows: 4 imported, 2 rejected, 1 anonymous, 1 warnings") {
		t.Errorf("output:\n%s", stdout.String())
	}
	if got := names(t, filepath.Join(inbox, "done")); len(got) != 2 {
		t.Errorf("done: %v", got)
	}
	var help bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, io.Discard, &help); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	for _, f := range []string{"-inbox", "-dir", "-region", "-interval", "-once", "-tz"} {
		if !strings.Contains(help.String(), f) {
			t.Errorf("-h does not mention %s", f)
		}
	}
}
