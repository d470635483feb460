package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

const (
	source        = "pos" // the source of every record
	kindCustomers = "customers"
	kindReceipts  = "receipts"
)

// columns of each kind of file, and those a header must have.
var (
	columns = map[string][]string{
		kindCustomers: {"store", "card", "first_name", "last_name", "phone", "email", "sms_consent", "email_consent", "time"},
		kindReceipts:  {"store", "receipt_no", "card", "phone", "time", "total", "lines", "currency", "coupon"},
	}
	required = map[string][]string{
		kindCustomers: {"time"},
		kindReceipts:  {"store", "receipt_no", "time", "total"},
	}
	// A header needs one of these.
	identifierColumns = map[string][]string{
		kindCustomers: {"card", "phone", "email"},
		kindReceipts:  {"card", "phone"},
	}
)

// row is one data row of a CSV file.
type row struct {
	line   int               // 1-based line where it starts
	values map[string]string // by column, trimmed
	err    error             // a CSV syntax error: the row is rejected
}

// columnError is a problem with one column of a row.
type columnError struct {
	column string
	err    error
}

func (e *columnError) Error() string { return e.column + ": " + e.err.Error() }
func (e *columnError) Unwrap() error { return e.err }

func colErr(column, format string, args ...any) error {
	return &columnError{column, fmt.Errorf(format, args...)}
}

var (
	errMissing   = errors.New("required, but empty")
	errAnonymous = errors.New("anonymous receipt: no card or phone")
)

// readCSV decodes a file of the given kind. An error means the file as a
// whole is refused (an unreadable or incomplete header); problems of single
// rows are in their row.err.
func readCSV(data []byte, kind string) ([]row, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		var err error
		if data, err = charmap.Windows1252.NewDecoder().Bytes(data); err != nil {
			return nil, fmt.Errorf("neither UTF-8 nor Windows-1252: %w", err)
		}
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ','
	for _, c := range []rune{';', '\t'} {
		if bytes.Count(first, []byte(string(c))) > bytes.Count(first, []byte(string(r.Comma))) {
			r.Comma = c
		}
	}
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: want a header line")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	for i, h := range header {
		header[i] = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(h)), " ", "_")
		// Only a known column twice is ambiguous; a spreadsheet may add
		// empty or other columns of no matter.
		if slices.Contains(columns[kind], header[i]) && slices.Contains(header[:i], header[i]) {
			return nil, fmt.Errorf("header: column %q twice", header[i])
		}
	}
	for _, c := range required[kind] {
		if !slices.Contains(header, c) {
			return nil, fmt.Errorf("header: missing column %q (a %s file has columns %s)", c, kind, strings.Join(columns[kind], ", "))
		}
	}
	if !slices.ContainsFunc(identifierColumns[kind], func(c string) bool { return slices.Contains(header, c) }) {
		return nil, fmt.Errorf("header: want one of the columns %s", strings.Join(identifierColumns[kind], ", "))
	}
	var rows []row
	for {
		fields, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rows = append(rows, row{line: pe.StartLine, err: err})
			continue
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		rw := row{line: line, values: make(map[string]string, len(header))}
		for i, f := range fields {
			if i < len(header) && header[i] != "" {
				rw.values[header[i]] = strings.TrimSpace(f)
			}
		}
		if len(fields) > len(header) {
			rw.err = fmt.Errorf("%d fields, but the header has %d", len(fields), len(header))
		}
		rows = append(rows, rw)
	}
}

