package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/unifycdp/unify/profile"
)

// The fuzz targets of the import parsers: the mapping file, CSV rows and
// XML records. Each demands no panic, errors of a known kind, and a
// property of what parses. Run one with
//
//	go test ./examples/unify -run '^$' -fuzz '^FuzzCSVRows$' -fuzztime 60s

// richMapping uses every section of the mapping format.
const richMapping = `{
  "source": "=crm", "kind": "kind", "id": "={store}-{no}", "time": "ts",
  "time_format": "2.1.2006 15.04", "time_zone": "Europe/Helsinki",
  "identifiers": {"email": "email", "phone": ["mobile", "phone"], "loyalty_card": "card"},
  "customer": {"first_name": "fname", "last_name": "lname", "birthdate": "born", "language": "lang",
               "gender": "gender", "street": "street", "postal_code": "zip", "city": "city",
               "region": "region", "country": "country"},
  "attributes": {"tier": "tier"},
  "order": {"order_id": "no", "store": "store", "channel": "=pos", "currency": "cur", "total": "sum",
            "discount": "disc", "coupon": "coupon", "return": "ret"},
  "line": {"sku": "sku", "name": "product", "category": "cat", "quantity": "qty",
           "unit_price": "price", "total": "line_sum"},
  "event": {"name": "event", "channel": "ch", "url": "url", "category": "cat", "query": "q", "campaign": "campaign"},
  "ticket": {"reason": "reason", "priority": "prio", "channel": "ch", "status": "status"},
  "consents": {"email_marketing": "email_ok", "sms_marketing": "sms_ok"},
  "properties": {"nps": "score"}
}`

const richHeader = "kind,store,no,ts,email,mobile,phone,card,fname,lname,born,lang,gender,street,zip,city,region,country," +
	"tier,cur,sum,disc,coupon,ret,sku,product,cat,qty,price,line_sum,event,ch,url,q,campaign,reason,prio,status,email_ok,sms_ok,score"

// fuzzMappings are the mappings FuzzCSVRows reads files with.
var fuzzMappings = []string{posMapping, richMapping,
	`{"source": "src", "kind": "kind", "id": "id", "time": "t", "time_format": "unix_ms", "comma": "\t",
	  "identifiers": {"cookie": "ck", "customer_id": "cid"}, "event": {"name": "ev"}}`}

func FuzzMapping(f *testing.F) {
	f.Add([]byte(posMapping), "receipt_no;ts;card;phone;sum;store;fname;email_ok", "R-1")
	f.Add([]byte(richMapping), richHeader, " Kamppi ")
	f.Add([]byte(fuzzMappings[2]), "src\tkind\tid\tt\tck\tcid\tev", "1772445600000")
	for _, m := range []string{
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","identifiers":{"email":"mail"}}`,
		`{"source":"=s","kind":"=customer","id":"={nope}","time":"ts"}`,
		`{"source":"=s","kind":"=customer","id":"=x{{y}}{id}","time":"ts","time_format":"unix"}`,
		`{"source":"=s","kind":"=customer","id":"=a}b","time":"ts","comma":";;"}`,
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","comma":"\""}`,
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","customer":{"firstname":"mail"}}`,
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","consents":{"SMS":"ok"}}`,
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","time_zone":"Mars/Olympus"}`,
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","identifiers":{"email":null}} {}`,
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","identifiers":{"email":["a",1]}}`,
		`[]`, `{"source":`, ``,
	} {
		f.Add([]byte(m), "id,ts,mail", "2026-01-01T00:00:00Z")
	}
	f.Fuzz(func(t *testing.T, mapping []byte, header, cell string) {
		m, err := parseMapping(mapping)
		if err != nil {
			if m != nil || err.Error() == "" {
				t.Fatalf("error %v with a mapping %+v", err, m)
			}
			return
		}
		// An accepted mapping survives its JSON round trip.
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := parseMapping(b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip of %s:\n%+v\n%+v", b, m, m2)
		}
		// Its separator is one encoding/csv can read with.
		cr := csv.NewReader(strings.NewReader(header))
		if m.Comma != "" {
			cr.Comma, _ = utf8.DecodeRuneInString(m.Comma)
		}
		row, err := cr.Read()
		if err != nil && !errors.As(err, new(*csv.ParseError)) && err.Error() != "EOF" {
			t.Fatalf("accepted comma %q: csv: %v", m.Comma, err)
		}
		if len(row) == 0 {
			return
		}
		conv, err := newCSVConverter(m, row)
		if err != nil {
			return
		}
		cells := make([]string, len(row))
		for i := range cells {
			cells[i] = cell
		}
		rec, err := conv.record(cells)
		checkConverted(t, rec, err)
	})
}

// checkConverted demands a record, and a conversion error that names the
// mapping field at fault or a record that validates or names the field it
// fails on.
func checkConverted(t *testing.T, rec *profile.Record, err error) {
	t.Helper()
	if rec == nil {
		t.Fatalf("no record, error %v", err)
	}
	if err != nil {
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Field == "" {
			t.Fatalf("conversion error %T %v names no field", err, err)
		}
		return
	}
	checkValid(t, rec)
}

