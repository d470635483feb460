package identity_test

// Tests for the flat-array whole-graph resolution (compact.go,
// rebuild.go, loader.go): the graph a Loader writes must be, key for key
// and byte for byte, the graph Rebuild writes from the same evidence, and
// (at the profile level) the graph Link of every record builds.
//
// The file only uses API that also exists at 12b8520, so that it can be
// copied into a checkout of the old implementation: with UNIFY_RESOLUTION_DUMP_DIR
// set, TestDumpRaw writes the raw graphs to files there, and the
// files of the two versions can be compared with diff.

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/memstore"
)

// randomPolicies are the default policies with a low component cap, extra
// identifier types (some with limits and shared-value detection) and a
// blocked value and pattern.
func randomPolicies(cap int) *identity.Policies {
	pol := identity.DefaultPolicies()
	pol.MaxComponentSets = cap
	for i := range 12 {
		p := identity.Policy{Priority: 10 + i*7}
		if i%3 == 0 {
			p.MaxPerProfile = 2
		}
		if i%4 == 1 {
			p.SharedAfter = 1
		}
		if i == 5 {
			p.Blocked = []string{"v5-blocked"}
			p.BlockedPatterns = []*regexp.Regexp{regexp.MustCompile(`^zz`)}
		}
		pol.Types[identity.Type(fmt.Sprintf("t%02d", i))] = p
	}
	return &pol
}

var longValue = strings.Repeat("L", 300<<10) // > a quarter of an arena chunk

// randomRecords makes n records of a few people: placeholders, shared
// mailboxes and cookies, limits, repeated identifier sets, single
// identifiers, values that differ only past 256 KiB, many types.
func randomRecords(rng *rand.Rand, n int) []rec {
	var out []rec
	var sets [][]identity.ID
	for i := range n {
		person := rng.IntN(n/4 + 1)
		var ids []identity.ID
		switch {
		case len(sets) > 0 && rng.IntN(6) == 0:
			// Another record with an identifier set seen before.
			ids = slices.Clone(sets[rng.IntN(len(sets))])
		default:
			if rng.IntN(2) == 0 {
				ids = append(ids, em(fmt.Sprintf("p%d.%d@posti.fi", person, rng.IntN(3))))
			}
			if rng.IntN(3) == 0 {
				ids = append(ids, lc(fmt.Sprintf("L%d-%d", person, rng.IntN(4))))
			}
			if rng.IntN(4) == 0 {
				ids = append(ids, ph(fmt.Sprintf("+35840%07d", person*7+rng.IntN(2))))
			}
			if rng.IntN(4) == 0 {
				ids = append(ids, cu(fmt.Sprintf("C%d", person*2+rng.IntN(2))))
			}
			if rng.IntN(2) == 0 {
				ids = append(ids, ck(fmt.Sprintf("ck%d", person/2+rng.IntN(3))))
			}
			if rng.IntN(3) == 0 {
				typ := rng.IntN(12)
				v := fmt.Sprintf("v%d-%d", typ, person/3+rng.IntN(3))
				switch rng.IntN(10) {
				case 0:
					v = "v5-blocked"
				case 1:
					v = "zz" + v
				case 2:
					v = longValue + fmt.Sprint(person%3)
				}
				ids = append(ids, identity.ID{Type: identity.Type(fmt.Sprintf("t%02d", typ)), Value: v})
			}
			if rng.IntN(10) == 0 {
				ids = append(ids, em("test@test.com")) // placeholder
			}
			if rng.IntN(12) == 0 {
				ids = append(ids, ph("0000000")) // placeholder
			}
			if rng.IntN(6) == 0 {
				ids = append(ids, em(fmt.Sprintf("family%d@posti.fi", rng.IntN(2)))) // shared mailbox
			}
			if rng.IntN(8) == 0 {
				ids = append(ids, identity.ID{Type: "store_wifi", Value: fmt.Sprint("guest", rng.IntN(2))}) // chains, no detection
			}
			if rng.IntN(15) == 0 {
				ids = append(ids, em(""), identity.ID{Type: "", Value: "x"}) // dropped
			}
			if rng.IntN(20) == 0 {
				ids = append(ids, ids...) // duplicates
			}
			if !slices.ContainsFunc(ids, func(id identity.ID) bool { return id.Type != "" && id.Value != "" }) {
				ids = []identity.ID{ck(fmt.Sprintf("lonely%d", i))}
			}
			sets = append(sets, ids)
		}
		srcs := []string{"pos", "web", "app", ""}
		out = append(out, rec{srcs[rng.IntN(len(srcs))], fmt.Sprint(i), int64(rng.IntN(n)), ids})
	}
	return out
}