// record makes the record of a row. warn reports identifiers that did not
// normalize beside one that did; errAnonymous a receipt without any.
func (p *processor) record(kind string, r row) (rec *profile.Record, warn, err error) {
	v := r.values
	t, err := p.parseTime(v["time"])
	if err != nil {
		return nil, nil, &columnError{"time", err}
	}
	switch kind {
	case kindCustomers:
		ids, key, warn, err := p.identifiers(v, idColumn{"card", identity.TypeLoyaltyCard}, idColumn{"phone", identity.TypePhone}, idColumn{"email", identity.TypeEmail})
		if errors.Is(err, errAnonymous) {
			return nil, nil, colErr("card", "one of card, phone and email is required")
		}
		if err != nil {
			return nil, nil, err
		}
		rec := &profile.Record{
			Source: source, ID: "customer-" + v["store"] + "-" + hash(key, t.Format(time.RFC3339Nano)),
			Kind: profile.KindCustomer, Time: t, Identifiers: ids,
			Customer: &profile.Customer{FirstName: v["first_name"], LastName: v["last_name"]},
		}
		if v["store"] != "" {
			rec.Customer.Attributes = map[string]profile.Value{"signup_store": profile.StringValue(v["store"])}
		}
		for _, c := range []struct {
			column  string
			purpose consent.Purpose
		}{{"sms_consent", consent.SMSMarketing}, {"email_consent", consent.EmailMarketing}} {
			st, err := parseConsent(v[c.column])
			if err != nil {
				return nil, nil, &columnError{c.column, err}
			}
			if st != "" {
				rec.Consents = append(rec.Consents, consent.Consent{Purpose: c.purpose, Status: st})
			}
		}
		return rec, warn, nil

	case kindReceipts:
		for _, c := range []string{"store", "receipt_no"} {
			if v[c] == "" {
				return nil, nil, &columnError{c, errMissing}
			}
		}
		if v["total"] == "" {
			return nil, nil, &columnError{"total", errMissing}
		}
		total, err := parseAmount(v["total"])
		if err != nil {
			return nil, nil, &columnError{"total", err}
		}
		o := &profile.Order{OrderID: v["receipt_no"], Store: v["store"], Channel: "pos",
			Currency: strings.ToUpper(v["currency"]), Total: total, Coupon: v["coupon"], Return: total < 0}
		if o.Currency == "" {
			o.Currency = "EUR"
		}
		if len(o.Currency) != 3 || strings.Trim(o.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, nil, colErr("currency", "%q is not an ISO 4217 code like EUR", v["currency"])
		}
		if o.Return { // a return's amounts are positive
			o.Total = -o.Total
		}
		if o.Lines, err = parseLines(v["lines"], o.Return); err != nil {
			return nil, nil, &columnError{"lines", err}
		}
		ids, _, warn, err := p.identifiers(v, idColumn{"card", identity.TypeLoyaltyCard}, idColumn{"phone", identity.TypePhone})
		if err != nil {
			return nil, nil, err
		}
		return &profile.Record{
			Source: source, ID: "receipt-" + v["store"] + "-" + v["receipt_no"],
			Kind: profile.KindOrder, Time: t, Identifiers: ids, Order: o,
		}, warn, nil
	}
	return nil, nil, fmt.Errorf("unknown file kind %q", kind)
}

type idColumn struct {
	column string
	typ    identity.Type
}

// identifiers returns the identifiers of the non-empty columns among cols,
// and key, the first of them that normalizes, normalized (for record IDs).
// When none normalizes, err names the first column; when some do, warn
// names the others. Without any, err is errAnonymous.
func (p *processor) identifiers(v map[string]string, cols ...idColumn) (ids []profile.Identifier, key string, warn, err error) {
	var bad []error
	for _, c := range cols {
		raw := v[c.column]
		if raw == "" {
			continue
		}
		n, err := p.eng.NormalizeID(identity.ID{Type: c.typ, Value: raw})
		if err != nil {
			bad = append(bad, &columnError{c.column, err})
		} else if key == "" {
			key = n.String()
		}
		ids = append(ids, profile.Identifier{Type: c.typ, Raw: raw})
	}
	switch {
	case len(ids) == 0:
		return nil, "", nil, errAnonymous
	case key == "":
		return nil, "", nil, bad[0]
	}
	return ids, key, errors.Join(bad...), nil
}

// hash returns a short stable digest of parts, to build record IDs that
// carry no personal data.
func hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

// Layouts of times written without an offset, read in the stores' zone.
var localLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"2.1.2006 15.04.05", "2.1.2006 15.04", "2.1.2006 15:04:05", "2.1.2006 15:04",
	"2006-01-02", "2.1.2006",
}

func (p *processor) parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errMissing
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	for _, l := range localLayouts {
		if err == nil {
			break
		}
		t, err = time.ParseInLocation(l, s, p.loc)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time like 2026-03-02 14:05, 2.3.2026 14.05 or 2026-03-02T14:05:00+02:00", s)
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 { // the engine's range
		return time.Time{}, fmt.Errorf("%q is out of range: year %d in UTC", s, y)
	}
	return t.UTC(), nil
}