// checkValid demands that rec validates, or that validation names the
// fields at fault; a valid record survives the JSON encoding the engine
// stores it in.
func checkValid(t *testing.T, rec *profile.Record) {
	t.Helper()
	if err := rec.Validate(); err != nil {
		var ve *profile.ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Fatalf("validation error %T %v", err, err)
		}
		for _, p := range ve.Problems {
			if p.Field == "" {
				t.Fatalf("validation problem %v names no field", p)
			}
		}
		return
	}
	b, err := rec.AppendJSON(nil)
	if err != nil {
		t.Fatalf("a valid record does not encode: %v", err)
	}
	back, err := profile.DecodeJSON(b)
	if err != nil {
		t.Fatalf("a valid record does not decode from its JSON %s: %v", b, err)
	}
	if diff := cmp.Diff(rec, back); diff != "" {
		t.Fatalf("JSON round trip of %s (-want +got):\n%s", b, diff)
	}
}

// checkYields checks what a reader yields for one input: lines in order,
// input cut from the file.
type yieldChecker struct {
	t    *testing.T
	data []byte
	line int64
	n    int
}

func (c *yieldChecker) check(line int64, input []byte, rec *profile.Record, err error) {
	c.t.Helper()
	c.n++
	if line < c.line || line < 1 {
		c.t.Fatalf("yield %d: line %d after line %d", c.n, line, c.line)
	}
	c.line = line
	if !bytes.Contains(c.data, input) {
		c.t.Fatalf("yield %d: input %q is not in the file", c.n, input)
	}
	if err == nil && rec == nil {
		c.t.Fatalf("yield %d: neither a record nor an error", c.n)
	}
}

func FuzzCSVRows(f *testing.F) {
	f.Add(uint8(0), []byte(posCSV))
	f.Add(uint8(0), []byte("\ufeffreceipt_no;ts;card;phone;sum;store;fname;email_ok\r\nR-9;2026-03-06 14:05;;040 123 4567;\"1 234,50\";\"Kamppi; Itis\";;no\r\n"))
	f.Add(uint8(0), []byte("receipt_no;ts;card;phone;sum;store;fname;email_ok\nR-1;2026-03-06 14:05;7001;;12,50;Kamppi\nR-2;\"2026\"x;;;;;;\n"))
	f.Add(uint8(1), []byte(richHeader+"\n"+
		"order,Kamppi,10001,2.3.2026 14.05,Jane.Doe@Posti.fi,040 123 4567,,7001 2345,Jane,Doe,1988-04-12,fi,,Mannerheimintie 1,00100,Helsinki,,FI,"+
		"gold,EUR,\"89,90\",0,CURTAINS20,no,C-200,Linen curtain,curtains,2,\"44,95\",\"89,90\",,,,,,,,,yes,withdrawn,9\n"+
		"event,Web,1,2.3.2026 9.00,a@b.fi,,,,,,,,,,,,,,,,,,,,,,curtains,,,,product_view,web,/p/c-200,,spring,,,,,,\n"+
		"ticket,Web,2,2.3.2026 10.00,,+358 50 765 4321,,,,,,,,,,,,,,,,,,,,,,,,,,phone,,,,delivery,high,open,,,\n"+
		"return,Kamppi,10002,32.3.2026 10.00,,,,7001,,,,,,,,,,,,EUR,\"-12,50\",,,maybe,,,,two,,,,,,,,,,,,,\n"))
	f.Add(uint8(2), []byte("src\tkind\tid\tt\tck\tcid\tev\nweb\tevent\te-1\t1772445600000\tck-3f9a\t\tpage_view\nweb\tevent\te-2\tsoon\t\t\t\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m, err := parseMapping([]byte(fuzzMappings[int(which)%len(fuzzMappings)]))
		if err != nil {
			t.Fatal(err)
		}
		c := &yieldChecker{t: t, data: data}
		err = csvRows(bytes.NewReader(data), m, func(line int64, input []byte, rec *profile.Record, err error) bool {
			c.check(line, input, rec, err)
			if line < 2 {
				t.Fatalf("a data row on line %d", line)
			}
			switch {
			case err != nil && strings.HasPrefix(err.Error(), "csv: "):
				if rec != nil {
					t.Fatalf("a record from a row that does not parse: %v", err)
				}
			default:
				checkConverted(t, rec, err)
			}
			return true
		})
		if err != nil && !strings.HasPrefix(err.Error(), "header: ") && !strings.Contains(err.Error(), "no column") {
			t.Fatalf("file error %v", err)
		}
	})
}

