package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/profile"
)

// The fuzz targets of the POS parsers: amounts, times, order lines,
// consents and whole files. Each demands no panic, errors that name the
// input or the column, and a property of what parses. Run one with
//
//	go test ./examples/pos -run '^$' -fuzz '^FuzzAmount$' -fuzztime 60s

// formatAmount writes m as a cashier would, in one of a few styles.
func formatAmount(m profile.Money, style uint8) string {
	neg := m < 0
	u := uint64(m)
	if neg {
		u = -u
	}
	units, cents := strconv.FormatUint(u/100, 10), fmt.Sprintf("%02d", u%100)
	group := func(sep string) string {
		var b strings.Builder
		for i, d := range units {
			if i > 0 && (len(units)-i)%3 == 0 {
				b.WriteString(sep)
			}
			b.WriteRune(d)
		}
		return b.String()
	}
	var s string
	switch style % 7 {
	case 0:
		s = units + "," + cents // 59,90
	case 1:
		s = units + "." + cents // 59.90
	case 2:
		s = group(" ") + "," + cents // 1 234,50
	case 3:
		s = group(".") + "," + cents // 1.234,50
	case 4:
		s = group(",") + "." + cents // 1,234.50
	case 5:
		s = group("\u00a0") + "," + cents + " €" // 1 234,50 €
	case 6:
		s = units + "," + cents + "EUR"
	}
	if neg {
		s = "-" + s
	}
	return s
}

func FuzzAmount(f *testing.F) {
	for _, s := range []string{"59,90", "59.90", "59,9", "5", "-12,50", "1 234,50", "1.234,50", "1,234.50",
		"59,90 €", "59,90EUR", "0,05", "", "59,9x", "1,2,3", "59,905", "abc", "€", "12 50", "1.2.3,4",
		"-92233720368547758,08", "1e3", "1 234 567,89 €", "- 5,00", ",50", "5,"} {
		f.Add(s, int64(5990), uint8(0))
	}
	f.Add("1 234,50", int64(-123450), uint8(2))
	f.Add("0", int64(math.MaxInt64), uint8(3))
	f.Add("0", int64(math.MinInt64+1), uint8(5))
	f.Fuzz(func(t *testing.T, s string, cents int64, style uint8) {
		m, err := parseAmount(s)
		if err != nil {
			if m != 0 || !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("parseAmount(%q) = %v, %v: the error does not quote the input", s, m, err)
			}
		} else if m == math.MinInt64 {
			t.Fatalf("parseAmount(%q) = %d, which has no positive", s, m)
		}
		// A formatted amount reads back.
		if cents == math.MinInt64 {
			return
		}
		in := formatAmount(profile.Money(cents), style)
		if got, err := parseAmount(in); err != nil || got != profile.Money(cents) {
			t.Fatalf("parseAmount(%q) = %v, %v; want %v", in, got, err, profile.Money(cents))
		}
	})
}

var helsinki = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		panic(err)
	}
	return loc
}()

func FuzzTime(f *testing.F) {
	for _, s := range []string{"2026-03-02T14:05:00+02:00", "2026-03-02 14:05", "2026-03-02 14:05:59", "2026-03-02T14:05",
		"2.3.2026 14.05", "2.3.2026 14:05", "02.03.2026 14.05.07", "2026-03-02", "2.3.2026", "", "yesterday",
		"0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1.1.0001 00.00", "29.2.2025 12.00", "29.3.2026 3.30"} {
		f.Add(s, int64(1772453100), uint8(0))
	}
	f.Add("", int64(1792364400), uint8(4)) // an autumn night, when 3.30 comes twice
	f.Fuzz(func(t *testing.T, s string, unix int64, layout uint8) {
		p := &processor{loc: helsinki}
		tm, err := p.parseTime(s)
		switch {
		case err != nil && s == "":
			if !errors.Is(err, errMissing) {
				t.Fatalf("parseTime(\"\"): %v", err)
			}
		case err != nil:
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("parseTime(%q): %v does not quote the input", s, err)
			}
		case tm.Location() != time.UTC:
			t.Fatalf("parseTime(%q) = %v, not in UTC", s, tm)
		default:
			// The engine takes the time.
			r := profile.Record{Time: tm}
			if y := tm.Year(); y < 1 || y > 9999 {
				t.Fatalf("parseTime(%q) = %v: the engine refuses year %d (%v)", s, tm, y, r.Validate())
			}
		}
		// A time written in a layout of the stores reads back, up to
		// what the layout shows.
		if unix < -62135596800 || unix > 253402207200 { // years 1 to 9999, a day short
			return
		}
		want := time.Unix(unix, 0).In(helsinki)
		l := localLayouts[int(layout)%len(localLayouts)]
		in := want.Format(l)
		got, err := p.parseTime(in)
		if err != nil {
			t.Fatalf("parseTime(%q): %v", in, err)
		}
		if got.In(helsinki).Format(l) != in {
			t.Fatalf("parseTime(%q) = %v, which is %q", in, got, got.In(helsinki).Format(l))
		}
	})
}

