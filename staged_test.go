package unify_test

import (
	"context"
	"errors"
	"iter"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
)

func records(rs []*profile.Record) iter.Seq2[*profile.Record, error] {
	return func(yield func(*profile.Record, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func openBadger(t *testing.T, dir string) (*unify.Engine, *badgerstore.Store) {
	t.Helper()
	bs, err := badgerstore.Open(context.Background(), badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	return open(t, bs), bs
}

func identityMap(t *testing.T, e *unify.Engine) []unify.MapEntry {
	t.Helper()
	var out []unify.MapEntry
	for m, err := range e.IdentityMap(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// A staged import writes what a direct bulk import writes.
func TestStagedImportEqualsBulk(t *testing.T) {
	ctx := context.Background()
	recs := stream(7, 600)
	direct, _ := openBadger(t, t.TempDir())
	if _, err := direct.Import(ctx, records(recs), unify.ImportOptions{ChunkSize: 64}); err != nil {
		t.Fatal(err)
	}
	staged, _ := openBadger(t, t.TempDir())
	unify.SetSortMemory(staged, 4096) // sorted runs of a few dozen keys
	rep, err := staged.Import(ctx, records(recs), unify.ImportOptions{ChunkSize: 64, Staging: unify.StageAlways})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != unify.ImportBulk || rep.Added != int64(len(recs)) {
		t.Errorf("staged import report: %+v", rep)
	}
	sameThenIngest(t, direct, staged, "-direct +staged", 8)
}

// sameThenIngest checks that a and b hold the same profiles and identity
// map, then that they stay the same as records are ingested into both:
// a loaded store goes on like any other.
func sameThenIngest(t *testing.T, a, b *unify.Engine, sides string, seed uint64) {
	t.Helper()
	if diff := cmp.Diff(allProfiles(t, a), allProfiles(t, b), profileCmp...); diff != "" {
		t.Errorf("profiles differ (%s):\n%s", sides, diff)
	}
	if diff := cmp.Diff(identityMap(t, a), identityMap(t, b)); diff != "" {
		t.Errorf("identity maps differ (%s):\n%s", sides, diff)
	}
	for _, r := range stream(seed, 50) {
		ingest(t, a, r)
		ingest(t, b, r)
	}
	if diff := cmp.Diff(allProfiles(t, a), allProfiles(t, b), profileCmp...); diff != "" {
		t.Errorf("after more ingests (%s):\n%s", sides, diff)
	}
}

// A staged load that stopped part way (here: the first half of its sorted
// keys) is discarded by the next Import, which then loads as if into an
// empty store.
func TestInterruptedStagedImportIsDiscarded(t *testing.T) {
	ctx := context.Background()
	recs := stream(9, 300)
	full, fullStore := openBadger(t, t.TempDir())
	if _, err := full.Import(ctx, records(recs), unify.ImportOptions{Staging: unify.StageAlways}); err != nil {
		t.Fatal(err)
	}
	// What a staged load writes, in order, begins with its marker.
	type kv struct{ k, v []byte }
	var all []kv
	err := fullStore.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{})
		defer it.Close()
		for it.Next() {
			v, _ := it.Value()
			all = append(all, kv{store.Copy(it.Key()), store.Copy(v)})
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	marker := store.AppendString(store.AppendString(nil, "a"), "load-pending")
	half := append([]kv{{marker, []byte{1}}}, all[:len(all)/2]...)
	dir := t.TempDir()
	bs, err := badgerstore.Open(ctx, badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	err = bs.LoadSorted(ctx, func(yield func([]byte, []byte) bool) {
		for _, p := range half {
			if !yield(p.k, p.v) {
				return
			}
		}
	})
	bs.Close()
	if err != nil {
		t.Fatal(err)
	}
	e, _ := openBadger(t, dir)
	// Until an Import discards the partial load, writes are refused: they
	// would be discarded with it.
	if _, err := e.Ingest(ctx, recs[0]); !errors.Is(err, unify.ErrImportPending) {
		t.Errorf("Ingest into a partial staged load: %v, want ErrImportPending", err)
	}
	rep, err := e.Import(ctx, records(recs), unify.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) == 0 || !errors.Is(rep.Warnings[0], unify.ErrStagedImportDiscarded) {
		t.Errorf("warnings %v, want ErrStagedImportDiscarded first", rep.Warnings)
	}
	if diff := cmp.Diff(allProfiles(t, full), allProfiles(t, e), profileCmp...); diff != "" {
		t.Errorf("after discarding and importing again (-staged +recovered):\n%s", diff)
	}
	more := stream(10, 20)
	for _, r := range more {
		ingest(t, e, r)
	}
}

// A bulk import that carries a record twice keeps the later version, as
// ingesting the records one by one does, and counts it as replaced.
func TestBulkImportRecordTwice(t *testing.T) {
	ctx := context.Background()
	recs := stream(11, 300)
	// Later versions of ten records: other identifiers, another time.
	again := stream(12, 10)
	for i, r := range again {
		r.Source, r.ID = recs[i*7].Source, recs[i*7].ID
	}
	all := append(append([]*profile.Record{}, recs...), again...)
	one := open(t, nil)
	for _, r := range all {
		ingest(t, one, r)
	}
	for _, staged := range []unify.Staging{unify.StageNever, unify.StageAlways} {
		e, _ := openBadger(t, t.TempDir())
		unify.SetSortMemory(e, 2048)
		rep, err := e.Import(ctx, records(all), unify.ImportOptions{ChunkSize: 64, Staging: staged, Mode: unify.ImportBulk})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != int64(len(recs)) || rep.Replaced != int64(len(again)) {
			t.Errorf("staging %d: added %d, replaced %d; want %d, %d", staged, rep.Added, rep.Replaced, len(recs), len(again))
		}
		if diff := cmp.Diff(allProfiles(t, one), allProfiles(t, e), profileCmp...); diff != "" {
			t.Errorf("staging %d: import differs from ingest (-ingest +import):\n%s", staged, diff)
		}
		if diff := cmp.Diff(identityMap(t, one), identityMap(t, e)); diff != "" {
			t.Errorf("staging %d: identity maps differ (-ingest +import):\n%s", staged, diff)
		}
	}
}

// A bulk import too large to build all its profiles at once spills the
// records to bucket files and builds a bucket at a time: the result is the
// one-bucket result.
func TestBulkImportInBuckets(t *testing.T) {
	ctx := context.Background()
	recs := stream(13, 700)
	whole, _ := openBadger(t, t.TempDir())
	if _, err := whole.Import(ctx, records(recs), unify.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bucketed, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"})
	if err != nil {
		t.Fatal(err)
	}
	defer bucketed.Close()
	unify.SetBucketRecords(bucketed, 100)
	rep, err := bucketed.Import(ctx, records(recs), unify.ImportOptions{Mode: unify.ImportBulk})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != int64(len(recs)) || rep.Mode != unify.ImportBulk {
		t.Errorf("report: %+v", rep)
	}
	// The bucket files are gone.
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		if strings.HasPrefix(ent.Name(), "unify-import-") {
			t.Errorf("spill directory %s left behind", ent.Name())
		}
	}
	sameThenIngest(t, whole, bucketed, "-one bucket +seven", 14)
}

// Temporary files an import left behind when its process died go when the
// engine opens its directory again.
func TestOpenRemovesImportLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := unify.Open(ctx, unify.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	for _, name := range []string{"unify-import-123", "unify-sort-456"} {
		if err := os.MkdirAll(dir+"/"+name, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(dir+"/"+name+"/run-0", []byte("x"), 0o644)
	}
	e, err = unify.Open(ctx, unify.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ents, _ := os.ReadDir(dir)
	for _, ent := range ents {
		if strings.HasPrefix(ent.Name(), "unify-") {
			t.Errorf("%s left in the store's directory", ent.Name())
		}
	}
}

// A store without records may still hold keys (a feed, here after the only
// record was deleted): a bulk import into it is written directly, since a
// sorted load needs a store without any key.
func TestStagedImportIntoStoreWithFeed(t *testing.T) {
	ctx := context.Background()
	e, err := unify.Open(ctx, unify.Options{Dir: t.TempDir(), PhoneRegion: "FI"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	recs := stream(15, 200)
	ingest(t, e, recs[0])
	if _, err := e.Delete(ctx, recs[0].Source, recs[0].ID); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Import(ctx, records(recs), unify.ImportOptions{Staging: unify.StageAlways})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != unify.ImportBulk || rep.Added != int64(len(recs)) {
		t.Errorf("report: %+v", rep)
	}
	one := open(t, nil)
	for _, r := range recs {
		ingest(t, one, r)
	}
	if diff := cmp.Diff(allProfiles(t, one), allProfiles(t, e), profileCmp...); diff != "" {
		t.Errorf("(-ingest +import):\n%s", diff)
	}
}
