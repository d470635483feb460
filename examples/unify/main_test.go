package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/profile"
)

// The seed story of the engine's example, as history files: JSON lines
// from the web and the webstore, a POS receipt export in CSV with Finnish
// cashier phone formats, and a CRM/customer-service dump in XML. Each file
// has one bad record.

const historyJSONL = `{"source":"web","id":"ev-1","kind":"event","time":"2026-03-02T09:00:00Z","identifiers":[{"type":"cookie","value":"ck-3f9a"}],"event":{"name":"product_view","channel":"web","category":"curtains"}}
{"source":"pos","id":"signup-88","kind":"customer","time":"2026-03-04T11:00:00Z","identifiers":[{"type":"loyalty_card","value":"7001 2345"},{"type":"phone","value":"040 123 4567"},{"type":"email","value":"Jane.Doe@Posti.fi"}],"customer":{"first_name":"Jane","last_name":"Doe"},"consents":[{"purpose":"sms_marketing","status":"granted"}]}

{"source":"web","id":"ev-2","kind":"event","identifiers":[{"type":"cookie","value":"ck-1"}],"event":{"name":"page_view"}}
{"source":"webstore","id":"order-1001","kind":"order","time":"2026-03-05T12:00:00Z","identifiers":[{"type":"email","value":"jane.doe@posti.fi"},{"type":"cookie","value":"ck-3f9a"}],"order":{"order_id":"1001","channel":"web","currency":"EUR","total":89.90,"coupon":"CURTAINS20","lines":[{"sku":"C-200","name":"Linen curtain","category":"curtains","quantity":2,"unit_price":44.95,"total":89.90}]},"consents":[{"purpose":"email_marketing","status":"granted"}]}
`

const posCSV = `receipt_no;ts;card;phone;sum;store;fname;email_ok
R-1;2026-03-06 14:05;7001 2345;040 123 4567;12,50;Kamppi;Jane;
R-2;2026-03-07 10:00;;+358 50 765 4321;20.00;Kamppi;Matti;yes
R-3;not a time;;050 765 4321;5,00;Kamppi;;
"R-4";2026-03-08 10:00;;050-765 4321;7,5;"Itis";Matti;
`

const posMapping = `{
  "source": "=pos", "kind": "=order", "id": "={store}-{receipt_no}",
  "time": "ts", "time_format": "2006-01-02 15:04", "time_zone": "Europe/Helsinki", "comma": ";",
  "identifiers": {"loyalty_card": "card", "phone": "phone"},
  "customer": {"first_name": "fname"},
  "order": {"order_id": "receipt_no", "total": "sum", "store": "store", "currency": "=EUR", "channel": "=pos"},
  "consents": {"email_marketing": "email_ok"}
}`

const crmXML = `<?xml version="1.0" encoding="UTF-8"?>
<records>
  <record source="service" id="t-1" kind="ticket" time="2026-03-08T09:00:00Z">
    <identifier type="email">JANE.DOE@POSTI.FI</identifier>
    <ticket reason="delivery" channel="phone"/>
  </record>
  <record source="crm" id="c-1" kind="customer" time="2026-03-09T09:00:00Z">
    <identifier type="phone">+358 40 1234567</identifier>
    <customer first_name="Jane" last_name="Doe">
      <address city="Helsinki" country="FI"/>
      <attribute name="tier">gold</attribute>
      <attribute name="points" type="number">1200</attribute>
    </customer>
    <consent purpose="email_marketing" status="withdrawn"/>
  </record>
  <record source="crm" id="c-2" kind="customer" time="yesterday">
    <identifier type="email">x@example.fi</identifier>
    <customer first_name="X"/>
  </record>
</records>
`

// goodRecords are the keys of the good records of the three files.
var goodRecords = []string{
	"web/ev-1", "pos/signup-88", "webstore/order-1001",
	"pos/Kamppi-R-1", "pos/Kamppi-R-2", "pos/Itis-R-4",
	"service/t-1", "crm/c-1",
}

