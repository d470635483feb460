package unify_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
)

// crashRecords is the stream of n records the crashing child ingests,
// from its start every time: records already stored are ingested again
// unchanged.
func crashRecords(n int) []*profile.Record { return stream(11, n) }

// TestCrashRecovery kills a process that ingests records into a Badger
// store with synced writes, at a random moment, several times over, and
// checks after each kill that the store opens, holds every record whose
// Ingest returned, holds the profiles a fresh engine derives from the
// records it holds, and takes new writes that survive a reopen (the store
// keeps Badger's timestamps itself: they must continue above the versions
// the crashed process left). UNIFY_CRASH_CYCLES sets the number of kills
// (3 by default, 1 with -short).
func TestCrashRecovery(t *testing.T) {
	if dir := os.Getenv("UNIFY_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	cycles := crashCycles(t)
	ctx := context.Background()
	dir := t.TempDir()
	n := max(3000, 200*cycles) // more than the kills can get through
	recs := crashRecords(n)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	acked := 0                   // records whose Ingest returned in some child
	var probes []*profile.Record // written after each kill
	for cycle := range cycles {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$")
		cmd.Env = append(os.Environ(), "UNIFY_CRASH_CHILD="+dir, fmt.Sprint("UNIFY_CRASH_RECORDS=", n))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill the child once it has acknowledged some new records, at a
		// random moment after.
		lines := make(chan int)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if n, err := strconv.Atoi(sc.Text()); err == nil {
					lines <- n
				}
			}
		}()
		killAt := acked + 1 + rng.IntN(200)
		last := -1
		for n := range lines {
			last = n
			if n >= killAt {
				break
			}
		}
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		cmd.Process.Kill()
		for n := range lines {
			last = n
		}
		cmd.Wait()
		if last < 0 {
			t.Fatalf("cycle %d: the child acknowledged nothing", cycle)
		}
		acked = max(acked, last+1)

		e, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"})
		if err != nil {
			t.Fatalf("cycle %d: open after the kill: %v", cycle, err)
		}
		// The child ingests in order, so the store holds a prefix of the
		// stream: every acknowledged record, perhaps one more.
		held := 0
		for held < len(recs) {
			if _, err := e.Record(ctx, recs[held].Source, recs[held].ID); err != nil {
				break
			}
			held++
		}
		if held < acked {
			e.Close()
			t.Fatalf("cycle %d: %d records acknowledged, the store holds the first %d", cycle, acked, held)
		}
		for _, r := range recs[held:min(held+50, len(recs))] {
			if _, err := e.Record(ctx, r.Source, r.ID); err == nil {
				e.Close()
				t.Fatalf("cycle %d: record %s stored after a gap at %d", cycle, r.Key(), held)
			}
		}
		fresh := open(t, nil)
		for _, r := range recs[:held] {
			ingest(t, fresh, r)
		}
		for _, r := range probes {
			ingest(t, fresh, r)
		}
		if diff := cmp.Diff(allProfiles(t, fresh), allProfiles(t, e), profileCmp...); diff != "" {
			e.Close()
			t.Fatalf("cycle %d: profiles after the kill differ from a fresh ingest of the %d records held (-fresh +got):\n%s", cycle, held, diff)
		}
		// A write after the crash survives a reopen.
		probe := customer("crash", fmt.Sprint("probe-", cycle), 0, "Probe", "X", "email", fmt.Sprintf("probe%d@posti.fi", cycle))
		ingest(t, e, probe)
		probes = append(probes, probe)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		e, err = unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"})
		if err != nil {
			t.Fatalf("cycle %d: reopen: %v", cycle, err)
		}
		for i := range cycle + 1 {
			if _, err := e.Record(ctx, "crash", fmt.Sprint("probe-", i)); err != nil {
				e.Close()
				t.Fatalf("cycle %d: probe %d after reopen: %v", cycle, i, err)
			}
		}
		e.Close()
		t.Logf("cycle %d: %d acknowledged, %d held", cycle, acked, held)
		if held == len(recs) {
			break
		}
	}
}

// crashChild ingests crashRecords into the store in dir with synced
// writes, writing the index of each record whose Ingest returned, until
// it is killed (or runs out of records).
func crashChild(dir string) {
	ctx := context.Background()
	n, err := strconv.Atoi(os.Getenv("UNIFY_CRASH_RECORDS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "UNIFY_CRASH_RECORDS:", err)
		os.Exit(2)
	}
	e, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI", SyncWrites: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i, r := range crashRecords(n) {
		if _, err := e.Ingest(ctx, r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stdout, i) // unbuffered: the parent sees it at once
	}
	e.Close()
	os.Exit(0)
}