// rawGraph returns every key and value of the store (the graph's prefix
// is the only thing in it), hex-encoded.
func rawGraph(t testing.TB, s store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.View(context.Background(), func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{})
		defer it.Close()
		for it.Next() {
			v, err := it.Value()
			if err != nil {
				return err
			}
			out[hex.EncodeToString(it.Key())] = hex.EncodeToString(v)
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rawDiff describes how two raw graphs differ, by key namespace.
func rawDiff(a, b map[string]string) string {
	var lines []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			lines = append(lines, "only first:  "+short(k))
		} else if v != w {
			lines = append(lines, "value differs: "+short(k)+"\n    "+short(v)+"\n    "+short(w))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			lines = append(lines, "only second: "+short(k))
		}
	}
	sort.Strings(lines)
	if len(lines) > 12 {
		lines = append(lines[:12], fmt.Sprintf("... %d more", len(lines)-12))
	}
	return strings.Join(lines, "\n")
}

func short(s string) string {
	if len(s) > 160 {
		return s[:160] + fmt.Sprintf("...(%d)", len(s))
	}
	return s
}

// evidenceRebuild stores recs with AddEvidence and rebuilds.
func evidenceRebuild(t testing.TB, g *identity.Graph, recs []rec) (store.Store, *identity.Report) {
	t.Helper()
	ctx := context.Background()
	s := memstore.New()
	t.Cleanup(func() { s.Close() })
	for _, r := range recs {
		if err := s.Update(ctx, func(tx store.Tx) error { return g.AddEvidence(tx, r.key(), r.ids) }); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := g.Rebuild(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return s, rep
}

// lastVersions keeps the last version of each record.
func lastVersions(recs []rec) []rec {
	last := map[[2]string]int{}
	for i, r := range recs {
		last[[2]string{r.src, r.id}] = i
	}
	var out []rec
	for i, r := range recs {
		if last[[2]string{r.src, r.id}] == i {
			out = append(out, r)
		}
	}
	return out
}

type randomCase struct {
	name string
	cap  int
	n    int
	seed uint64
}

func randomCases(short bool) []randomCase {
	var cs []randomCase
	seeds := uint64(6)
	if short {
		seeds = 2 // -race -short runs in CI
	}
	for seed := range seeds {
		cs = append(cs, randomCase{fmt.Sprintf("cap6-%d", seed), 6, 150, seed})
		cs = append(cs, randomCase{fmt.Sprintf("cap40-%d", seed), 40, 400, seed})
	}
	if !short {
		cs = append(cs, randomCase{"cap25-big", 25, 6000, 99}) // several partition blocks' worth of components
	}
	return cs
}

// The Loader's graph is byte for byte the graph that Rebuild writes from
// the same evidence, and a Rebuild of the loaded graph changes nothing.
func TestLoaderEqualsRebuildRaw(t *testing.T) {
	for _, c := range randomCases(testing.Short()) {
		t.Run(c.name, func(t *testing.T) {
			g := identity.New(identity.Options{Policies: randomPolicies(c.cap)})
			recs := randomRecords(rand.New(rand.NewPCG(c.seed, 11)), c.n)
			loaded := memstore.New()
			defer loaded.Close()
			bulkLoad(t, loaded, g, recs)
			want := rawGraph(t, loaded)

			rebuilt, _ := evidenceRebuild(t, g, lastVersions(recs))
			if d := rawDiff(want, rawGraph(t, rebuilt)); d != "" {
				t.Errorf("Loader and AddEvidence+Rebuild write different graphs (first: loader):\n%s", d)
			}
			rep, err := g.Rebuild(context.Background(), loaded)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Changes) != 0 {
				t.Errorf("Rebuild of a loaded graph changed %d profiles", len(rep.Changes))
			}
			if d := rawDiff(want, rawGraph(t, loaded)); d != "" {
				t.Errorf("Rebuild of a loaded graph rewrote it (first: loader):\n%s", d)
			}
		})
	}
}

// Loading the same records in another order writes the same bytes.
func TestLoaderOrderIndependentRaw(t *testing.T) {
	g := identity.New(identity.Options{Policies: randomPolicies(8)})
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 3))
		recs := lastVersions(randomRecords(rng, 200))
		a := memstore.New()
		bulkLoad(t, a, g, recs)
		rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
		b := memstore.New()
		bulkLoad(t, b, g, recs)
		if d := rawDiff(rawGraph(t, a), rawGraph(t, b)); d != "" {
			t.Errorf("seed %d: the Loader's graph depends on the order records were added:\n%s", seed, d)
		}
		a.Close()
		b.Close()
	}
}

