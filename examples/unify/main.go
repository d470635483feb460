// Command unify is the operator's tool for a Unify data directory (the
// engine's embedded Badger store): it imports history, exports profiles and
// the identity map, shows a profile, explains a merge and prints the change
// feed.
//
// Usage:
//
//	unify [-dir data] [-region FI] [-source-region src=RE]... [-v] <command> [flags] [args]
//
// Global flags:
//
//	-dir            data directory of the store, created if missing (default "data")
//	-region         region (ISO 3166-1 alpha-2) of phone numbers written without a
//	                country code, like 040 123 4567 (default "FI"; "" accepts only
//	                international numbers). Use the same region for every command:
//	                imported phones are normalized with it, and so are lookups.
//	-source-region  source=REGION, the phone region of one source system; repeatable
//	-v              log the store's informational messages to stderr
//
// Commands:
//
//	import [-format jsonl|csv|xml] [-map mapping.json] [-rejects rejects.jsonl]
//	       [-mode auto|bulk|incremental] [-direct] [-workers N] [-chunk N] [-quiet] file...
//	    Imports history. Records are idempotent (source and id identify a
//	    record), so an import that was interrupted or failed is resumed by
//	    running the same command again; records already stored are counted
//	    as unchanged. Into an empty store the import is bulk: all records
//	    are stored, then identities are resolved and profiles derived once
//	    (the fastest way to load history). A first load is staged: sorted
//	    on disk and written in one pass at the end, so an interrupted one
//	    leaves nothing and is run again; with -direct records are stored as
//	    they come and an interrupted bulk import is finished by the next. Otherwise it is incremental:
//	    each record is resolved as it comes, and the feed gets every
//	    profile change. -mode forces one or the other.
//	    Rejected input goes to the reject file, one JSON object a line:
//	    {"position":N,"record":"source/id","error":"...","input":"...","file":"..."},
//	    where position is the line of the input file the record starts on
//	    and input is the original line (JSON lines), row (CSV) or <record>
//	    element (XML). Rejects do not fail the import. A progress bar shows
//	    on a terminal, a line every 10 s otherwise (none with -quiet), and a
//	    summary at the end: records read, added, replaced, unchanged,
//	    rejected, identifiers dropped (that did not normalize), profiles,
//	    feed changes, mode.
//	export [-what profiles|map] [-format jsonl|csv|xml] [-o file]
//	    Writes every profile, or the identity map (source, record, profile)
//	    that source systems use to store the unified ID.
//	profile [-json] [-n 10] <type:value> | id:<profile id> | record:<source/id>
//	    Shows the profile that holds an identifier, written in any format the
//	    source systems use: identifiers, attributes, traits, consents and
//	    the latest records.
//	explain [-json] <type:value> <type:value>
//	    Shows the chain of records that puts two identifiers in one profile,
//	    or, when they are not in one profile, where each of them stands
//	    (its profile, or why it links nowhere: blocked, shared, capped,
//	    refused).
//	feed [-from N] [-follow]
//	    Prints the change feed as JSON lines from sequence number N; with
//	    -follow it waits for new entries until interrupted.
//
// Every command takes -h for its flags.
//
// # Input formats
//
// The format of an import file comes from -format or from its extension:
// .jsonl, .ndjson and .json are JSON lines, .csv is CSV, .xml is XML. A
// file ending in .gz (history.jsonl.gz) is decompressed as it is read. The
// file "-" is standard input, with -format. Input is UTF-8.
//
// JSON lines are records in the JSON format of package profile, one a line.
//
// CSV files have a header row; a mapping file (-map) says how columns become
// record fields. It is a JSON object whose values are column names, or,
// starting with "=", constants in which {column} is replaced by the
// column's value ("=pos", "=EUR", "={store}-{receipt_no}"):
//
//	{
//	  "source": "=pos",                   // required
//	  "kind": "=order",                   // required: customer, order, event, ticket, consent...
//	  "id": "={store}-{receipt_no}",      // required
//	  "time": "ts",                       // required
//	  "time_format": "2006-01-02 15:04",  // Go layout, or unix, unix_ms; default RFC 3339
//	  "time_zone": "Europe/Helsinki",     // of times without an offset; default UTC
//	  "comma": ";",                       // field separator; default ","
//	  "identifiers": {"loyalty_card": "card", "phone": ["mobile", "phone"], "email": "email"},
//	  "customer": {"first_name": "fname", "last_name": "lname", "birthdate": "born",
//	               "language": "lang", "gender": "gender", "street": "street",
//	               "postal_code": "zip", "city": "city", "region": "region", "country": "country"},
//	  "attributes": {"tier": "tier"},     // customer attributes, as strings
//	  "order": {"order_id": "receipt_no", "store": "store", "channel": "=pos",
//	            "currency": "=EUR", "total": "sum", "discount": "disc",
//	            "coupon": "coupon", "return": "is_return"},
//	  "line": {"sku": "sku", "name": "product", "category": "cat",
//	           "quantity": "qty", "unit_price": "price", "total": "line_sum"},
//	  "event": {"name": "event", "channel": "ch", "url": "url", "category": "cat",
//	            "query": "q", "campaign": "campaign"},
//	  "ticket": {"reason": "reason", "priority": "prio", "channel": "ch", "status": "status"},
//	  "consents": {"email_marketing": "email_ok", "sms_marketing": "sms_ok"},
//	  "properties": {"nps": "score"}
//	}
//
// (The comments are not part of the format.) Every section is optional.
// An identifier type may name several columns; empty cells are skipped. A
// payload (customer, order, event, ticket) is built when the record's kind
// calls for it or when one of its cells is not empty; "line" adds one order
// line to the order. Amounts accept a decimal comma (12,50). Booleans
// (return) and consents accept yes/no, true/false, 1/0, and consents also
// granted/withdrawn; an empty consent cell records nothing.
//
// XML files hold <record> elements under one root element, decoded one at a
// time so that big files stream:
//
//	<records>
//	  <record source="pos" id="signup-88" kind="customer" time="2026-03-04T11:00:00Z">
//	    <identifier type="loyalty_card">7001 2345</identifier>
//	    <identifier type="phone">040 123 4567</identifier>
//	    <customer first_name="Jane" last_name="Doe" birthdate="1988-04-12" language="fi" gender="">
//	      <address street="" postal_code="00100" city="Helsinki" region="" country="FI"/>
//	      <attribute name="tier">gold</attribute>   <!-- type="string|number|bool" -->
//	    </customer>
//	    <order order_id="1001" store="Kamppi" channel="pos" currency="EUR" total="89.90"
//	           discount="0" coupon="" return="false">
//	      <line sku="C-200" name="Linen curtain" category="curtains" quantity="2"
//	            unit_price="44.95" total="89.90"/>
//	    </order>
//	    <event name="product_view" channel="web" url="" category="curtains" query="" campaign=""/>
//	    <ticket reason="delivery" priority="high" channel="phone" status="open"/>
//	    <consent purpose="sms_marketing" status="granted" time="" source="" record_id=""
//	             scope_type="phone" scope_value="+358401234567"/>
//	    <property name="nps" type="number">9</property>
//	  </record>
//	</records>
//
// Times are RFC 3339. A record that does not decode is rejected; an XML
// syntax error rejects the rest of its file (the XML cannot be read past
// it), and the records before it are imported.
//
// # Output formats
//
// export -what profiles writes JSON lines of the profile's JSON; CSV with the
// columns id, first_name, last_name, birthdate, language, street,
// postal_code, city, country, emails, phones, loyalty_cards, customer_ids,
// records, first_seen, last_seen, order_count, returns, total_spend,
// currency, last_order, favourite_store, email_marketing, sms_marketing,
// aliases (lists separated by "|"; consents are "granted", "withdrawn" or
// empty when none was recorded; times RFC 3339); or XML, a <profiles>
// element with one <profile> each. export -what map writes (source, record,
// profile) as JSON lines, CSV or XML <map><entry .../></map>.
//
// # Exit status
//
// 0 on success (also when records were rejected), 1 on errors (I/O, a bad
// mapping, a profile not found), 2 on usage errors, 130 when interrupted.
//
// The store is an embedded database: only one process at a time can open a
// data directory, so stop a "feed -follow" before importing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"

	_ "time/tzdata" // mapping time zones work on hosts without a zone database

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/identity"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err and returns the exit status for it.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintln(stderr, "unify:", ue.msg)
		}
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "unify: interrupted")
		return 130
	}
	fmt.Fprintln(stderr, "unify:", err)
	return 1
}

