package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

// The XML record format (see the package documentation). Unknown elements
// and attributes are errors, as unknown fields are in the JSON format, so
// that a misspelt name does not drop data silently.

type xmlRecord struct {
	Source      string          `xml:"source,attr"`
	ID          string          `xml:"id,attr"`
	Kind        string          `xml:"kind,attr"`
	Time        string          `xml:"time,attr"`
	Identifiers []xmlIdentifier `xml:"identifier"`
	Customer    *xmlCustomer    `xml:"customer"`
	Order       *xmlOrder       `xml:"order"`
	Event       *xmlEvent       `xml:"event"`
	Ticket      *xmlTicket      `xml:"ticket"`
	Consents    []xmlConsent    `xml:"consent"`
	Properties  []xmlValue      `xml:"property"`
	extra
}

type xmlIdentifier struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
	extra
}

type xmlCustomer struct {
	FirstName  string      `xml:"first_name,attr"`
	LastName   string      `xml:"last_name,attr"`
	Birthdate  string      `xml:"birthdate,attr"`
	Language   string      `xml:"language,attr"`
	Gender     string      `xml:"gender,attr"`
	Address    *xmlAddress `xml:"address"`
	Attributes []xmlValue  `xml:"attribute"`
	extra
}

type xmlAddress struct {
	Street     string `xml:"street,attr"`
	PostalCode string `xml:"postal_code,attr"`
	City       string `xml:"city,attr"`
	Region     string `xml:"region,attr"`
	Country    string `xml:"country,attr"`
	extra
}

// xmlValue is a free attribute or property: a string unless type says
// number or bool.
type xmlValue struct {
	Name  string `xml:"name,attr"`
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
	extra
}

type xmlOrder struct {
	OrderID  string    `xml:"order_id,attr"`
	Store    string    `xml:"store,attr"`
	Channel  string    `xml:"channel,attr"`
	Currency string    `xml:"currency,attr"`
	Total    string    `xml:"total,attr"`
	Discount string    `xml:"discount,attr"`
	Coupon   string    `xml:"coupon,attr"`
	Return   string    `xml:"return,attr"`
	Lines    []xmlLine `xml:"line"`
	extra
}

type xmlLine struct {
	SKU       string `xml:"sku,attr"`
	Name      string `xml:"name,attr"`
	Category  string `xml:"category,attr"`
	Quantity  string `xml:"quantity,attr"`
	UnitPrice string `xml:"unit_price,attr"`
	Total     string `xml:"total,attr"`
	extra
}

type xmlEvent struct {
	Name     string `xml:"name,attr"`
	Channel  string `xml:"channel,attr"`
	URL      string `xml:"url,attr"`
	Category string `xml:"category,attr"`
	Query    string `xml:"query,attr"`
	Campaign string `xml:"campaign,attr"`
	extra
}

type xmlTicket struct {
	Reason   string `xml:"reason,attr"`
	Priority string `xml:"priority,attr"`
	Channel  string `xml:"channel,attr"`
	Status   string `xml:"status,attr"`
	extra
}

type xmlConsent struct {
	Purpose    string `xml:"purpose,attr"`
	Status     string `xml:"status,attr"`
	Time       string `xml:"time,attr"`
	Source     string `xml:"source,attr"`
	RecordID   string `xml:"record_id,attr"`
	ScopeType  string `xml:"scope_type,attr"`
	ScopeValue string `xml:"scope_value,attr"`
	extra
}

// extra catches what a format element does not define.
type extra struct {
	UnknownAttrs []xml.Attr `xml:",any,attr"`
	UnknownElems []struct {
		XMLName xml.Name
	} `xml:",any"`
}

func (x *extra) check(elem string) error {
	if len(x.UnknownElems) > 0 {
		return fmt.Errorf("<%s>: unknown element <%s>", elem, x.UnknownElems[0].XMLName.Local)
	}
	if len(x.UnknownAttrs) > 0 {
		return fmt.Errorf("<%s>: unknown attribute %q", elem, x.UnknownAttrs[0].Name.Local)
	}
	return nil
}