// A minimal case: an email seen with two loyalty cards on two sets. Its
// stronger references are stored in set-hash order by Rebuild (and by the
// Loader at 12b8520); the Loader must store the same.
func TestLoaderStrongerOrder(t *testing.T) {
	g := identity.New(identity.Options{})
	recs := []rec{
		{"pos", "1", 1, []identity.ID{lc("L1"), em("anna@posti.fi")}},
		{"pos", "2", 2, []identity.ID{lc("L2"), em("anna@posti.fi")}},
	}
	for _, order := range [][]int{{0, 1}, {1, 0}} {
		in := []rec{recs[order[0]], recs[order[1]]}
		loaded := memstore.New()
		bulkLoad(t, loaded, g, in)
		rebuilt, _ := evidenceRebuild(t, g, in)
		if d := rawDiff(rawGraph(t, loaded), rawGraph(t, rebuilt)); d != "" {
			t.Errorf("order %v: Loader and Rebuild differ (first: loader):\n%s", order, d)
		}
		loaded.Close()
	}
}

// The Loader's profiles are those of Link of every record.
func TestLoaderAgreesWithLinkRandom(t *testing.T) {
	for _, c := range randomCases(true) {
		if c.cap < 40 {
			// With the cap reached, Link (which caps as records come)
			// and whole-graph resolution differ here at 12b8520 too.
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			g := identity.New(identity.Options{Policies: randomPolicies(c.cap)})
			recs := randomRecords(rand.New(rand.NewPCG(c.seed, 11)), c.n)
			s := memstore.New()
			defer s.Close()
			for _, r := range recs {
				link(t, s, g, r)
			}
			loaded := memstore.New()
			defer loaded.Close()
			bulkLoad(t, loaded, g, recs)
			if d := cmp.Diff(dump(t, s, g), dump(t, loaded, g)); d != "" {
				t.Errorf("profiles (-link +loader):\n%s", d)
			}
		})
	}
}

// With UNIFY_RESOLUTION_DUMP_DIR set, writes the raw graphs of the Loader and of
// AddEvidence+Rebuild, one file per case, for comparing versions.
func TestDumpRaw(t *testing.T) {
	dir := os.Getenv("UNIFY_RESOLUTION_DUMP_DIR")
	if dir == "" {
		t.Skip("UNIFY_RESOLUTION_DUMP_DIR not set")
	}
	for _, c := range randomCases(false) {
		g := identity.New(identity.Options{Policies: randomPolicies(c.cap)})
		recs := randomRecords(rand.New(rand.NewPCG(c.seed, 11)), c.n)
		loaded := memstore.New()
		rep := bulkLoad(t, loaded, g, recs)
		rebuilt, rrep := evidenceRebuild(t, g, lastVersions(recs))
		for name, m := range map[string]map[string]string{"loader": rawGraph(t, loaded), "rebuild": rawGraph(t, rebuilt)} {
			var lines []string
			for k, v := range m {
				lines = append(lines, k+" "+v)
			}
			sort.Strings(lines)
			if name == "loader" {
				lines = append(lines, fmt.Sprintf("report sets=%d ids=%d profiles=%d warnings=%v", rep.Sets, rep.Identifiers, rep.Profiles, rep.Warnings))
			} else {
				lines = append(lines, fmt.Sprintf("report sets=%d ids=%d profiles=%d warnings=%v changes=%v", rrep.Sets, rrep.Identifiers, rrep.Profiles, rrep.Warnings, rrep.Changes))
			}
			if err := os.WriteFile(filepath.Join(dir, c.name+"."+name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		loaded.Close()
	}
}

// Two sets anchored by one record key (a Distinct Loader handed one key
// twice, TestLoaderSharedKeyHash) make two components whose profiles have
// one ID: the report counts it once, as at 12b8520.
func TestLoaderSharedAnchorReport(t *testing.T) {
	g := identity.New(identity.Options{})
	l := g.NewLoader(identity.LoaderOptions{Distinct: true})
	for _, r := range []rec{
		{"s", "1", 1, []identity.ID{em("a@posti.fi")}},
		{"s", "1", 2, []identity.ID{em("b@posti.fi")}},
	} {
		if err := l.Add(r.key(), r.ids); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := l.Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Profiles != 1 {
		t.Errorf("Report.Profiles = %d, want 1 (one profile ID)", rep.Profiles)
	}
}