func FuzzXMLRecords(f *testing.F) {
	f.Add([]byte(crmXML))
	f.Add([]byte(`<records>
  <record source="pos" id="signup-88" kind="customer" time="2026-03-04T11:00:00Z">
    <identifier type="loyalty_card">7001 2345</identifier>
    <identifier type="phone">040 123 4567</identifier>
    <customer first_name="Jane" last_name="Doe" birthdate="1988-04-12" language="fi" gender="">
      <address street="" postal_code="00100" city="Helsinki" region="" country="FI"/>
      <attribute name="tier">gold</attribute>
      <attribute name="vip" type="bool">yes</attribute>
    </customer>
    <order order_id="1001" store="Kamppi" channel="pos" currency="EUR" total="89.90" discount="0" coupon="" return="false">
      <line sku="C-200" name="Linen curtain" category="curtains" quantity="2" unit_price="44,95" total="89.90"/>
    </order>
    <event name="product_view" channel="web" url="" category="curtains" query="" campaign=""/>
    <ticket reason="delivery" priority="high" channel="phone" status="open"/>
    <consent purpose="sms_marketing" status="granted" time="" source="" record_id="" scope_type="phone" scope_value="+358401234567"/>
    <property name="nps" type="number">9</property>
  </record>
  <other/>
  <record source="crm" id="b" kind="customer" time="2026-01-01T00:00:00Z"><identifier type="email">b@b.fi</identifier><customer first_name="B"></record>
</records>`))
	f.Add([]byte(`<records><record source="crm" id="d" kind="customer" time="2026-01-01T00:00:00Z"><identifier type="email">d@b.fi</identifier><customer first_name="D"/><colour>red</colour></record>
<record source="crm" id="e" kind="customer" time="2026-01-01T00:00:00+02:00" colour="red"><identifier type="email">e@b.fi</identifier><property name="p" type="date">x</property></record></records>`))
	f.Add([]byte(`<records><record source="s" id="1" kind="order" time="2026-01-01T00:00:00Z"><order total="1e400"><line quantity="x" unit_price="1.234"/></order><consent purpose="" time="now"/></record>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE records><records><!-- c --><record/><![CDATA[x]]></records><records/>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><records><record/></records>`))
	f.Add([]byte(`<?xml version="1.0" encoding="us-ascii"?><r><record source="s" id="1" kind="event" time="2026-01-01T00:00:00Z"><identifier type="cookie">c</identifier><event name="x"/></record></r>`))
	f.Add([]byte("<r>\n<record source='s' id='2' kind='consent' time='2026-01-01T00:00:00Z'><identifier type='email'>a@b.fi</identifier><consent purpose='sms_marketing' status='granted'/></record>\n<record/></r>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &yieldChecker{t: t, data: data}
		err := xmlRecords(bytes.NewReader(data), func(line int64, input []byte, rec *profile.Record, err error) bool {
			c.check(line, input, rec, err)
			if err == nil {
				if len(input) == 0 {
					t.Fatalf("record %s without its input", rec.Key())
				}
				checkValid(t, rec)
			} else if !strings.HasPrefix(err.Error(), "xml: ") {
				t.Fatalf("error %v", err)
			}
			return true
		})
		if err != nil {
			t.Fatalf("file error %v", err)
		}
	})
}

// Inputs the fuzz targets found, as regression tests.
func TestFuzzFindings(t *testing.T) {
	// A row with a stray quote panicked in csv.Reader.FieldPos.
	m, err := parseMapping([]byte(posMapping))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = csvRows(strings.NewReader("receipt_no;ts;card;phone;sum;store;fname;email_ok\n0\"0"), m, func(line int64, input []byte, rec *profile.Record, err error) bool {
		got = append(got, fmt.Sprintf("%d %s %v", line, input, err))
		return true
	})
	if want := []string{`2 0"0 csv: bare " in non-quoted-field`}; err != nil || !slices.Equal(got, want) {
		t.Errorf("stray quote: %q, %v; want %q", got, err, want)
	}

	// Mappings with a separator encoding/csv refuses, or with data after
	// the object, are errors of the mapping.
	for mapping, want := range map[string]string{
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","comma":"\""}`:     "cannot separate fields",
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","comma":"\n"}`:     "cannot separate fields",
		`{"source":"=s","kind":"=customer","id":"id","time":"ts"} {"id":"x"}`:       "data after the mapping",
		`{"source":"=s","kind":"=customer","id":"id","time":"ts","comma":"\ufffd"}`: "cannot separate fields",
	} {
		if _, err := parseMapping([]byte(mapping)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mapping %s: %v, want %q", mapping, err, want)
		}
	}

	// An XML file declaring another encoding than UTF-8 failed the import
	// as a whole; it is rejected like a syntax error.
	got = nil
	err = xmlRecords(strings.NewReader(`<?xml version="1.0" encoding="ISO-8859-1"?><records/>`), func(line int64, input []byte, rec *profile.Record, err error) bool {
		got = append(got, fmt.Sprintf("%d %v", line, err))
		return true
	})
	if err != nil || len(got) != 1 || !strings.Contains(got[0], "must be UTF-8; the rest of the file was not read") {
		t.Errorf("ISO-8859-1: %q, %v", got, err)
	}
}