// formatLines writes order lines as a POS does.
func formatLines(ls []profile.OrderLine) string {
	var items []string
	for _, l := range ls {
		items = append(items, fmt.Sprintf("%s:%s:%d:%s", l.SKU, l.Category, l.Quantity, strings.Replace(l.UnitPrice.String(), ".", ",", 1)))
	}
	return strings.Join(items, ";")
}

func FuzzLines(f *testing.F) {
	for _, s := range []string{"C-200:curtains:2:44,95;H-1:hooks:1:5", "L-7:lamps:-1:12,50", "C-200:curtains:1:49,90;H-1:hooks:2:5,00",
		"", ";;", "a:b:c", "a:b:1:2:3", "x:y:1:1 234,50 €", "x:y:two:1", "x:y:2:-3", "x:y:3037000500:3037000500",
		"x:y:-9223372036854775808:1", "x:y:1:-92233720368547758,08", " S : C : 3 : 0,10 ; "} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, isReturn bool) {
		ls, err := parseLines(s, isReturn)
		if err != nil {
			if ls != nil || !strings.HasPrefix(err.Error(), "item ") {
				t.Fatalf("parseLines(%q) = %v, %v", s, ls, err)
			}
			return
		}
		if len(ls) > strings.Count(s, ";")+1 {
			t.Fatalf("parseLines(%q): %d lines", s, len(ls))
		}
		for i, l := range ls {
			if l.Quantity < 0 || l.UnitPrice < 0 || l.Total < 0 {
				t.Fatalf("parseLines(%q) line %d: negative %+v", s, i, l)
			}
			if l.Quantity != 0 && (l.Total/profile.Money(l.Quantity) != l.UnitPrice || l.Total%profile.Money(l.Quantity) != 0) {
				t.Fatalf("parseLines(%q) line %d: total %v is not %d × %v", s, i, l.Total, l.Quantity, l.UnitPrice)
			}
			if strings.ContainsAny(l.SKU+l.Category, ":;") {
				t.Fatalf("parseLines(%q) line %d: %+v", s, i, l)
			}
		}
		// The lines written back read the same.
		back, err := parseLines(formatLines(ls), false)
		if err != nil || !slices.Equal(back, ls) {
			t.Fatalf("parseLines(%q) = %+v; written back %q reads %+v, %v", s, ls, formatLines(ls), back, err)
		}
	})
}

func FuzzConsent(f *testing.F) {
	for _, s := range []string{"yes", "no", "kyllä", "ei", "KYLLÄ", "Kylla", "k", "e", "y", "n", "true", "false", "1", "0", "x", "",
		" yes ", "maybe", "joo", "\xe4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := parseConsent(s)
		switch {
		case err != nil:
			if st != "" || !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("parseConsent(%q) = %q, %v", s, st, err)
			}
		case st == "":
			if strings.TrimSpace(s) != "" {
				t.Fatalf("parseConsent(%q): no consent event", s)
			}
		case st != consent.Granted && st != consent.Withdrawn:
			t.Fatalf("parseConsent(%q) = %q", s, st)
		}
	})
}