// tool runs the command line args (after -dir) and returns its output.
func tool(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"-dir", dir, "-region", "FI"}, args...), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// mustTool is tool that fails the test on an error.
func mustTool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errOut, err := tool(t, dir, args...)
	if err != nil {
		t.Fatalf("unify %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// summary parses the counts of an import summary.
func summary(t *testing.T, out string) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, match := range regexp.MustCompile(`(?m)^(\w+)\s+(\d+)`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(match[2])
		m[match[1]] = n
	}
	return m
}

func checkSummary(t *testing.T, out string, want map[string]int) {
	t.Helper()
	got := summary(t, out)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("summary %s = %d, want %d\n%s", k, got[k], v, out)
		}
	}
}

// history writes the three history files and the mapping into dir.
func history(t *testing.T, dir string) (jsonl, csvFile, mapping, xmlFile string) {
	return write(t, filepath.Join(dir, "history.jsonl"), historyJSONL),
		write(t, filepath.Join(dir, "pos.csv"), posCSV),
		write(t, filepath.Join(dir, "pos-map.json"), posMapping),
		write(t, filepath.Join(dir, "crm.xml"), crmXML)
}

func readRejects(t *testing.T, path string) []rejectLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []rejectLine
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var r rejectLine
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("reject line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func TestEndToEnd(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	jsonl, csvFile, mapping, xmlFile := history(t, tmp)
	rejects := filepath.Join(tmp, "rejects.jsonl")

	out := mustTool(t, data, "import", "-map", mapping, "-rejects", rejects, jsonl, csvFile, xmlFile)
	checkSummary(t, out, map[string]int{"read": 11, "added": 8, "replaced": 0, "unchanged": 0, "rejected": 3, "profiles": 2})
	if !strings.Contains(out, "written to "+rejects) {
		t.Errorf("summary does not say where the rejects went:\n%s", out)
	}

	// The bad rows, with their reasons and their original text.
	rj := readRejects(t, rejects)
	want := []struct {
		file     string
		position int64
		record   string
		reason   string
		input    string
	}{
		{jsonl, 4, "web/ev-2", "time: profile: missing", `"id":"ev-2"`},
		{csvFile, 4, "pos/Kamppi-R-3", `"not a time" does not match the time_format`, "R-3;not a time;;050 765 4321;5,00;Kamppi;;"},
		{xmlFile, 16, "crm/c-2", `not an RFC 3339 time: "yesterday"`, `<record source="crm" id="c-2" kind="customer" time="yesterday">`},
	}
	if len(rj) != len(want) {
		t.Fatalf("%d rejects, want %d: %+v", len(rj), len(want), rj)
	}
	for i, w := range want {
		r := rj[i]
		if r.File != w.file || r.Position != w.position || r.Record != w.record || !strings.Contains(r.Error, w.reason) || !strings.Contains(r.Input, w.input) {
			t.Errorf("reject %d = %+v\nwant file %s, position %d, record %s, error containing %q, input containing %q", i, r, w.file, w.position, w.record, w.reason, w.input)
		}
	}
	if in := rj[2].Input; !strings.HasSuffix(in, "</record>") || strings.Contains(in, `id="c-1"`) {
		t.Errorf("XML reject input is not exactly its element: %q", in)
	}

	// The profile, by a phone written differently from every source.
	out = mustTool(t, data, "profile", "phone:+358 40 123 4567")
	for _, s := range []string{"6 records", "Jane", "jane.doe@posti.fi", "70012345", "+358401234567", "ck-3f9a",
		"102.40 EUR", "email_marketing", "withdrawn", "Latest records (6 of 6)", "crm/c-1", "web/ev-1", "tier", "gold"} {
		if !strings.Contains(out, s) {
			t.Errorf("profile output lacks %q:\n%s", s, out)
		}
	}
	out = mustTool(t, data, "profile", "-json", "-n", "2", "email:JANE.DOE@posti.fi")
	var pj struct {
		Profile profile.Profile   `json:"profile"`
		Latest  []json.RawMessage `json:"latest"`
	}
	if err := json.Unmarshal([]byte(out), &pj); err != nil {
		t.Fatalf("profile -json: %v\n%s", err, out)
	}
	jane := pj.Profile
	if jane.Records != 6 || jane.Traits.TotalSpend != 10240 || len(pj.Latest) != 2 {
		t.Errorf("profile -json: records %d, spend %v, latest %d; want 6, 102.40, 2", jane.Records, jane.Traits.TotalSpend, len(pj.Latest))
	}
	if out := mustTool(t, data, "profile", "id:"+jane.ID); !strings.Contains(out, "Profile "+jane.ID) {
		t.Errorf("profile id: output:\n%s", out)
	}
	if out := mustTool(t, data, "profile", "-n", "0", "record:pos/Itis-R-4"); !strings.Contains(out, "Matti") || strings.Contains(out, "Latest") {
		t.Errorf("profile record: output:\n%s", out)
	}
	if _, _, err := tool(t, data, "profile", "email:nobody@example.fi"); err == nil || !strings.Contains(err.Error(), "no profile holds") {
		t.Errorf("profile of an unknown email: %v", err)
	}

	// Why the cookie of anonymous browsing is Jane's phone.
	out = mustTool(t, data, "explain", "cookie:ck-3f9a", "phone:040 123 4567")
	for _, s := range []string{"profile " + jane.ID, "linked by 3 record(s)", "webstore/order-1001", "pos/signup-88", "cookie:ck-3f9a", "phone:+358401234567"} {
		if !strings.Contains(out, s) {
			t.Errorf("explain output lacks %q:\n%s", s, out)
		}
	}
	out = mustTool(t, data, "explain", "email:jane.doe@posti.fi", "phone:0507654321")
	if !strings.Contains(out, "not in one profile") || !strings.Contains(out, "in profile "+jane.ID) {
		t.Errorf("explain of two people:\n%s", out)
	}
	out = mustTool(t, data, "explain", "-json", "email:nobody@example.fi", "phone:0507654321")
	var ej struct {
		Linked bool
		IDs    []struct{ Input, Error string }
	}
	if err := json.Unmarshal([]byte(out), &ej); err != nil || ej.Linked || len(ej.IDs) != 2 || ej.IDs[0].Error == "" {
		t.Errorf("explain -json of an unknown email: %v\n%s", err, out)
	}

	// The identity map lists every good record with its profile.
	out = mustTool(t, data, "export", "-what", "map", "-format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(goodRecords)+1 || strings.Join(rows[0], ",") != "source,record,profile" {
		t.Fatalf("map export:\n%s", out)
	}
	byRecord := map[string]string{}
	for _, r := range rows[1:] {
		if r[2] == "" {
			t.Errorf("map entry %v has no profile", r)
		}
		byRecord[r[0]+"/"+r[1]] = r[2]
	}
	for _, k := range goodRecords {
		p, ok := byRecord[k]
		switch {
		case !ok:
			t.Errorf("map export lacks %s", k)
		case strings.HasSuffix(k, "R-2") || strings.HasSuffix(k, "R-4"):
			if p == jane.ID {
				t.Errorf("%s is in Jane's profile", k)
			}
		case p != jane.ID:
			t.Errorf("%s is in %s, want Jane's %s", k, p, jane.ID)
		}
	}

	// Profiles as JSON lines parse back.
	out = mustTool(t, data, "export", "-what", "profiles", "-format", "jsonl")
	var ps []profile.Profile
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var p profile.Profile
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("profile line %q: %v", sc.Text(), err)
		}
		ps = append(ps, p)
	}
	if len(ps) != 2 {
		t.Fatalf("%d profiles exported, want 2", len(ps))
	}
	for _, p := range ps {
		if p.ID == jane.ID && (p.Records != 6 || p.Attr("first_name").String() != "Jane") {
			t.Errorf("exported Jane: %+v", p)
		}
	}

	// CSV and XML exports, to files.
	csvOut := filepath.Join(tmp, "profiles.csv")
	mustTool(t, data, "export", "-format", "csv", "-o", csvOut)
	b, err := os.ReadFile(csvOut)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(profileColumns, ",") {
		t.Fatalf("CSV export (%v):\n%s", err, b)
	}
	for _, r := range rows[1:] {
		if r[0] == jane.ID {
			got := strings.Join([]string{r[1], r[10], r[11], r[16], r[18], r[19], r[22], r[23]}, ",")
			if want := "Jane,+358401234567,70012345,2,102.40,EUR,withdrawn,granted"; got != want {
				t.Errorf("Jane's CSV row: %s, want %s", got, want)
			}
		}
	}
	xmlOut := filepath.Join(tmp, "profiles.xml")
	mustTool(t, data, "export", "-o", xmlOut) // format from the extension
	b, _ = os.ReadFile(xmlOut)
	var xp struct {
		Profiles []struct {
			ID          string `xml:"id,attr"`
			Identifiers []struct {
				Type  string `xml:"type,attr"`
				Value string `xml:",chardata"`
			} `xml:"identifier"`
			Traits struct {
				TotalSpend string `xml:"total_spend,attr"`
			} `xml:"traits"`
		} `xml:"profile"`
	}
	if err := xml.Unmarshal(b, &xp); err != nil || len(xp.Profiles) != 2 {
		t.Fatalf("XML export (%v):\n%s", err, b)
	}
	mapXML := filepath.Join(tmp, "map.xml")
	mustTool(t, data, "export", "-what", "map", "-o", mapXML)
	b, _ = os.ReadFile(mapXML)
	var xm struct {
		Entries []xmlMapEntry `xml:"entry"`
	}
	if err := xml.Unmarshal(b, &xm); err != nil || len(xm.Entries) != len(goodRecords) {
		t.Fatalf("XML map export (%v):\n%s", err, b)
	}

	// The feed.
	out = mustTool(t, data, "feed")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last struct {
		Seq     uint64
		Kind    string
		Profile string
	}
	for _, l := range lines {
		if err := json.Unmarshal([]byte(l), &last); err != nil || last.Profile == "" {
			t.Fatalf("feed line %q: %v", l, err)
		}
	}
	if out := mustTool(t, data, "feed", "-from", strconv.FormatUint(last.Seq, 10)); strings.Count(out, "\n") != 1 {
		t.Errorf("feed -from %d:\n%s", last.Seq, out)
	}
}

