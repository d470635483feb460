package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/store"
)

// Run runs the conformance suite against stores made by open. open is called
// once per subtest and must return an empty store; the suite closes it (after
// checking its invariants), so open need not, though closing it again is
// harmless.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"GetSetDelete", testGetSetDelete},
		{"EmptyKey", testEmptyKey},
		{"BinaryOrder", testBinaryOrder},
		{"Iterate", testIterate},
		{"IterateKeysOnly", testIterateKeysOnly},
		{"ConcurrentIterators", testConcurrentIterators},
		{"ReadYourWrites", testReadYourWrites},
		{"Isolation", testIsolation},
		{"Conflict", testConflict},
		{"RetryCounter", testRetryCounter},
		{"Rollback", testRollback},
		{"ByteLifetimes", testByteLifetimes},
		{"LargeValue", testLargeValue},
		{"ReadOnly", testReadOnly},
		{"TxnDone", testTxnDone},
		{"Context", testContext},
		{"Closed", testClosed},
		{"Batch", testBatch},
		{"SortedLoad", testSortedLoad},
		{"SortedLoadOrder", testSortedLoadOrder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				checkInvariants(t, s)
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// RunReopen checks that a store opened again on the same directory keeps
// what was committed and nothing that was rolled back. openAt must open (or
// create) a store in dir; the suite closes it.
func RunReopen(t *testing.T, openAt func(t *testing.T, dir string) store.Store) {
	t.Helper()
	dir := t.TempDir()
	s := openAt(t, dir)
	for i := range 100 {
		set(t, s, fmt.Appendf(nil, "k%03d", i), fmt.Appendf(nil, "v%d", i))
	}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Delete([]byte("k050")) })
	errBoom := errors.New("boom")
	err := s.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.Set([]byte("k000"), []byte("rolled back")); err != nil {
			return err
		}
		if err := tx.Set([]byte("rolled back"), []byte("x")); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want %v", err, errBoom)
	}
	if bw, ok := s.(store.BatchWriter); ok {
		b, err := bw.NewBatch(context.Background())
		if err != nil {
			t.Fatalf("NewBatch: %v", err)
		}
		for i := range 100 {
			if err := b.Set(fmt.Appendf(nil, "b%03d", i), []byte("batch")); err != nil {
				t.Fatalf("Batch.Set: %v", err)
			}
		}
		if err := b.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
	want := dump(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = openAt(t, dir)
	defer s.Close()
	if diff := cmp.Diff(want, dump(t, s)); diff != "" {
		t.Errorf("after reopen (-want +got):\n%s", diff)
	}
	if _, ok := want["rolled back"]; ok {
		t.Errorf("rolled-back write was committed")
	}
	if _, ok := want["k050"]; ok {
		t.Errorf("deleted key survived")
	}
	checkInvariants(t, s)
}

var ctx = context.Background()

func mustUpdate(t testing.TB, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func mustView(t testing.TB, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func set(t testing.TB, s store.Store, key, value []byte) {
	t.Helper()
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Set(key, value) })
}

// get returns the value of key, or "<not found>".
func get(t testing.TB, s store.Store, key []byte) string {
	t.Helper()
	var got string
	mustView(t, s, func(tx store.Tx) error {
		got = txGet(t, tx, key)
		return nil
	})
	return got
}

const notFound = "<not found>"

func txGet(t testing.TB, tx store.Tx, key []byte) string {
	t.Helper()
	v, err := tx.Get(key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound
	case err != nil:
		t.Fatalf("Get(%q): %v", key, err)
	case v == nil:
		t.Fatalf("Get(%q) = nil, nil; want a non-nil value", key)
	}
	return string(v)
}

// kv is a key and value, as strings for readable diffs.
type kv struct{ K, V string }

// collect runs an iterator with opts in tx and returns what it yields.
func collect(t testing.TB, tx store.Tx, opts store.IterOptions) []kv {
	t.Helper()
	it := tx.Iterate(opts)
	defer it.Close()
	var out []kv
	for it.Next() {
		v, err := it.Value()
		if err != nil {
			t.Fatalf("Value: %v", err)
		}
		out = append(out, kv{string(it.Key()), string(v)})
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	if err := it.Close(); err != nil {
		t.Fatalf("iterator Close: %v", err)
	}
	return out
}

func dump(t testing.TB, s store.Store) map[string]string {
	t.Helper()
	m := map[string]string{}
	mustView(t, s, func(tx store.Tx) error {
		for _, e := range collect(t, tx, store.IterOptions{}) {
			m[e.K] = e.V
		}
		return nil
	})
	return m
}

// checkInvariants checks, on a store that is still open, that forward and
// reverse iteration agree, keys are strictly ascending, and Get agrees with
// iteration.
func checkInvariants(t *testing.T, s store.Store) {
	t.Helper()
	err := s.View(ctx, func(tx store.Tx) error {
		fwd := collect(t, tx, store.IterOptions{})
		rev := collect(t, tx, store.IterOptions{Reverse: true})
		slices.Reverse(rev)
		if diff := cmp.Diff(fwd, rev); diff != "" {
			t.Errorf("invariant: forward vs reversed reverse iteration (-fwd +rev):\n%s", diff)
		}
		for i, e := range fwd {
			if i > 0 && fwd[i-1].K >= e.K {
				t.Errorf("invariant: keys out of order: %q then %q", fwd[i-1].K, e.K)
			}
			if got := txGet(t, tx, []byte(e.K)); got != e.V {
				t.Errorf("invariant: Get(%q) = %q, iteration gave %q", e.K, got, e.V)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("invariant check: %v", err)
	}
}

func testGetSetDelete(t *testing.T, s store.Store) {
	k := []byte("k")
	if got := get(t, s, k); got != notFound {
		t.Errorf("Get of missing key = %q", got)
	}
	set(t, s, k, []byte("v1"))
	set(t, s, k, []byte("v2"))
	set(t, s, []byte("empty"), []byte{})
	set(t, s, []byte("nil"), nil)
	for key, want := range map[string]string{"k": "v2", "empty": "", "nil": ""} {
		if got := get(t, s, []byte(key)); got != want {
			t.Errorf("Get(%q) = %q, want %q", key, got, want)
		}
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.Delete(k); err != nil {
			return err
		}
		return tx.Delete([]byte("never written"))
	})
	if got := get(t, s, k); got != notFound {
		t.Errorf("Get after Delete = %q, want not found", got)
	}
	mustView(t, s, func(tx store.Tx) error {
		_, err := tx.Get(k)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testEmptyKey(t *testing.T, s store.Store) {
	for _, key := range [][]byte{nil, {}} {
		err := s.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.Get(key); !errors.Is(err, store.ErrEmptyKey) {
				t.Errorf("Get(%#v): err = %v, want ErrEmptyKey", key, err)
			}
			if err := tx.Delete(key); !errors.Is(err, store.ErrEmptyKey) {
				t.Errorf("Delete(%#v): err = %v, want ErrEmptyKey", key, err)
			}
			return tx.Set(key, []byte("v"))
		})
		if !errors.Is(err, store.ErrEmptyKey) {
			t.Errorf("Set(%#v): err = %v, want ErrEmptyKey", key, err)
		}
	}
}

var binaryKeys = []string{
	"\x00", "\x00\x00", "\x00\x01", "\x00\xff", "\x01", "a", "a\x00", "a\x00\x00", "a\x01",
	"ab", "a\xff", "a\xff\xff", "b", "\xfe\xff", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\xff",
}

func testBinaryOrder(t *testing.T, s store.Store) {
	shuffled := slices.Clone(binaryKeys)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, k := range shuffled {
			if err := tx.Set([]byte(k), []byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	mustView(t, s, func(tx store.Tx) error {
		for _, e := range collect(t, tx, store.IterOptions{}) {
			got = append(got, e.K)
		}
		return nil
	})
	if diff := cmp.Diff(binaryKeys, got); diff != "" {
		t.Errorf("iteration order (-want +got):\n%s", diff)
	}
}

// filter is the reference for which keys opts selects, in order.
func filter(keys []string, opts store.IterOptions) []string {
	var out []string
	for _, k := range keys {
		b := []byte(k)
		if bytes.HasPrefix(b, opts.Prefix) && (opts.Start == nil || bytes.Compare(b, opts.Start) >= 0) &&
			(opts.End == nil || bytes.Compare(b, opts.End) < 0) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	if opts.Reverse {
		slices.Reverse(out)
	}
	return out
}

func iterCases() []store.IterOptions {
	bs := func(s string) []byte { return []byte(s) }
	var cases []store.IterOptions
	for _, o := range []store.IterOptions{
		{},
		{Prefix: bs("a")},
		{Prefix: bs("a\x00")},
		{Prefix: bs("a\xff")},
		{Prefix: bs("\xff")},
		{Prefix: bs("\xff\xff")},
		{Prefix: bs("\x00")},
		{Prefix: bs("zz")}, // no keys
		{Start: bs("a")},
		{End: bs("b")},
		{Start: bs("a\x00"), End: bs("a\xff")},
		{Start: bs("a\x01"), End: bs("a\x01")}, // empty
		{Start: bs("b"), End: bs("a")},         // empty
		{Prefix: bs("a"), Start: bs("a\x00\x00")},
		{Prefix: bs("a"), End: bs("a\xff")},
		{Prefix: bs("a"), Start: bs("\x00"), End: bs("z")},
		{Prefix: bs("a"), Start: bs("b")}, // empty
		{Prefix: bs("a"), End: bs("a")},   // empty
		{Prefix: bs("\xff"), Start: bs("\xff\x00")},
		{Prefix: bs("\xff"), End: bs("\xff\xff")},
		{Start: bs("\xff\xff\xff\xff")},
		{End: bs("\x00")},
	} {
		cases = append(cases, o)
		o.Reverse = true
		cases = append(cases, o)
	}
	return cases
}

// testIterate checks ranges over committed keys, over pending writes, and
// over a mix of both with pending deletes.
func testIterate(t *testing.T, s store.Store) {
	half := len(binaryKeys) / 2
	committed := slices.Clone(binaryKeys[:half+2])
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, k := range committed {
			if err := tx.Set([]byte(k), []byte("old")); err != nil {
				return err
			}
		}
		return tx.Set([]byte("deleted later"), []byte("x"))
	})
	check := func(t *testing.T, tx store.Tx, want map[string]string) {
		t.Helper()
		var keys []string
		for k := range want {
			keys = append(keys, k)
		}
		for _, o := range iterCases() {
			var w []kv
			for _, k := range filter(keys, o) {
				w = append(w, kv{k, want[k]})
			}
			if diff := cmp.Diff(w, collect(t, tx, o)); diff != "" {
				t.Errorf("Iterate(%s) (-want +got):\n%s", describe(o), diff)
			}
		}
	}
	want := map[string]string{"deleted later": "x"}
	for _, k := range committed {
		want[k] = "old"
	}
	t.Run("committed", func(t *testing.T) {
		mustView(t, s, func(tx store.Tx) error { check(t, tx, want); return nil })
	})
	t.Run("pending", func(t *testing.T) {
		mustUpdate(t, s, func(tx store.Tx) error {
			for _, k := range binaryKeys[half:] {
				if err := tx.Set([]byte(k), []byte("new")); err != nil {
					return err
				}
				want[k] = "new"
			}
			for _, k := range []string{"deleted later", binaryKeys[0], "a", "\xff\xff\xff"} {
				if err := tx.Delete([]byte(k)); err != nil {
					return err
				}
				delete(want, k)
			}
			check(t, tx, want)
			return nil
		})
	})
	t.Run("after commit", func(t *testing.T) {
		mustView(t, s, func(tx store.Tx) error { check(t, tx, want); return nil })
	})
}

func testIterateKeysOnly(t *testing.T, s store.Store) {
	set(t, s, []byte("k"), []byte("v"))
	mustView(t, s, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{KeysOnly: true})
		defer it.Close()
		if !it.Next() {
			t.Fatalf("no key")
		}
		if v, err := it.Value(); err != nil || v != nil {
			t.Errorf("KeysOnly Value = %q, %v; want nil, nil", v, err)
		}
		if it.Next() {
			t.Errorf("unexpected key %q", it.Key())
		}
		return it.Close()
	})
}

func testConcurrentIterators(t *testing.T, s store.Store) {
	mustUpdate(t, s, func(tx store.Tx) error {
		for i := range 10 {
			if err := tx.Set([]byte{'k', byte(i)}, []byte{byte(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	run := func(tx store.Tx) error {
		a := tx.Iterate(store.IterOptions{})
		b := tx.Iterate(store.IterOptions{Reverse: true})
		defer a.Close()
		defer b.Close()
		for i := range 10 {
			if !a.Next() || !b.Next() {
				t.Fatalf("iterators ended early at %d: %v, %v", i, a.Err(), b.Err())
			}
			if ka, kb := a.Key(), b.Key(); ka[1] != byte(i) || kb[1] != byte(9-i) {
				t.Fatalf("step %d: keys %q and %q", i, ka, kb)
			}
		}
		if a.Next() || b.Next() {
			t.Errorf("iterators did not end")
		}
		return nil
	}
	mustView(t, s, run)
	mustUpdate(t, s, run)
	// An iterator left open when the closure returns is closed by the store.
	mustUpdate(t, s, func(tx store.Tx) error {
		tx.Iterate(store.IterOptions{}).Next()
		return tx.Set([]byte("after"), []byte("x"))
	})
	if got := get(t, s, []byte("after")); got != "x" {
		t.Errorf("commit with an open iterator: Get = %q", got)
	}
}

func testReadYourWrites(t *testing.T, s store.Store) {
	set(t, s, []byte("a"), []byte("committed"))
	set(t, s, []byte("b"), []byte("committed"))
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.Set([]byte("a"), []byte("pending")); err != nil {
			return err
		}
		if err := tx.Delete([]byte("b")); err != nil {
			return err
		}
		if err := tx.Set([]byte("c"), []byte("new")); err != nil {
			return err
		}
		got := map[string]string{}
		for _, k := range []string{"a", "b", "c"} {
			got[k] = txGet(t, tx, []byte(k))
		}
		if diff := cmp.Diff(map[string]string{"a": "pending", "b": notFound, "c": "new"}, got); diff != "" {
			t.Errorf("Get in Update (-want +got):\n%s", diff)
		}
		want := []kv{{"a", "pending"}, {"c", "new"}}
		if diff := cmp.Diff(want, collect(t, tx, store.IterOptions{})); diff != "" {
			t.Errorf("Iterate in Update (-want +got):\n%s", diff)
		}
		slices.Reverse(want)
		if diff := cmp.Diff(want, collect(t, tx, store.IterOptions{Reverse: true})); diff != "" {
			t.Errorf("reverse Iterate in Update (-want +got):\n%s", diff)
		}
		// Delete then set again.
		if err := tx.Delete([]byte("c")); err != nil {
			return err
		}
		if got := txGet(t, tx, []byte("c")); got != notFound {
			t.Errorf("Get after pending Delete = %q", got)
		}
		return tx.Set([]byte("b"), []byte("again"))
	})
	if diff := cmp.Diff(map[string]string{"a": "pending", "b": "again"}, dump(t, s)); diff != "" {
		t.Errorf("after commit (-want +got):\n%s", diff)
	}
}

func testIsolation(t *testing.T, s store.Store) {
	set(t, s, []byte("k"), []byte("v1"))
	// A View running while an Update is open does not see its writes.
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.Set([]byte("k"), []byte("uncommitted")); err != nil {
			return err
		}
		if err := tx.Set([]byte("new"), []byte("uncommitted")); err != nil {
			return err
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if got := get(t, s, []byte("k")); got != "v1" {
				t.Errorf("concurrent View saw %q, want v1", got)
			}
			if got := get(t, s, []byte("new")); got != notFound {
				t.Errorf("concurrent View saw uncommitted key: %q", got)
			}
		}()
		<-done
		return nil
	})
	// A snapshot does not see later commits.
	mustView(t, s, func(tx store.Tx) error {
		before := collect(t, tx, store.IterOptions{})
		set(t, s, []byte("k"), []byte("v2"))
		set(t, s, []byte("later"), []byte("x"))
		mustUpdate(t, s, func(tx store.Tx) error { return tx.Delete([]byte("new")) })
		if got := txGet(t, tx, []byte("k")); got != "uncommitted" {
			t.Errorf("snapshot Get = %q, want the value at its start", got)
		}
		if got := txGet(t, tx, []byte("later")); got != notFound {
			t.Errorf("snapshot sees a later commit: %q", got)
		}
		if diff := cmp.Diff(before, collect(t, tx, store.IterOptions{})); diff != "" {
			t.Errorf("snapshot iteration changed (-before +after):\n%s", diff)
		}
		return nil
	})
}

// testConflict checks that a read-write transaction fails to commit when a
// key it read (with Get or an iterator) was committed by another transaction
// after it began, and commits otherwise.
func testConflict(t *testing.T, s store.Store) {
	set(t, s, []byte("k"), []byte("0"))
	set(t, s, []byte("other"), []byte("0"))
	for _, tc := range []struct {
		name     string
		read     func(tx store.Tx)
		conflict bool
	}{
		{"Get", func(tx store.Tx) { txGet(t, tx, []byte("k")) }, true},
		{"Iterate", func(tx store.Tx) { collect(t, tx, store.IterOptions{Prefix: []byte("k")}) }, true},
		{"GetOther", func(tx store.Tx) { txGet(t, tx, []byte("other")) }, false},
		{"NoRead", func(tx store.Tx) {}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(ctx, func(tx store.Tx) error {
				tc.read(tx)
				set(t, s, []byte("k"), []byte(tc.name)) // a concurrent commit
				return tx.Set([]byte("mine"), []byte(tc.name))
			})
			if tc.conflict && !errors.Is(err, store.ErrConflict) {
				t.Fatalf("Update = %v, want ErrConflict", err)
			}
			if !tc.conflict && err != nil {
				t.Fatalf("Update = %v, want nil", err)
			}
			if got := get(t, s, []byte("mine")); (got == tc.name) == tc.conflict {
				t.Errorf("Get(mine) = %q after Update returned %v", got, err)
			}
		})
	}
	// A transaction that only reads commits whatever happened meanwhile.
	err := s.Update(ctx, func(tx store.Tx) error {
		txGet(t, tx, []byte("k"))
		set(t, s, []byte("k"), []byte("x"))
		return nil
	})
	if err != nil {
		t.Errorf("read-only Update = %v, want nil", err)
	}
}

func testRetryCounter(t *testing.T, s store.Store) {
	const workers, increments = 8, 50
	key := []byte("counter")
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range increments {
				err := store.Retry(ctx, s, func(tx store.Tx) error {
					n := 0
					v, err := tx.Get(key)
					switch {
					case err == nil:
						n = int(v[0])<<8 | int(v[1])
					case !errors.Is(err, store.ErrNotFound):
						return err
					}
					n++
					return tx.Set(key, []byte{byte(n >> 8), byte(n)})
				}, store.RetryOptions{MaxAttempts: 100})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Retry: %v", err)
	}
	v := get(t, s, key)
	if got := int(v[0])<<8 | int(v[1]); got != workers*increments {
		t.Errorf("counter = %d, want %d", got, workers*increments)
	}
}

func testRollback(t *testing.T, s store.Store) {
	set(t, s, []byte("k"), []byte("v"))
	errBoom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.Set([]byte("k"), []byte("changed")); err != nil {
			return err
		}
		if err := tx.Set([]byte("new"), []byte("x")); err != nil {
			return err
		}
		tx.Iterate(store.IterOptions{}) // left open
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("Update = %v, want %v", err, errBoom)
	}
	func() {
		defer func() {
			if r := recover(); r != errBoom {
				t.Errorf("recovered %v, want the panic value re-raised", r)
			}
		}()
		s.Update(ctx, func(tx store.Tx) error {
			if err := tx.Set([]byte("k"), []byte("panicked")); err != nil {
				return err
			}
			tx.Iterate(store.IterOptions{}).Next() // left open
			panic(errBoom)
		})
	}()
	if diff := cmp.Diff(map[string]string{"k": "v"}, dump(t, s)); diff != "" {
		t.Errorf("after rollbacks (-want +got):\n%s", diff)
	}
	set(t, s, []byte("k"), []byte("usable"))
	if got := get(t, s, []byte("k")); got != "usable" {
		t.Errorf("store unusable after a panic: Get = %q", got)
	}
}

func testByteLifetimes(t *testing.T, s store.Store) {
	key, val := []byte("key"), []byte("value")
	mustUpdate(t, s, func(tx store.Tx) error {
		if err := tx.Set(key, val); err != nil {
			return err
		}
		key[0], val[0] = 'X', 'X' // the caller reuses its buffers
		v, err := tx.Get([]byte("key"))
		if err != nil {
			return err
		}
		if string(v) != "value" {
			t.Errorf("pending Get after caller mutated its buffer = %q", v)
		}
		v[0] = 'Y' // mutating a returned slice changes nothing
		if got := txGet(t, tx, []byte("key")); got != "value" {
			t.Errorf("pending Get after mutating a returned value = %q", got)
		}
		return nil
	})
	mustView(t, s, func(tx store.Tx) error {
		v, err := tx.Get([]byte("key"))
		if err != nil {
			return err
		}
		v[0] = 'Y'
		it := tx.Iterate(store.IterOptions{})
		defer it.Close()
		for it.Next() {
			it.Key()[0] = 'Y'
			v, _ := it.Value()
			v[0] = 'Y'
		}
		return nil
	})
	if diff := cmp.Diff(map[string]string{"key": "value"}, dump(t, s)); diff != "" {
		t.Errorf("after mutating returned slices (-want +got):\n%s", diff)
	}
}

func testLargeValue(t *testing.T, s store.Store) {
	// Just under 1 MiB: Badger in memory refuses values of 1 MiB.
	big := make([]byte, 1<<20-1<<10)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	set(t, s, []byte("big"), big)
	if got := get(t, s, []byte("big")); got != string(big) {
		t.Errorf("large value: got %d bytes, differing from what was set", len(got))
	}
}

func testReadOnly(t *testing.T, s store.Store) {
	err := s.View(ctx, func(tx store.Tx) error {
		if err := tx.Delete([]byte("k")); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Delete in View: err = %v, want ErrReadOnly", err)
		}
		return tx.Set([]byte("k"), []byte("v"))
	})
	if !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Set in View: err = %v, want ErrReadOnly", err)
	}
}

// testTxnDone checks that a transaction kept past its closure fails cleanly.
func testTxnDone(t *testing.T, s store.Store) {
	set(t, s, []byte("k"), []byte("v"))
	var kept store.Tx
	var it store.Iterator
	mustUpdate(t, s, func(tx store.Tx) error {
		kept, it = tx, tx.Iterate(store.IterOptions{})
		return nil
	})
	if _, err := kept.Get([]byte("k")); !errors.Is(err, store.ErrTxnDone) {
		t.Errorf("Get after the transaction: err = %v, want ErrTxnDone", err)
	}
	if err := kept.Set([]byte("k"), nil); !errors.Is(err, store.ErrTxnDone) {
		t.Errorf("Set after the transaction: err = %v, want ErrTxnDone", err)
	}
	if it.Next() {
		t.Errorf("Next on an iterator of an ended transaction = true")
	}
	it.Close()
	late := kept.Iterate(store.IterOptions{})
	if late.Next() || !errors.Is(late.Err(), store.ErrTxnDone) {
		t.Errorf("Iterate after the transaction: Err = %v, want ErrTxnDone", late.Err())
	}
	late.Close()
}

func testContext(t *testing.T, s store.Store) {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Update(cctx, func(tx store.Tx) error { return tx.Set([]byte("k"), nil) }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with canceled context = %v, want context.Canceled", err)
	}
	if err := s.View(cctx, func(tx store.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("View with canceled context = %v, want context.Canceled", err)
	}
	if got := get(t, s, []byte("k")); got != notFound {
		t.Errorf("write committed despite canceled context")
	}
}

func testClosed(t *testing.T, s store.Store) {
	set(t, s, []byte("k"), []byte("v"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	called := false
	fn := func(tx store.Tx) error { called = true; return nil }
	if err := s.View(ctx, fn); !errors.Is(err, store.ErrClosed) {
		t.Errorf("View after Close = %v, want ErrClosed", err)
	}
	if err := s.Update(ctx, fn); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	if called {
		t.Errorf("closure ran on a closed store")
	}
	if bw, ok := s.(store.BatchWriter); ok {
		if _, err := bw.NewBatch(ctx); !errors.Is(err, store.ErrClosed) {
			t.Errorf("NewBatch after Close = %v, want ErrClosed", err)
		}
	}
}

func testBatch(t *testing.T, s store.Store) {
	bw, ok := s.(store.BatchWriter)
	if !ok {
		t.Skip("store does not implement store.BatchWriter")
	}
	set(t, s, []byte("k0000"), []byte("old"))
	set(t, s, []byte("gone"), []byte("old"))
	b, err := bw.NewBatch(ctx)
	if err != nil {
		t.Fatalf("NewBatch: %v", err)
	}
	want := map[string]string{}
	key := []byte("k0000")
	for i := range 2000 {
		key = fmt.Appendf(key[:0], "k%04d", i)
		val := fmt.Appendf(nil, "v%d", i)
		if err := b.Set(key, val); err != nil {
			t.Fatalf("Batch.Set: %v", err)
		}
		val[0] = 'X' // the caller reuses its buffers
		want[string(key)] = fmt.Sprintf("v%d", i)
	}
	if err := b.Delete([]byte("gone")); err != nil {
		t.Fatalf("Batch.Delete: %v", err)
	}
	if err := b.Set(nil, []byte("x")); !errors.Is(err, store.ErrEmptyKey) {
		t.Errorf("Batch.Set(nil) = %v, want ErrEmptyKey", err)
	}
	if err := b.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if diff := cmp.Diff(want, dump(t, s)); diff != "" {
		t.Errorf("after Flush (-want +got):\n%s", diff)
	}

	b, err = bw.NewBatch(ctx)
	if err != nil {
		t.Fatalf("NewBatch: %v", err)
	}
	if err := b.Set([]byte("cancelled"), []byte("x")); err != nil {
		t.Fatalf("Batch.Set: %v", err)
	}
	b.Cancel()
	if got := get(t, s, []byte("cancelled")); got != notFound {
		t.Errorf("cancelled batch write is visible: %q", got)
	}
}

func describe(o store.IterOptions) string {
	return fmt.Sprintf("Prefix:%q Start:%q End:%q Reverse:%v", o.Prefix, o.Start, o.End, o.Reverse)
}