// record converts the element to a record; the record may still be invalid
// (the engine validates it).
func (x *xmlRecord) record() (*profile.Record, error) {
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	r := &profile.Record{Source: strings.TrimSpace(x.Source), ID: strings.TrimSpace(x.ID), Kind: profile.Kind(strings.TrimSpace(x.Kind))}
	check(x.check("record"))
	if x.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(x.Time))
		if err != nil {
			check(fmt.Errorf("time: not an RFC 3339 time: %q", x.Time))
		}
		r.Time = t.UTC()
	}
	for _, id := range x.Identifiers {
		check(id.check("identifier"))
		r.Identifiers = append(r.Identifiers, profile.Identifier{Type: identity.Type(strings.TrimSpace(id.Type)), Raw: strings.TrimSpace(id.Value)})
	}
	if c := x.Customer; c != nil {
		check(c.check("customer"))
		cu := &profile.Customer{FirstName: c.FirstName, LastName: c.LastName, Birthdate: c.Birthdate, Language: c.Language, Gender: c.Gender}
		if a := c.Address; a != nil {
			check(a.check("address"))
			cu.Address = &profile.Address{Street: a.Street, PostalCode: a.PostalCode, City: a.City, Region: a.Region, Country: a.Country}
		}
		var err error
		cu.Attributes, err = xmlValues("attribute", c.Attributes)
		check(err)
		r.Customer = cu
	}
	if o := x.Order; o != nil {
		check(o.check("order"))
		ro := &profile.Order{OrderID: o.OrderID, Store: o.Store, Channel: o.Channel, Currency: o.Currency, Coupon: o.Coupon}
		var err error
		if ro.Total, err = money(o.Total); err != nil {
			check(fmt.Errorf("order total: %w", err))
		}
		if ro.Discount, err = money(o.Discount); err != nil {
			check(fmt.Errorf("order discount: %w", err))
		}
		if o.Return != "" {
			if ro.Return, err = parseBool(o.Return); err != nil {
				check(fmt.Errorf("order return: %w", err))
			}
		}
		for i, l := range o.Lines {
			check(l.check("line"))
			rl := profile.OrderLine{SKU: l.SKU, Name: l.Name, Category: l.Category, Quantity: 1}
			if l.Quantity != "" {
				if rl.Quantity, err = strconv.Atoi(strings.TrimSpace(l.Quantity)); err != nil {
					check(fmt.Errorf("order line %d quantity: not a whole number: %q", i+1, l.Quantity))
				}
			}
			if rl.UnitPrice, err = money(l.UnitPrice); err != nil {
				check(fmt.Errorf("order line %d unit_price: %w", i+1, err))
			}
			if rl.Total, err = money(l.Total); err != nil {
				check(fmt.Errorf("order line %d total: %w", i+1, err))
			}
			ro.Lines = append(ro.Lines, rl)
		}
		r.Order = ro
	}
	if e := x.Event; e != nil {
		check(e.check("event"))
		r.Event = &profile.Event{Name: e.Name, Channel: e.Channel, URL: e.URL, Category: e.Category, Query: e.Query, Campaign: e.Campaign}
	}
	if t := x.Ticket; t != nil {
		check(t.check("ticket"))
		r.Ticket = &profile.Ticket{Reason: t.Reason, Priority: t.Priority, Channel: t.Channel, Status: t.Status}
	}
	for i, c := range x.Consents {
		check(c.check("consent"))
		rc := consent.Consent{Purpose: consent.Purpose(c.Purpose), Status: consent.Status(c.Status), Source: c.Source, RecordID: c.RecordID}
		if c.Time != "" {
			t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(c.Time))
			if err != nil {
				check(fmt.Errorf("consent %d time: not an RFC 3339 time: %q", i+1, c.Time))
			}
			rc.Time = t.UTC()
		}
		if c.ScopeType != "" || c.ScopeValue != "" {
			rc.Scope = &identity.ID{Type: identity.Type(c.ScopeType), Value: c.ScopeValue}
		}
		r.Consents = append(r.Consents, rc)
	}
	var err error
	r.Properties, err = xmlValues("property", x.Properties)
	check(err)
	if len(errs) > 0 {
		return r, errors.Join(errs...)
	}
	// Fill in consent defaults as the JSON decoder does, so that a record
	// reads the same from either format.
	for i := range r.Consents {
		r.Consents[i] = r.Consent(i)
	}
	return r, nil
}

