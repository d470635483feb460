package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

var profileCommand = &command{
	name:     "profile",
	synopsis: "[-json] [-n 10] <type:value> | id:<profile id> | record:<source/id>",
	summary:  "show the profile that holds an identifier",
	about: `The identifier may be written in any format a source system uses: it is
normalized as imported records are (with -region for phones), e.g.
  unify profile phone:"040 123 4567"
  unify profile email:Jane.Doe@Example.fi
id:<profile id> finds a profile by its ID or by an ID it absorbed in a merge;
record:<source/id> by a record it holds. Shown: identifiers, attributes,
traits, consents and the latest records.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		asJSON := fs.Bool("json", false, "print the profile and its latest records as one JSON object")
		n := fs.Int("n", 10, "how many of the latest records to show (0: none)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one identifier, got %d arguments", len(args))
			}
			return runProfile(ctx, e, args[0], *asJSON, *n)
		}
	},
}

func runProfile(ctx context.Context, e *env, arg string, asJSON bool, n int) error {
	t, v, _ := strings.Cut(arg, ":")
	var id identity.ID
	if t != "id" && t != "record" {
		var err error
		if id, err = parseID(arg); err != nil {
			return usagef("%v", err)
		}
	}
	eng, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	var p *profile.Profile
	switch t {
	case "id":
		p, err = eng.ProfileByID(ctx, strings.TrimSpace(v))
	case "record":
		src, rid, ok := strings.Cut(strings.TrimSpace(v), "/")
		if !ok {
			return usagef("record:%s: want record:source/id", v)
		}
		p, err = eng.ProfileByRecord(ctx, src, rid)
	default:
		p, err = eng.Profile(ctx, id)
	}
	if errors.Is(err, unify.ErrNotFound) {
		return fmt.Errorf("no profile holds %s: %w", arg, err)
	}
	if err != nil {
		return err
	}
	var page = &unify.Page{}
	if n > 0 {
		if page, err = eng.Timeline(ctx, p.ID, "", n); err != nil {
			return err
		}
	}
	if asJSON {
		out := struct {
			Profile *profile.Profile  `json:"profile"`
			Latest  []*profile.Record `json:"latest"`
		}{p, page.Records}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return printProfile(e.stdout, p, page.Records)
}

func printProfile(w io.Writer, p *profile.Profile, latest []*profile.Record) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintf(bw, "Profile %s\n", p.ID)
	if len(p.Aliases) > 0 {
		fmt.Fprintf(bw, "  aliases: %s\n", strings.Join(p.Aliases, ", "))
	}
	fmt.Fprintf(bw, "  %d records, first seen %s, last seen %s\n", p.Records, day(p.FirstSeen), day(p.LastSeen))

	fmt.Fprintf(bw, "\nIdentifiers\n")
	for _, info := range p.Identifiers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d records\t%s .. %s\n", info.ID.Type, info.ID.Value, strings.Join(info.Sources, ","), info.Records, day(info.FirstSeen), day(info.LastSeen))
	}
	tw.Flush()

	if len(p.Attributes) > 0 {
		fmt.Fprintf(bw, "\nAttributes\n")
		for name, a := range p.Attributes.All() {
			fmt.Fprintf(tw, "  %s\t%s\t(%s/%s, %s)\n", name, a.Value, a.Source, a.RecordID, day(a.Time))
		}
		tw.Flush()
	}

	t := &p.Traits
	fmt.Fprintf(bw, "\nTraits\n")
	line := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "  %s\t"+format+"\n", append([]any{name}, args...)...)
	}
	spend := t.TotalSpend.String()
	if t.Currency != "" {
		spend += " " + t.Currency
	}
	line("orders", "%d (returns %d), spend %s, average %s", t.OrderCount, t.Returns, spend, t.AverageOrderValue)
	for cur, s := range t.SpendByCurrency.All() {
		if cur != t.Currency {
			line("", "%d orders, net %s %s", s.Orders, s.Net, cur)
		}
	}
	if !t.LastOrder.IsZero() {
		line("orders from", "%s to %s", day(t.FirstOrder), day(t.LastOrder))
	}
	if t.FavouriteStore != "" {
		line("favourite store", "%s", t.FavouriteStore)
	}
	if len(t.Channels) > 0 {
		line("channels", "%s", strings.Join(t.Channels, ", "))
	}
	if len(t.CategoriesBought) > 0 {
		line("bought", "%s", strings.Join(t.CategoriesBought, ", "))
	}
	if len(t.CategoriesBrowsed) > 0 {
		line("browsed", "%s", strings.Join(t.CategoriesBrowsed, ", "))
	}
	if len(t.Coupons) > 0 {
		line("coupons", "%s", strings.Join(t.Coupons, ", "))
	}
	if len(t.EventCounts) > 0 {
		var evs []string
		for name, n := range t.EventCounts.All() {
			evs = append(evs, fmt.Sprintf("%s %d", name, n))
		}
		line("events", "%s", strings.Join(evs, ", "))
	}
	if t.Tickets > 0 {
		line("tickets", "%d", t.Tickets)
	}
	tw.Flush()

	fmt.Fprintf(bw, "\nConsents\n")
	if p.Consents.Len() == 0 {
		fmt.Fprintf(bw, "  none recorded\n")
	}
	for c := range p.Consents.All() {
		scope := "all"
		if c.Scope != nil {
			scope = c.Scope.String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t(%s/%s)\n", c.Purpose, scope, c.Status, day(c.Time), c.Source, c.RecordID)
	}
	tw.Flush()

	if len(p.Segments) > 0 {
		fmt.Fprintf(bw, "\nSegments\n  %s\n", strings.Join(p.Segments, ", "))
	}
	if len(latest) > 0 {
		fmt.Fprintf(bw, "\nLatest records (%d of %d)\n", len(latest), p.Records)
		for _, r := range latest {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Time.UTC().Format("2006-01-02 15:04"), r.Key(), r.Kind, describe(r))
		}
		tw.Flush()
	}
	return bw.Flush()
}

// day formats a time for people: the date and the minute, in UTC.
func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// describe summarizes a record's payload in a few words.
func describe(r *profile.Record) string {
	var parts []string
	if c := r.Customer; c != nil {
		if name := strings.TrimSpace(c.FirstName + " " + c.LastName); name != "" {
			parts = append(parts, name)
		}
		if a := c.Address; a != nil && a.City != "" {
			parts = append(parts, a.City)
		}
	}
	if o := r.Order; o != nil {
		s := "order"
		if o.Return {
			s = "return"
		}
		if o.OrderID != "" {
			s += " " + o.OrderID
		}
		s += " " + o.Total.String()
		if o.Currency != "" {
			s += " " + o.Currency
		}
		if o.Store != "" {
			s += " at " + o.Store
		}
		parts = append(parts, s)
	}
	if ev := r.Event; ev != nil {
		parts = append(parts, strings.TrimSpace(ev.Name+" "+ev.Category))
	}
	if t := r.Ticket; t != nil {
		parts = append(parts, strings.TrimSpace("ticket "+t.Reason))
	}
	for i := range r.Consents {
		c := r.Consents[i]
		parts = append(parts, fmt.Sprintf("%s %s", c.Purpose, c.Status))
	}
	return strings.Join(parts, "; ")
}

var explainCommand = &command{
	name:     "explain",
	synopsis: "[-json] <type:value> <type:value>",
	summary:  "explain why two identifiers are one profile, or why not",
	about: `When the identifiers are in one profile, prints the chain of records that
links them: each step is a record that carried both identifiers of the step.
Otherwise prints where each identifier stands: its profile, or why it links
nowhere (a blocked placeholder value, a value shared by too many people, a
component size cap, links refused by a limit). Identifiers are written in any
format, like for the profile command.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		asJSON := fs.Bool("json", false, "print the chain or the statuses as JSON")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 2 {
				return usagef("want two identifiers, got %d arguments", len(args))
			}
			return runExplain(ctx, e, args[0], args[1], *asJSON)
		}
	},
}