// parseAmount reads an amount as cashiers write it: "59,90", "59.90",
// "1 234,50", "1.234,50", "59,90 €". The decimal separator is the last
// comma or point; thousands separators (spaces, or the other of comma and
// point) must separate groups of three digits, so that "12 50" or
// "1.2.3,4" are errors rather than amounts a hundred times too large.
func parseAmount(s string) (profile.Money, error) {
	orig := s
	bad := func() (profile.Money, error) {
		return 0, fmt.Errorf("%q is not an amount like 59,90 or 59.90", orig)
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "€"), "EUR"))
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", strings.TrimSpace(rest)
	}
	s = strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)
	comma, dot := strings.LastIndex(s, ","), strings.LastIndex(s, ".")
	units, frac, thousands := s, "", ""
	switch {
	case comma >= 0 && dot >= 0: // 1,234.50 or 1.234,50
		i := max(comma, dot)
		units, frac, thousands = s[:i], s[i+1:], string(s[min(comma, dot)])
	case strings.Count(s, ",") == 1: // 59,90
		units, frac, _ = strings.Cut(s, ",")
	case strings.Count(s, ".") == 1: // 59.90
		units, frac, _ = strings.Cut(s, ".")
	case comma >= 0 || dot >= 0:
		return bad()
	}
	if thousands != "" {
		units = strings.ReplaceAll(units, thousands, " ")
	}
	groups := strings.Split(units, " ")
	for i, g := range groups {
		if g == "" || strings.Trim(g, "0123456789") != "" || i > 0 && len(g) != 3 || i == 0 && len(groups) > 1 && len(g) > 3 {
			return bad()
		}
	}
	n := sign + strings.Join(groups, "")
	if frac != "" || comma >= 0 || dot >= 0 {
		if frac == "" || strings.Trim(frac, "0123456789") != "" {
			return bad()
		}
		n += "." + frac
	}
	m, err := profile.ParseMoney(n)
	if err != nil || m == math.MinInt64 { // which has no positive, for a return
		return bad()
	}
	return m, nil
}

// parseLines reads "sku:category:quantity:unit_price;...". On a return
// (negative total) quantities and prices are made positive.
func parseLines(s string, isReturn bool) ([]profile.OrderLine, error) {
	var out []profile.OrderLine
	for i, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		f := strings.Split(item, ":")
		if len(f) != 4 {
			return nil, fmt.Errorf("item %d %q: want sku:category:quantity:unit_price", i+1, item)
		}
		qty, err := strconv.Atoi(strings.TrimSpace(f[2]))
		if err != nil {
			return nil, fmt.Errorf("item %d %q: quantity %q is not a whole number", i+1, item, f[2])
		}
		price, err := parseAmount(f[3])
		if err != nil {
			return nil, fmt.Errorf("item %d %q: unit price: %w", i+1, item, err)
		}
		if isReturn {
			qty, price = abs(qty), abs(price)
		} else if qty < 0 || price < 0 {
			return nil, fmt.Errorf("item %d %q: negative quantity or price on a sale", i+1, item)
		}
		total := price * profile.Money(qty)
		if qty < 0 || qty != 0 && total/profile.Money(qty) != price {
			return nil, fmt.Errorf("item %d %q: quantity × unit price out of range", i+1, item)
		}
		out = append(out, profile.OrderLine{SKU: strings.TrimSpace(f[0]), Category: strings.TrimSpace(f[1]),
			Quantity: qty, UnitPrice: price, Total: total})
	}
	return out, nil
}

func abs[T int | profile.Money](x T) T {
	if x < 0 {
		return -x
	}
	return x
}

// parseConsent reads yes or no; "" is no consent event.
func parseConsent(s string) (consent.Status, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "yes", "y", "kyllä", "kylla", "k", "true", "1", "x":
		return consent.Granted, nil
	case "no", "n", "ei", "e", "false", "0":
		return consent.Withdrawn, nil
	}
	return "", fmt.Errorf("%q: want yes or no", s)
}