func xmlValues(elem string, vs []xmlValue) (map[string]profile.Value, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	m := make(map[string]profile.Value, len(vs))
	for _, v := range vs {
		if err := v.check(elem); err != nil {
			return nil, err
		}
		switch v.Type {
		case "", "string":
			m[v.Name] = profile.StringValue(v.Value)
		case "number":
			f, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64)
			if err != nil {
				return nil, fmt.Errorf("<%s name=%q>: not a number: %q", elem, v.Name, v.Value)
			}
			m[v.Name] = profile.NumberValue(f)
		case "bool":
			b, err := parseBool(strings.TrimSpace(v.Value))
			if err != nil {
				return nil, fmt.Errorf("<%s name=%q>: %w", elem, v.Name, err)
			}
			m[v.Name] = profile.BoolValue(b)
		default:
			return nil, fmt.Errorf("<%s name=%q>: unknown type %q (want string, number or bool)", elem, v.Name, v.Type)
		}
	}
	return m, nil
}

// maxRejectInput caps the input kept for a reject that is cut short by an
// XML syntax error.
const maxRejectInput = 4 << 10

// xmlRecords reads an XML file and yields its <record> elements, one at a
// time. yield gets the line the element starts on, its original text and
// the record or the error. A syntax error ends the file: it is yielded as
// an error for the rest of the file.
func xmlRecords(r io.Reader, yield func(line int64, input []byte, rec *profile.Record, err error) bool) error {
	rec := &recorder{r: r}
	d := xml.NewDecoder(rec)
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf8", "us-ascii", "ascii":
			return in, nil
		}
		return nil, errors.New("the input must be UTF-8")
	}
	depth := 0
	// syntax ends the file on a decoding error: one in the input is
	// yielded for the rest of the file, one in reading it is returned.
	syntax := func(line int64, off int64, err error) error {
		if rec.err != nil {
			return err
		}
		msg := err.Error()
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			msg = fmt.Sprintf("line %d: %s", se.Line, se.Msg)
		} else {
			msg = strings.TrimPrefix(msg, "xml: ")
		}
		in := rec.slice(off, rec.base+int64(len(rec.buf)))
		if len(in) > maxRejectInput {
			in = in[:maxRejectInput]
		}
		yield(line, in, nil, fmt.Errorf("xml: %s; the rest of the file was not read", msg))
		return nil
	}
	for {
		off := d.InputOffset()
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			if depth > 0 {
				return syntax(int64(line), off, &xml.SyntaxError{Msg: "unexpected end of file", Line: line})
			}
			return nil
		}
		if err != nil {
			return syntax(int64(line), off, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth != 2 {
				break
			}
			depth--
			if t.Name.Local != "record" {
				if err := d.Skip(); err != nil {
					return syntax(int64(line), off, err)
				}
				in := rec.slice(off, d.InputOffset())
				if !yield(int64(line), in, nil, fmt.Errorf("xml: unexpected element <%s>, want <record>", t.Name.Local)) {
					return nil
				}
				break
			}
			var xr xmlRecord
			if err := d.DecodeElement(&xr, &t); err != nil {
				return syntax(int64(line), off, err)
			}
			in := rec.slice(off, d.InputOffset())
			r, err := xr.record()
			if err != nil {
				err = fmt.Errorf("xml: %w", err)
			}
			if !yield(int64(line), in, r, err) {
				return nil
			}
		case xml.EndElement:
			depth--
		}
		rec.drop(d.InputOffset())
	}
}