func runExplain(ctx context.Context, e *env, a, b string, asJSON bool) error {
	ia, err := parseID(a)
	if err != nil {
		return usagef("%v", err)
	}
	ib, err := parseID(b)
	if err != nil {
		return usagef("%v", err)
	}
	eng, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	ex, err := eng.Explain(ctx, ia, ib)
	if err == nil {
		if asJSON {
			return writeJSON(e.stdout, struct {
				Linked bool                  `json:"linked"`
				Chain  *identity.Explanation `json:"chain"`
			}{true, ex})
		}
		return printChain(e.stdout, eng, ia, ib, ex)
	}
	if !errors.Is(err, identity.ErrNotLinked) && !errors.Is(err, unify.ErrNotFound) {
		return err
	}
	// Not one profile: say where each stands.
	type status struct {
		Input  string             `json:"input"`
		Error  string             `json:"error,omitempty"`
		Status *identity.IDStatus `json:"status,omitempty"`
		err    error
	}
	var sts []status
	for _, in := range []struct {
		arg string
		id  identity.ID
	}{{a, ia}, {b, ib}} {
		st, err := eng.ExplainID(ctx, in.id)
		s := status{Input: in.arg, Status: st, err: err}
		if err != nil {
			s.Error = err.Error()
		}
		sts = append(sts, s)
	}
	if asJSON {
		return writeJSON(e.stdout, struct {
			Linked bool     `json:"linked"`
			IDs    []status `json:"ids"`
		}{false, sts})
	}
	fmt.Fprintf(e.stdout, "%s and %s are not in one profile.\n", a, b)
	for _, s := range sts {
		fmt.Fprintf(e.stdout, "\n%s\n", s.Input)
		if s.Status == nil {
			msg := s.Error
			if errors.Is(s.err, identity.ErrNotFound) || errors.Is(s.err, unify.ErrNotFound) {
				msg = "in no record"
			}
			fmt.Fprintf(e.stdout, "  %s\n", msg)
			continue
		}
		printStatus(e.stdout, s.Status)
	}
	return nil
}