// usageError is a command line that does not parse; the usage has been
// printed when msg is empty.
type usageError struct{ msg string }

func (e usageError) Error() string {
	if e.msg == "" {
		return "usage error"
	}
	return e.msg
}

// env is what every command gets: the global options and the output.
type env struct {
	dir            string
	region         string
	sourceRegions  map[string]string
	verbose        bool
	stdout, stderr io.Writer
}

// open opens the engine on the data directory.
func (e *env) open(ctx context.Context) (*unify.Engine, error) {
	level := slog.LevelWarn
	if e.verbose {
		level = slog.LevelInfo
	}
	opts := unify.Options{
		Dir:         e.dir,
		PhoneRegion: e.region,
		Logger:      slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level})),
	}
	for src, re := range e.sourceRegions {
		if opts.Sources == nil {
			opts.Sources = map[string]unify.SourceOptions{}
		}
		opts.Sources[src] = unify.SourceOptions{PhoneRegion: re}
	}
	return unify.Open(ctx, opts)
}

// command is one subcommand. setup defines its flags on fs and returns the
// function that runs it with the flags parsed and the remaining arguments.
type command struct {
	name     string
	synopsis string // flags and arguments, for usage lines
	summary  string // one line
	about    string // more, for -h
	setup    func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

var commands = []*command{importCommand, exportCommand, profileCommand, explainCommand, feedCommand}

func findCommand(name string) *command {
	i := slices.IndexFunc(commands, func(c *command) bool { return c.name == name })
	if i < 0 {
		return nil
	}
	return commands[i]
}

// regionFlag collects -source-region source=REGION values.
type regionFlag map[string]string

func (r regionFlag) String() string {
	var parts []string
	for k, v := range r {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (r regionFlag) Set(s string) error {
	src, re, ok := strings.Cut(s, "=")
	if !ok || src == "" {
		return errors.New("want source=REGION, like pos=FI")
	}
	r[src] = re
	return nil
}

// globalFlags defines the tool's own flags on fs.
func globalFlags(fs *flag.FlagSet, e *env) {
	fs.StringVar(&e.dir, "dir", "data", "data `directory` of the store, created if missing")
	fs.StringVar(&e.region, "region", "FI", "`region` (ISO 3166-1 alpha-2) of phone numbers written without a country code, like 040 123 4567;\n\"\" accepts international numbers only. Use the same region for every command.")
	e.sourceRegions = map[string]string{}
	fs.Var(regionFlag(e.sourceRegions), "source-region", "`source=REGION`: the phone region of one source system, overriding -region (repeatable)")
	fs.BoolVar(&e.verbose, "v", false, "log the store's informational messages to stderr")
}

// run runs the tool with the command-line arguments args (without the
// program name).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &env{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("unify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	globalFlags(fs, e)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: unify [-dir data] [-region FI] [-source-region src=RE]... [-v] <command> [flags] [args]

unify works on a Unify data directory: it imports history, exports profiles
and the identity map, shows and explains profiles, and prints the change feed.

Commands:
`)
		for _, c := range commands {
			fmt.Fprintf(stderr, "  %-8s %s\n", c.name, c.summary)
		}
		fmt.Fprint(stderr, "\nRun 'unify <command> -h' for the flags of a command.\n\nGlobal flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{msg: "no command"}
	}
	name := fs.Arg(0)
	if name == "help" {
		if fs.NArg() > 1 {
			if c := findCommand(fs.Arg(1)); c != nil {
				return run(ctx, []string{c.name, "-h"}, stdout, stderr)
			}
		}
		fs.SetOutput(stdout)
		fs.Usage()
		return nil
	}
	c := findCommand(name)
	if c == nil {
		fs.Usage()
		return usageError{msg: fmt.Sprintf("unknown command %q", name)}
	}
	cfs := flag.NewFlagSet("unify "+c.name, flag.ContinueOnError)
	cfs.SetOutput(stderr)
	runCmd := c.setup(cfs)
	cfs.Usage = func() { commandUsage(stderr, c, cfs) }
	if err := cfs.Parse(fs.Args()[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{}
	}
	err := runCmd(ctx, e, cfs.Args())
	if ue, ok := err.(usageError); ok {
		fmt.Fprintf(stderr, "usage: unify [global flags] %s %s\n", c.name, c.synopsis)
		return usageError{msg: c.name + ": " + ue.msg}
	}
	return err
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: unify [global flags] %s %s\n\n%s\n", c.name, c.synopsis, c.summary)
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.about))
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		fs.PrintDefaults()
	}
	fmt.Fprint(w, "\nGlobal flags (before the command): -dir, -region, -source-region, -v; see 'unify -h'.\n")
}

// usagef reports a wrong command line; run adds the command's usage line.
func usagef(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...)}
}

// parseID parses "type:value". The value keeps its spaces and case: the
// engine normalizes it as it normalized the imported records.
func parseID(s string) (identity.ID, error) {
	t, v, ok := strings.Cut(s, ":")
	t = strings.TrimSpace(t)
	if !ok || t == "" || strings.TrimSpace(v) == "" {
		return identity.ID{}, fmt.Errorf("%q: want type:value, like email:jane@example.fi or phone:\"040 123 4567\"", s)
	}
	return identity.ID{Type: identity.Type(strings.ToLower(t)), Value: v}, nil
}
