package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

var exportCommand = &command{
	name:     "export",
	synopsis: "[-what profiles|map] [-format jsonl|csv|xml] [-o file]",
	summary:  "export profiles or the identity map",
	about: `-what profiles writes every profile: JSON lines of the profile's JSON, CSV with
the columns
  ` + strings.Join(profileColumns, ", ") + `
(lists separated by "|"; consents granted, withdrawn or empty; RFC 3339 times),
or XML (<profiles><profile id=".."> with <identifier>, <attribute>, <consent>
and <traits> children).

-what map writes the identity map, one entry per stored record: source,
record and the profile that holds it, so that source systems can store the
unified ID. JSON lines {"source","record","profile"}, CSV with those
columns, or XML <map><entry source=".." record=".." profile=".."/></map>.

With -o the output is written to a temporary file and renamed at the end,
so a failed export leaves no half file.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		f := &exportFlags{}
		fs.StringVar(&f.what, "what", "profiles", "`what` to export: profiles or map")
		fs.StringVar(&f.format, "format", "", "output `format`: jsonl, csv or xml (default: from the -o extension, else jsonl)")
		fs.StringVar(&f.out, "o", "", "output `file` (default: standard output)")
		return func(ctx context.Context, e *env, args []string) error { return runExport(ctx, e, f, args) }
	},
}

type exportFlags struct{ what, format, out string }

func runExport(ctx context.Context, e *env, f *exportFlags, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if f.what != "profiles" && f.what != "map" {
		return usagef("-what %q: want profiles or map", f.what)
	}
	format := f.format
	if format == "" && f.out != "" {
		format, _ = formatOf(f.out, "")
	}
	switch format {
	case "":
		format = "jsonl"
	case "jsonl", "csv", "xml":
	default:
		return usagef("-format %q: want jsonl, csv or xml", format)
	}
	eng, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()

	out, commit, err := output(e.stdout, f.out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 64<<10)
	var n int
	if f.what == "map" {
		n, err = exportMap(ctx, eng, w, format)
	} else {
		n, err = exportProfiles(ctx, eng, w, format)
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err := commit(err); err != nil {
		return err
	}
	if f.out != "" {
		fmt.Fprintf(e.stderr, "exported %d %s to %s\n", n, map[string]string{"map": "identity map entries", "profiles": "profiles"}[f.what], f.out)
	}
	return nil
}

// output returns the writer for path ("" is stdout) and a function that
// finishes it: it renames the temporary file into place if err is nil and
// removes it otherwise.
func output(stdout io.Writer, path string) (io.Writer, func(error) error, error) {
	if path == "" {
		return stdout, func(err error) error { return err }, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, nil, err
	}
	return tmp, func(err error) error {
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
		return err
	}, nil
}

// exportAll writes the items of seq in format: JSON lines of jsonv, CSV
// rows of row under header, or the XML of xmlv, one element per item under
// a root element. It returns how many items it wrote.
func exportAll[T any](w io.Writer, format, root string, header []string, seq iter.Seq2[T, error],
	jsonv func(T) any, row func(T) []string, xmlv func(T) any) (int, error) {
	var cw *csv.Writer
	var xe *xml.Encoder
	var je *json.Encoder
	switch format {
	case "csv":
		cw = csv.NewWriter(w)
		cw.Write(header)
	case "xml":
		io.WriteString(w, xml.Header+"<"+root+">\n")
		xe = xml.NewEncoder(w)
		xe.Indent("", "  ")
	default:
		je = json.NewEncoder(w)
		je.SetEscapeHTML(false)
	}
	n := 0
	for v, err := range seq {
		if err != nil {
			return n, err
		}
		switch format {
		case "csv":
			err = cw.Write(row(v))
		case "xml":
			if err = xe.Encode(xmlv(v)); err == nil {
				_, err = io.WriteString(w, "\n")
			}
		default:
			err = je.Encode(jsonv(v))
		}
		if err != nil {
			return n, err
		}
		n++
	}
	switch format {
	case "csv":
		cw.Flush()
		return n, cw.Error()
	case "xml":
		_, err := io.WriteString(w, "</"+root+">\n")
		return n, err
	}
	return n, nil
}

func exportMap(ctx context.Context, eng *unify.Engine, w io.Writer, format string) (int, error) {
	return exportAll(w, format, "map", []string{"source", "record", "profile"}, eng.IdentityMap(ctx),
		func(m unify.MapEntry) any { return m },
		func(m unify.MapEntry) []string { return []string{m.Source, m.Record, m.Profile} },
		func(m unify.MapEntry) any { return xmlMapEntry{Source: m.Source, Record: m.Record, Profile: m.Profile} })
}

type xmlMapEntry struct {
	XMLName xml.Name `xml:"entry"`
	Source  string   `xml:"source,attr"`
	Record  string   `xml:"record,attr"`
	Profile string   `xml:"profile,attr"`
}

// profileColumns are the columns of the CSV profile export.
var profileColumns = []string{
	"id", "first_name", "last_name", "birthdate", "language", "street", "postal_code", "city", "country",
	"emails", "phones", "loyalty_cards", "customer_ids", "records", "first_seen", "last_seen",
	"order_count", "returns", "total_spend", "currency", "last_order", "favourite_store",
	"email_marketing", "sms_marketing", "aliases",
}

func profileRow(p *profile.Profile) []string {
	ids := func(t identity.Type) string {
		var vs []string
		for _, info := range p.Identifiers {
			if info.ID.Type == t {
				vs = append(vs, info.ID.Value)
			}
		}
		return strings.Join(vs, "|")
	}
	attr := func(name string) string {
		if v := p.Attr(name); !v.IsEmpty() {
			return v.String()
		}
		return ""
	}
	status := func(purpose consent.Purpose) string {
		if c, ok := p.Consents.Get(purpose, nil); ok {
			return string(c.Status)
		}
		return ""
	}
	return []string{
		p.ID, attr(profile.AttrFirstName), attr(profile.AttrLastName), attr(profile.AttrBirthdate), attr(profile.AttrLanguage),
		attr(profile.AttrStreet), attr(profile.AttrPostalCode), attr(profile.AttrCity), attr(profile.AttrCountry),
		ids(identity.TypeEmail), ids(identity.TypePhone), ids(identity.TypeLoyaltyCard), ids(identity.TypeCustomerID),
		strconv.Itoa(p.Records), rfc3339(p.FirstSeen), rfc3339(p.LastSeen),
		strconv.Itoa(p.Traits.OrderCount), strconv.Itoa(p.Traits.Returns), p.Traits.TotalSpend.String(), p.Traits.Currency,
		rfc3339(p.Traits.LastOrder), p.Traits.FavouriteStore,
		status(consent.EmailMarketing), status(consent.SMSMarketing), strings.Join(p.Aliases, "|"),
	}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func exportProfiles(ctx context.Context, eng *unify.Engine, w io.Writer, format string) (int, error) {
	return exportAll(w, format, "profiles", profileColumns, eng.Profiles(ctx),
		func(p *profile.Profile) any { return p }, profileRow,
		func(p *profile.Profile) any { return toXMLProfile(p) })
}

// The XML profile export.
type xmlProfile struct {
	XMLName     xml.Name         `xml:"profile"`
	ID          string           `xml:"id,attr"`
	Records     int              `xml:"records,attr"`
	FirstSeen   string           `xml:"first_seen,attr,omitempty"`
	LastSeen    string           `xml:"last_seen,attr,omitempty"`
	Aliases     []string         `xml:"alias"`
	Identifiers []xmlProfileID   `xml:"identifier"`
	Attributes  []xmlProfileAttr `xml:"attribute"`
	Consents    []xmlConsent     `xml:"consent"`
	Traits      xmlTraits        `xml:"traits"`
	Segments    []string         `xml:"segment"`
}

type xmlProfileID struct {
	Type      string `xml:"type,attr"`
	Sources   string `xml:"sources,attr"`
	Records   int    `xml:"records,attr"`
	FirstSeen string `xml:"first_seen,attr"`
	LastSeen  string `xml:"last_seen,attr"`
	Value     string `xml:",chardata"`
}

type xmlProfileAttr struct {
	Name   string `xml:"name,attr"`
	Type   string `xml:"type,attr,omitempty"`
	Source string `xml:"source,attr"`
	Record string `xml:"record_id,attr"`
	Time   string `xml:"time,attr"`
	Value  string `xml:",chardata"`
}

type xmlTraits struct {
	OrderCount        int        `xml:"order_count,attr"`
	Returns           int        `xml:"returns,attr"`
	Currency          string     `xml:"currency,attr,omitempty"`
	TotalSpend        string     `xml:"total_spend,attr"`
	AverageOrderValue string     `xml:"average_order_value,attr"`
	FirstOrder        string     `xml:"first_order,attr,omitempty"`
	LastOrder         string     `xml:"last_order,attr,omitempty"`
	LastSeen          string     `xml:"last_seen,attr,omitempty"`
	FavouriteStore    string     `xml:"favourite_store,attr,omitempty"`
	Tickets           int        `xml:"tickets,attr"`
	Spend             []xmlSpend `xml:"spend"`
	Channels          []string   `xml:"channel"`
	CategoriesBought  []string   `xml:"category_bought"`
	CategoriesBrowsed []string   `xml:"category_browsed"`
	Coupons           []string   `xml:"coupon"`
	Events            []xmlCount `xml:"event"`
	Kinds             []xmlCount `xml:"records"`
}

type xmlSpend struct {
	Currency string `xml:"currency,attr"`
	Orders   int    `xml:"orders,attr"`
	Returns  int    `xml:"returns,attr"`
	Net      string `xml:"net,attr"`
}

type xmlCount struct {
	Name  string `xml:"name,attr,omitempty"`
	Kind  string `xml:"kind,attr,omitempty"`
	Count int    `xml:"count,attr"`
}

func toXMLProfile(p *profile.Profile) xmlProfile {
	x := xmlProfile{ID: p.ID, Records: p.Records, FirstSeen: rfc3339(p.FirstSeen), LastSeen: rfc3339(p.LastSeen), Aliases: p.Aliases, Segments: p.Segments}
	for _, info := range p.Identifiers {
		x.Identifiers = append(x.Identifiers, xmlProfileID{Type: string(info.ID.Type), Sources: strings.Join(info.Sources, " "), Records: info.Records,
			FirstSeen: rfc3339(info.FirstSeen), LastSeen: rfc3339(info.LastSeen), Value: info.ID.Value})
	}
	for name, a := range p.Attributes.All() {
		typ := ""
		if k := a.Value.Kind(); k != profile.ValueString {
			typ = k.String()
		}
		x.Attributes = append(x.Attributes, xmlProfileAttr{Name: name, Type: typ, Source: a.Source, Record: a.RecordID, Time: rfc3339(a.Time), Value: a.Value.String()})
	}
	for c := range p.Consents.All() {
		xc := xmlConsent{Purpose: string(c.Purpose), Status: string(c.Status), Time: rfc3339(c.Time), Source: c.Source, RecordID: c.RecordID}
		if c.Scope != nil {
			xc.ScopeType, xc.ScopeValue = string(c.Scope.Type), c.Scope.Value
		}
		x.Consents = append(x.Consents, xc)
	}
	t := &p.Traits
	x.Traits = xmlTraits{
		OrderCount: t.OrderCount, Returns: t.Returns, Currency: t.Currency, TotalSpend: t.TotalSpend.String(),
		AverageOrderValue: t.AverageOrderValue.String(), FirstOrder: rfc3339(t.FirstOrder), LastOrder: rfc3339(t.LastOrder),
		LastSeen: rfc3339(t.LastSeen), FavouriteStore: t.FavouriteStore, Tickets: t.Tickets,
		Channels: t.Channels, CategoriesBought: t.CategoriesBought, CategoriesBrowsed: t.CategoriesBrowsed, Coupons: t.Coupons,
	}
	for cur, s := range t.SpendByCurrency.All() {
		x.Traits.Spend = append(x.Traits.Spend, xmlSpend{Currency: cur, Orders: s.Orders, Returns: s.Returns, Net: s.Net.String()})
	}
	for name, n := range t.EventCounts.All() {
		x.Traits.Events = append(x.Traits.Events, xmlCount{Name: name, Count: n})
	}
	for k, n := range t.RecordsByKind.All() {
		x.Traits.Kinds = append(x.Traits.Kinds, xmlCount{Kind: string(k), Count: n})
	}
	return x
}