func printChain(w io.Writer, eng *unify.Engine, a, b identity.ID, ex *identity.Explanation) error {
	na, _ := eng.NormalizeID(a)
	nb, _ := eng.NormalizeID(b)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s and %s are in profile %s", na, nb, ex.Profile)
	if len(ex.Steps) == 0 {
		fmt.Fprintf(bw, ": they are the same identifier.\n")
		return bw.Flush()
	}
	fmt.Fprintf(bw, ", linked by %d record(s):\n", len(ex.Steps))
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	for i, st := range ex.Steps {
		fmt.Fprintf(tw, "  %d.\t%s\t->\t%s\tby %s/%s\t(%s)\n", i+1, st.From, st.To, st.Record.Source, st.Record.ID, day(time.Unix(0, st.Record.Time)))
	}
	tw.Flush()
	return bw.Flush()
}

func printStatus(w io.Writer, st *identity.IDStatus) {
	fmt.Fprintf(w, "  normalized: %s\n", st.ID)
	if st.Profile != "" {
		fmt.Fprintf(w, "  in profile %s (carried by %d distinct identifier sets)\n", st.Profile, st.Sets)
	} else {
		fmt.Fprintf(w, "  in no profile (carried by %d distinct identifier sets)\n", st.Sets)
	}
	if st.Blocked != "" {
		fmt.Fprintf(w, "  blocked: %s; it never links records\n", st.Blocked)
	}
	if st.Shared {
		var seen []string
		for _, t := range slices.Sorted(maps.Keys(st.StrongerSeen)) {
			seen = append(seen, fmt.Sprintf("%d %s", st.StrongerSeen[t], t))
		}
		fmt.Fprintf(w, "  shared: seen with %s values; a shared value never links\n", strings.Join(seen, ", "))
	}
	if st.Capped {
		fmt.Fprintf(w, "  capped: unlinked to keep its component under the size cap\n")
	}
	for _, r := range st.Refused {
		fmt.Fprintf(w, "  refused: %s not linked to %s by %s/%s: %s\n", r.ID, r.From, r.Record.Source, r.Record.ID, r.Reason)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

var feedCommand = &command{
	name:     "feed",
	synopsis: "[-from N] [-follow]",
	summary:  "print the change feed as JSON lines",
	about: `Each line is one feed entry: {"seq","time","kind","profile","from","record"}.
Feed entries hold no personal data. A consumer keeps the last seq it handled
and resumes with -from seq+1. With -follow the command waits for new entries
until interrupted; note that only one process can open the data directory,
so a following feed must be stopped before an import.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		from := fs.Uint64("from", 1, "first sequence `number` to print")
		follow := fs.Bool("follow", false, "keep waiting for new entries until interrupted")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q", args)
			}
			return runFeed(ctx, e, *from, *follow)
		}
	},
}

func runFeed(ctx context.Context, e *env, from uint64, follow bool) error {
	eng, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	seq := eng.Changes(ctx, from)
	if follow {
		seq = eng.Watch(ctx, from)
	}
	bw := bufio.NewWriter(e.stdout)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for c, err := range seq {
		if err != nil {
			bw.Flush()
			return err
		}
		if err := enc.Encode(c); err != nil {
			return err
		}
		if follow {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
	// Interrupting -follow is its normal end, not an error.
	return bw.Flush()
}