func TestImportTwice(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	jsonl, csvFile, mapping, xmlFile := history(t, tmp)
	rejects := filepath.Join(tmp, "rejects.jsonl")
	args := []string{"import", "-quiet", "-map", mapping, "-rejects", rejects, jsonl, csvFile, xmlFile}
	mustTool(t, data, args...)
	first, _ := os.ReadFile(rejects)

	out := mustTool(t, data, args...)
	checkSummary(t, out, map[string]int{"read": 11, "added": 0, "replaced": 0, "unchanged": 8, "rejected": 3, "profiles": 2})
	if second, _ := os.ReadFile(rejects); !bytes.Equal(first, second) {
		t.Errorf("the reject file differs on the second run:\n%s\n%s", first, second)
	}

	// A corrected row replaces its record; the rest stays unchanged.
	fixed := strings.Replace(posCSV, "R-1;2026-03-06 14:05;7001 2345;040 123 4567;12,50", "R-1;2026-03-06 14:05;7001 2345;040 123 4567;13,50", 1)
	write(t, csvFile, fixed)
	out = mustTool(t, data, "import", "-quiet", "-map", mapping, "-rejects", rejects, csvFile)
	checkSummary(t, out, map[string]int{"read": 4, "added": 0, "replaced": 1, "unchanged": 2, "rejected": 1, "profiles": 2})
	if out := mustTool(t, data, "profile", "phone:040 123 4567"); !strings.Contains(out, "103.40 EUR") {
		t.Errorf("the replaced receipt is not in the spend:\n%s", out)
	}
}