// fuzzProcessor opens one engine for a fuzz target: records are made with
// its identifier normalization.
func fuzzProcessor(f *testing.F) *processor {
	return &processor{eng: openEngine(f), loc: helsinki, log: slog.New(slog.DiscardHandler)}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(customersCSV), false)
	f.Add([]byte(receiptsCSV), true)
	f.Add([]byte("store\treceipt_no\tcard\ttime\ttotal\tcurrency\tcoupon\nKamppi\t1\t7001\t2026-03-04 10:00\t1\tsek\tX\n"), true)
	f.Add([]byte("Store;Receipt No;Card;Time;Total;;\nKamppi;2;7001;2.3.2026 14.05;\"-5,00\";;\nKamppi;3;7001;2.3.2026 14.05;5;x;y;z\n"), true)
	f.Add([]byte("store,receipt_no,card,total\nK,1,7001,5\n"), true)
	f.Add([]byte("time,card,card\n"), false)
	f.Add([]byte("time,email,sms_consent\n2026-03-02 15:10,a@b.fi,joo\n\"2026,a@b.fi\n"), false)
	f.Add([]byte(""), false)
	f.Add([]byte("time;card;first_name\n2.3.2026 14.05;7001;Meik\xe4l\xe4inen\n"), false)
	f.Add([]byte("\ufefftime,phone\n0000-01-01T00:00:00+01:00,040 123 4567\n"), false)
	p := fuzzProcessor(f)
	f.Fuzz(func(t *testing.T, data []byte, receipts bool) {
		kind := kindCustomers
		if receipts {
			kind = kindReceipts
		}
		rows, err := readCSV(data, kind)
		if err != nil {
			if rows != nil || !strings.HasPrefix(err.Error(), "header: ") && !strings.HasPrefix(err.Error(), "empty file") {
				t.Fatalf("readCSV: %d rows, %v", len(rows), err)
			}
			return
		}
		line := 1
		for _, r := range rows {
			if r.line <= line {
				t.Fatalf("row on line %d after line %d", r.line, line)
			}
			line = r.line
			if r.err != nil {
				continue
			}
			for c, v := range r.values {
				if c == "" || !utf8.ValidString(v) {
					t.Fatalf("line %d: column %q = %q", r.line, c, v)
				}
			}
			rec, warn, err := p.record(kind, r)
			var ce *columnError
			switch {
			case errors.Is(err, errAnonymous):
			case err != nil:
				if !errors.As(err, &ce) || !slices.Contains(columns[kind], ce.column) {
					t.Fatalf("line %d: error %T %v names no column", r.line, err, err)
				}
			default:
				// What the file makes, the engine takes.
				if err := rec.Validate(); err != nil {
					t.Fatalf("line %d: %v", r.line, err)
				}
				if warn != nil && !errors.As(warn, &ce) {
					t.Fatalf("line %d: warning %T %v names no column", r.line, warn, warn)
				}
			}
		}
	})
}

// Inputs the fuzz targets found, as regression tests.
func TestFuzzFindings(t *testing.T) {
	// The smallest amount has no positive, for a return; thousands
	// separators that separate no thousands hid amounts a hundred times
	// too large; exponents are no cashier's.
	for _, in := range []string{"-92233720368547758,08", "12 50", "1.2.3,4", "1,2.5", "1e3", "1 2345,00", "1234 567", "- ,50"} {
		if got, err := parseAmount(in); err == nil {
			t.Errorf("parseAmount(%q) = %v, want an error", in, got)
		}
	}
	for in, want := range map[string]profile.Money{"1 234 567,89 €": 123456789, "-1.234.567,00": -123456700, "12 345": 1234500, "- 5,00": -500} {
		if got, err := parseAmount(in); err != nil || got != want {
			t.Errorf("parseAmount(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	// Times the engine refuses: years before 1 or after 9999 in UTC.
	p := &processor{loc: helsinki}
	for _, in := range []string{"0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1.1.0001 00.00"} {
		if got, err := p.parseTime(in); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("parseTime(%q) = %v, %v; want out of range", in, got, err)
		}
	}
	// Line totals that overflow.
	for _, tc := range []struct {
		in       string
		isReturn bool
	}{{"x:y:3037000500:3037000500", false}, {"x:y:-9223372036854775808:1", true}, {"x:y:1:-92233720368547758,08", true}} {
		if got, err := parseLines(tc.in, tc.isReturn); err == nil || !strings.Contains(err.Error(), "item 1") {
			t.Errorf("parseLines(%q, %v) = %+v, %v; want an error", tc.in, tc.isReturn, got, err)
		}
	}
	// Empty and unknown columns may repeat (spreadsheets add them); a
	// known one may not.
	rows, err := readCSV([]byte("Store;Receipt No;Card;Time;Total;;;x;x\nKamppi;2;7001;2.3.2026 14.05;5;;;1;2\n"), kindReceipts)
	if err != nil || len(rows) != 1 || rows[0].values["receipt_no"] != "2" || rows[0].values["x"] != "2" {
		t.Errorf("empty columns: %+v, %v", rows, err)
	} else if _, ok := rows[0].values[""]; ok {
		t.Errorf("a value for the empty column: %v", rows[0].values)
	}
	if _, err := readCSV([]byte("time,card,Card\n"), kindCustomers); err == nil || !strings.Contains(err.Error(), `column "card" twice`) {
		t.Errorf("card twice: %v", err)
	}
}