// TestCrashDuringImport kills a process in the middle of a bulk import
// into a new Badger store (a staged load: runs on disk, then one sorted
// write), at a random moment, and checks that the store opens and that
// importing the same records again gives the profiles of an uninterrupted
// import. UNIFY_CRASH_CYCLES sets the number of kills (3 by default, 1
// with -short), each into a new store.
func TestCrashDuringImport(t *testing.T) {
	if dir := os.Getenv("UNIFY_CRASH_IMPORT_CHILD"); dir != "" {
		crashImportChild(dir)
		return
	}
	cycles := crashCycles(t)
	ctx := context.Background()
	recs := crashRecords(crashImportRecords)
	want := open(t, nil)
	if _, err := want.Import(ctx, records(recs), unify.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	wantProfiles := allProfiles(t, want)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	// Cycle -1 runs the child to the end, to time it; the others kill it
	// at a random moment of that time.
	var took time.Duration
	complete := 0 // keys in the store after an import that finished
	for cycle := -1; cycle < cycles; cycle++ {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringImport$")
		cmd.Env = append(os.Environ(), "UNIFY_CRASH_IMPORT_CHILD="+dir)
		var out strings.Builder
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		killAt := time.Hour
		if cycle >= 0 {
			// Half the kills in the last fifth: the sorted write to the
			// store is the end of the import, and short.
			killAt = time.Duration(rng.Int64N(int64(took)))
			if cycle%2 == 1 {
				killAt = took*4/5 + killAt/5
			}
		}
		select {
		case <-time.After(killAt):
			cmd.Process.Kill()
			<-exited
		case err := <-exited:
			if err != nil {
				t.Fatalf("cycle %d: the child failed: %v", cycle, err)
			}
			if cycle < 0 {
				took = time.Since(start)
			}
		}
		e, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"})
		if err != nil {
			t.Fatalf("cycle %d: open after the kill: %v", cycle, err)
		}
		// All or nothing: a staged load shows nothing of itself until it
		// is complete (its keys, and perhaps its marker still).
		keys := countStoreKeys(t, e)
		if cycle < 0 {
			complete = keys
		} else if keys != 0 && keys != complete && keys != complete+1 {
			e.Close()
			t.Fatalf("cycle %d: the interrupted import left %d keys; a complete one has %d", cycle, keys, complete)
		}
		rep, err := e.Import(ctx, records(recs), unify.ImportOptions{})
		if err != nil {
			e.Close()
			t.Fatalf("cycle %d: import again: %v", cycle, err)
		}
		if diff := cmp.Diff(wantProfiles, allProfiles(t, e), profileCmp...); diff != "" {
			e.Close()
			t.Fatalf("cycle %d: profiles after an interrupted import and a second one differ from one import's (-want +got):\n%s", cycle, diff)
		}
		// Writes after it survive a reopen.
		probe := customer("crash", "probe", 0, "Probe", "X", "email", "probe@posti.fi")
		ingest(t, e, probe)
		e.Close()
		if e, err = unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"}); err != nil {
			t.Fatalf("cycle %d: reopen: %v", cycle, err)
		}
		if _, err := e.Record(ctx, "crash", "probe"); err != nil {
			t.Errorf("cycle %d: probe after reopen: %v", cycle, err)
		}
		e.Close()
		t.Logf("cycle %d: child %q (of %s), second import: staged %v, recovered %v, warnings %v", cycle, strings.TrimSpace(out.String()), took.Round(time.Millisecond), rep.Staged, rep.Recovered, rep.Warnings)
	}
}

// crashImportRecords is the size of the import TestCrashDuringImport
// interrupts: about a second's work.
const crashImportRecords = 20000

func crashImportChild(dir string) {
	ctx := context.Background()
	e, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if _, err := e.Import(ctx, records(crashRecords(crashImportRecords)), unify.ImportOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	e.Close()
	fmt.Println("finished")
	os.Exit(0)
}

func countStoreKeys(t *testing.T, e *unify.Engine) int {
	t.Helper()
	n := 0
	err := e.Store().View(context.Background(), func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{KeysOnly: true})
		defer it.Close()
		for it.Next() {
			n++
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// crashCycles is the number of kills a crash test makes: 3, 1 with
// -short, or UNIFY_CRASH_CYCLES.
func crashCycles(t *testing.T) int {
	t.Helper()
	if s := os.Getenv("UNIFY_CRASH_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("UNIFY_CRASH_CYCLES: %v", err)
		}
		return n
	}
	if testing.Short() {
		return 1
	}
	return 3
}