// The help of the tool and of every command mentions every flag.
func TestHelp(t *testing.T) {
	check := func(args []string, fs *flag.FlagSet) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		help := stderr.String()
		fs.VisitAll(func(f *flag.Flag) {
			if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(f.Name) + `[\s]`).MatchString(help) {
				t.Errorf("unify %s does not mention -%s:\n%s", strings.Join(args, " "), f.Name, help)
			}
		})
	}
	fs := flag.NewFlagSet("unify", flag.ContinueOnError)
	globalFlags(fs, &env{})
	check([]string{"-h"}, fs)
	for _, c := range commands {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		check([]string{c.name, "-h"}, fs)
	}
	// Every command is in the tool's help.
	var stderr bytes.Buffer
	run(context.Background(), []string{"-h"}, &bytes.Buffer{}, &stderr)
	for _, c := range commands {
		if !strings.Contains(stderr.String(), "  "+c.name+" ") {
			t.Errorf("unify -h does not list %s", c.name)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"import"},
		{"import", "-format", "yaml", "x"},
		{"import", filepath.Join(dir, "x.csv")}, // CSV without a mapping
		{"profile"},
		{"profile", "no-colon"},
		{"explain", "email:a@b.fi"},
		{"export", "-what", "everything"},
		{"feed", "extra"},
	} {
		if args := args; len(args) > 1 && args[0] == "import" && strings.HasSuffix(args[1], ".csv") {
			write(t, args[1], "a,b\n")
		}
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"-dir", filepath.Join(dir, "data")}, args...), &stdout, &stderr)
		if code := exitCode(err, &bytes.Buffer{}); code != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, code, err)
		}
		if !strings.Contains(stderr.String(), "usage:") {
			t.Errorf("%v: no usage on stderr: %q", args, stderr.String())
		}
	}
}

func TestMappingErrors(t *testing.T) {
	tmp := t.TempDir()
	csvFile := write(t, filepath.Join(tmp, "in.csv"), "id,ts,mail\n1,2026-01-01T00:00:00Z,a@b.fi\n")
	for _, tc := range []struct{ mapping, want string }{
		{`{"source":"=s","kind":"=customer","id":"id","time":"ts","identifiers":{"email":"email"}}`, `no column "email"`},
		{`{"source":"=s","kind":"=customer","id":"={nope}","time":"ts"}`, `no column "nope"`},
		{`{"source":"=s","kind":"=customer","id":"id","time":"ts","customer":{"firstname":"mail"}}`, `unknown field "firstname"`},
		{`{"source":"=s","kind":"=customer","id":"id"}`, `"time" is required`},
		{`{"source":"=s","kind":"=customer","id":"id","time":"ts","colour":"red"}`, `unknown field "colour"`},
		{`{"source":"=s","kind":"=customer","id":"id","time":"ts","time_zone":"Mars/Olympus"}`, `time_zone`},
	} {
		m := write(t, filepath.Join(tmp, "map.json"), tc.mapping)
		_, _, err := tool(t, filepath.Join(tmp, "data"), "import", "-quiet", "-map", m, "-rejects", filepath.Join(tmp, "r.jsonl"), csvFile)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("mapping %s: error %v, want one containing %q", tc.mapping, err, tc.want)
		}
	}
}

func TestFieldTemplates(t *testing.T) {
	header := map[string]int{"store": 0, "no": 1}
	row := []string{" Kamppi ", "42"}
	for spec, want := range map[string]string{
		"store":             "Kamppi",
		"=pos":              "pos",
		"={store}-{no}":     "Kamppi-42",
		"=x{{y}}{no}":       "x{y}42",
		"=receipt {no}":     "receipt 42",
		"={store}/{store}/": "Kamppi/Kamppi/",
	} {
		f, err := compileField(spec, header)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if got := f.value(row); got != want {
			t.Errorf("%q = %q, want %q", spec, got, want)
		}
	}
	for _, spec := range []string{"={store", "=a}b", "=x{missing}"} {
		if _, err := compileField(spec, header); err == nil {
			t.Errorf("%q compiled", spec)
		}
	}
	for in, want := range map[string]profile.Money{"12,50": 1250, "7,5": 750, "1 234.50": 123450, "": 0, "-3": -300} {
		if got, err := money(in); err != nil || got != want {
			t.Errorf("money(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

// An XML syntax error rejects the rest of its file; the records before it
// are imported, and so are the other files.
func TestXMLSyntaxError(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	broken := write(t, filepath.Join(tmp, "broken.xml"), `<records>
  <record source="crm" id="a" kind="customer" time="2026-01-01T00:00:00Z"><identifier type="email">a@b.fi</identifier><customer first_name="A"/></record>
  <record source="crm" id="b" kind="customer" time="2026-01-01T00:00:00Z"><identifier type="email">b@b.fi</identifier><customer first_name="B"></record>
  <record source="crm" id="c" kind="customer" time="2026-01-01T00:00:00Z"><identifier type="email">c@b.fi</identifier><customer first_name="C"/></record>
</records>
`)
	other := write(t, filepath.Join(tmp, "other.xml"), `<records><record source="crm" id="d" kind="customer" time="2026-01-01T00:00:00Z"><identifier type="email">d@b.fi</identifier><customer first_name="D"/><colour>red</colour></record>
<record source="crm" id="e" kind="customer" time="2026-01-01T00:00:00Z"><identifier type="email">e@b.fi</identifier><customer first_name="E"/></record></records>`)
	rejects := filepath.Join(tmp, "rejects.jsonl")
	out := mustTool(t, data, "import", "-rejects", rejects, broken, other)
	checkSummary(t, out, map[string]int{"read": 4, "added": 2, "rejected": 2, "profiles": 2})
	rj := readRejects(t, rejects)
	if len(rj) != 2 || rj[0].Position != 3 || !strings.Contains(rj[0].Error, "the rest of the file was not read") ||
		rj[1].Record != "crm/d" || !strings.Contains(rj[1].Error, "unknown element <colour>") {
		t.Errorf("rejects: %+v", rj)
	}
}

// Two JSON lines files, the first without a final newline: reject positions
// are lines of the right file.
func TestJSONLPositionsAcrossFiles(t *testing.T) {
	tmp := t.TempDir()
	rec := func(id string) string {
		return fmt.Sprintf(`{"source":"s","id":%q,"kind":"event","time":"2026-01-01T00:00:00Z","identifiers":[{"type":"cookie","value":"c-%s"}],"event":{"name":"x"}}`, id, id)
	}
	a := write(t, filepath.Join(tmp, "a.jsonl"), rec("1")+"\n{broken\n"+rec("2"))
	b := write(t, filepath.Join(tmp, "b.ndjson"), "\n"+rec("3")+"\n"+`{"source":"s","id":"4"}`+"\n")
	rejects := filepath.Join(tmp, "rejects.jsonl")
	out := mustTool(t, filepath.Join(tmp, "data"), "import", "-rejects", rejects, a, b)
	checkSummary(t, out, map[string]int{"read": 5, "added": 3, "rejected": 2})
	rj := readRejects(t, rejects)
	if len(rj) != 2 || rj[0].File != a || rj[0].Position != 2 || rj[0].Input != "{broken" ||
		rj[1].File != b || rj[1].Position != 3 || rj[1].Record != "s/4" {
		t.Errorf("rejects: %+v", rj)
	}
}

// A larger import, with small chunks: thousands of CSV rows and JSON lines,
// a few bad ones spread over chunk boundaries.
func TestLargeImport(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	tmp := t.TempDir()
	const people = 1000
	var cb, jb strings.Builder
	cb.WriteString("receipt,ts,card,phone,sum\n")
	bad := map[int]bool{}
	for i := range people * 3 {
		p := i % people
		ts := fmt.Sprintf("2025-%02d-%02d 12:%02d", 1+i%12, 1+i%28, i%60)
		if i%997 == 500 {
			ts = "bad"
			bad[i+2] = true // the line of the row
		}
		fmt.Fprintf(&cb, "r%d,%s,C%05d,040 %07d,%d.%02d\n", i, ts, p, 1234000+p, i%200, i%100)
	}
	badLines := 0
	for p := range people * 2 {
		if p%499 == 300 {
			jb.WriteString(`{"source":"web","id":"x"}` + "\n")
			badLines++
			continue
		}
		fmt.Fprintf(&jb, `{"source":"web","id":"e%d","kind":"event","time":"2025-06-01T10:00:00Z","identifiers":[{"type":"cookie","value":"ck%d"},{"type":"phone","value":"+358 40 %07d"}],"event":{"name":"page_view"}}`+"\n", p, p, 1234000+p%people)
	}
	csvFile := write(t, filepath.Join(tmp, "receipts.csv"), cb.String())
	jsonl := write(t, filepath.Join(tmp, "events.jsonl"), jb.String())
	mapping := write(t, filepath.Join(tmp, "map.json"), `{"source":"=pos","kind":"=order","id":"receipt","time":"ts",
		"identifiers":{"loyalty_card":"card","phone":"phone"},"order":{"total":"sum","currency":"=EUR"}}`)
	rejects := filepath.Join(tmp, "rejects.jsonl")
	data := filepath.Join(tmp, "data")
	out := mustTool(t, data, "import", "-chunk", "64", "-workers", "3", "-map", mapping, "-rejects", rejects, csvFile, jsonl)
	nbad := len(bad) + badLines
	checkSummary(t, out, map[string]int{"read": people * 5, "added": people*5 - nbad, "rejected": nbad, "profiles": people})
	rj := readRejects(t, rejects)
	if len(rj) != nbad {
		t.Fatalf("%d rejects, want %d", len(rj), nbad)
	}
	for _, r := range rj {
		switch r.File {
		case csvFile:
			if !bad[int(r.Position)] || !strings.HasPrefix(r.Input, fmt.Sprintf("r%d,bad,", r.Position-2)) {
				t.Errorf("CSV reject %+v", r)
			}
		case jsonl:
			if (r.Position-1)%499 != 300 || r.Input != `{"source":"web","id":"x"}` {
				t.Errorf("JSONL reject %+v", r)
			}
		default:
			t.Errorf("reject of file %q", r.File)
		}
	}
	out = mustTool(t, data, "export", "-what", "map")
	if n := strings.Count(out, "\n"); n != people*5-nbad {
		t.Errorf("map has %d entries, want %d", n, people*5-nbad)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
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

func eventLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"source":"web","id":"e%d","kind":"event","time":"2026-01-01T00:00:00Z","identifiers":[{"type":"cookie","value":"ck%d"},{"type":"email","value":"u%d@example.fi"}],"event":{"name":"page_view"}}`+"\n", i, i, i%300)
	}
	return b.String()
}

// An import interrupted (SIGINT cancels the context) exits 130 and says
// that running it again is safe; running it again gives the full result.
func TestInterruptedImport(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	lines := eventLines(3000)
	full := write(t, filepath.Join(tmp, "events.jsonl"), lines)

	// Standard input that delivers half the file, then waits.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = stdin; r.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-dir", data, "import", "-format", "jsonl", "-chunk", "100", "-rejects", filepath.Join(tmp, "r.jsonl"), "-"}, &stdout, &stderr)
	}()
	if _, err := io.WriteString(w, lines[:len(lines)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cancel() // as SIGINT does
	w.Close()
	err = <-done
	if code := exitCode(err, &bytes.Buffer{}); code != 130 {
		t.Fatalf("interrupted import: exit %d (%v)\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "run the same command again") || !strings.Contains(stderr.String(), "rerunning is safe") {
		t.Errorf("the interrupted import does not say how to resume:\n%s", stderr.String())
	}

	out := mustTool(t, data, "import", "-quiet", "-rejects", filepath.Join(tmp, "r.jsonl"), full)
	s := summary(t, out)
	if s["read"] != 3000 || s["added"]+s["unchanged"] != 3000 || s["profiles"] != 300 {
		t.Errorf("resumed import:\n%s", out)
	}
	out = mustTool(t, data, "export", "-what", "map")
	if n := strings.Count(out, "\n"); n != 3000 {
		t.Errorf("%d records in the map after resuming, want 3000", n)
	}
}

// A bulk import that stopped after storing evidence leaves records without
// profiles; the next import notices and finishes it in bulk.
func TestResumeUnfinishedBulkImport(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	lines := eventLines(2000)
	full := write(t, filepath.Join(tmp, "events.jsonl"), lines)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng, err := unify.Open(ctx, unify.Options{Dir: data, PhoneRegion: "FI"})
	if err != nil {
		t.Fatal(err)
	}
	written := make(chan struct{}, 1)
	records := func(yield func(*profile.Record, error) bool) {
		for i, line := range strings.SplitAfter(lines, "\n")[:1000] {
			r, err := profile.DecodeJSON([]byte(line))
			if !yield(r, err) {
				return
			}
			if i == 999 {
				<-written // the first chunk is stored
				cancel()
			}
		}
	}
	// Direct: a staged import would leave nothing to finish.
	_, err = eng.Import(ctx, records, unify.ImportOptions{ChunkSize: 500, Mode: unify.ImportBulk, Staging: unify.StageNever, Progress: func(unify.ImportProgress) {
		select {
		case written <- struct{}{}:
		default:
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("import: %v, want it canceled", err)
	}
	eng.Close()

	_, errOut, err := tool(t, data, "import", "-rejects", filepath.Join(tmp, "r.jsonl"), full)
	if err != nil {
		t.Fatalf("resuming: %v\n%s", err, errOut)
	}
	// The engine finishes it itself, or, where it cannot, the tool does.
	if !regexp.MustCompile(`finishing (it in bulk mode|an interrupted bulk import)`).MatchString(errOut) {
		t.Errorf("no word of the unfinished import:\n%s", errOut)
	}
	out := mustTool(t, data, "import", "-quiet", "-rejects", filepath.Join(tmp, "r.jsonl"), full)
	checkSummary(t, out, map[string]int{"read": 2000, "unchanged": 2000, "profiles": 300})
	if !strings.Contains(out, "mode       incremental") {
		t.Errorf("a finished store is not imported into incrementally:\n%s", out)
	}
}

func TestFeedFollow(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	mustTool(t, data, "import", "-rejects", filepath.Join(tmp, "r.jsonl"), write(t, filepath.Join(tmp, "e.jsonl"), eventLines(30)))
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-dir", data, "feed", "-follow", "-from", "3"}, &stdout, io.Discard) }()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(stdout.String(), "\n") < 28 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("feed -follow ended with %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 28 || !strings.HasPrefix(lines[0], `{"seq":3,`) {
		t.Errorf("feed -follow -from 3 printed %d lines:\n%s", len(lines), stdout.String())
	}
}
