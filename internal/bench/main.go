// Command bench runs Unify's large-data benchmarks and prints one line per
// figure. It generates a realistic data set with internal/gen, writes it as
// JSON lines, and measures bulk import (against the floor of decoding and
// writing the same records without resolution), resolution in memory,
// real-time ingest latency, lookup latency, full scans, memory and scaling.
//
// Usage:
//
//	go run ./internal/bench [-n 1000000] [-scenarios all] [-dir tmp]
//
// Scenarios: floor, import, memory, ingest, lookup, scan, scaling, rss.
// Results are for the machine it runs on; BENCHMARKS.md records the latest.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"

	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/internal/gen"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
	"github.com/unifycdp/unify/store/memstore"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type config struct {
	n           int
	dir         string
	scenarios   map[string]bool
	cpuprof     string
	memprof     string
	direct      bool
	compression badgerstore.Compression
	samples     int
	store       string
	out         io.Writer
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1_000_000, "records in the data set")
	dir := fs.String("dir", "", "working directory for data files and stores (default: a temporary directory, removed at exit)")
	scen := fs.String("scenarios", "floor,import,memory,ingest,lookup,scan,onebyone", "comma-separated scenarios: floor, import, memory, ingest, lookup, scan, onebyone, scaling, or all")
	cpuprof := fs.String("cpuprofile", "", "write a CPU profile of the import scenarios to this file")
	memprof := fs.String("memprofile", "", "write a heap profile taken when the live heap peaks to this file")
	compression := fs.String("compression", "snappy", "compression of the Badger store's tables: snappy, none or zstd")
	direct := fs.Bool("direct", false, "import into Badger directly (unify.StageNever) instead of staged in sorted runs on disk and written in one pass")
	samples := fs.Int("samples", 10000, "single-record operations timed for latency figures")
	existing := fs.String("store", "", "use this existing Badger store (written by an earlier import of the same data set; it is modified) instead of importing into a new one")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bench [flags]\n\nRuns Unify's large-data benchmarks and prints one line per figure.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := &config{n: *n, dir: *dir, scenarios: map[string]bool{}, cpuprof: *cpuprof, samples: *samples, store: *existing, out: stdout}
	for _, s := range strings.Split(*scen, ",") {
		cfg.scenarios[strings.TrimSpace(s)] = true
	}
	if cfg.scenarios["all"] {
		for _, s := range []string{"floor", "import", "memory", "ingest", "lookup", "scan", "onebyone", "scaling"} {
			cfg.scenarios[s] = true
		}
	}
	if cfg.dir != "" {
		if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
			return err
		}
	} else {
		tmp, err := os.MkdirTemp("", "unify-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cfg.dir = tmp
	}
	fmt.Fprintf(stdout, "# unify bench: %d records, GOMAXPROCS %d, %s/%s, %s\n", cfg.n, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if d := freshPageTouch(64 << 20); d > 0 {
		fmt.Fprintf(stdout, "# machine: first write to fresh memory %s a page (64 MiB)\n", d)
	}
	data, err := dataset(cfg, cfg.n)
	if err != nil {
		return err
	}
	cfg.memprof = *memprof
	cfg.direct = *direct
	switch *compression {
	case "snappy":
	case "none":
		cfg.compression = badgerstore.NoCompression
	case "zstd":
		cfg.compression = badgerstore.ZSTD
	default:
		return fmt.Errorf("bench: unknown -compression %q", *compression)
	}
	if cfg.cpuprof != "" {
		f, err := os.Create(cfg.cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var floor time.Duration
	if cfg.scenarios["floor"] {
		if floor, err = benchFloor(ctx, cfg, data); err != nil {
			return err
		}
	}
	var badgerEng *unify.Engine
	if cfg.scenarios["import"] || cfg.scenarios["ingest"] || cfg.scenarios["lookup"] || cfg.scenarios["scan"] {
		if badgerEng, err = benchImportBadger(ctx, cfg, data, floor); err != nil {
			return err
		}
		defer badgerEng.Close()
	}
	if cfg.scenarios["lookup"] {
		if err := benchLookup(ctx, cfg, badgerEng, "badger"); err != nil {
			return err
		}
	}
	if cfg.scenarios["scan"] {
		if err := benchScan(ctx, cfg, badgerEng, "badger"); err != nil {
			return err
		}
	}
	if cfg.scenarios["ingest"] {
		if err := benchIngest(ctx, cfg, badgerEng, "badger, sync off", 99); err != nil {
			return err
		}
		// The same with one P: no idle core for the Go scheduler to wake
		// when the commit is handed to Badger's writer goroutine and back.
		prev := runtime.GOMAXPROCS(1)
		err := benchIngest(ctx, cfg, badgerEng, "badger, sync off, GOMAXPROCS 1", 98)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			return err
		}
		badgerEng.Close()
		dir := filepath.Join(cfg.dir, "badger")
		if cfg.store != "" {
			dir = cfg.store
		}
		synced, err := unify.Open(ctx, unify.Options{Dir: dir, SyncWrites: true, PhoneRegion: "FI", Compression: cfg.compression})
		if err != nil {
			return err
		}
		err = benchIngest(ctx, cfg, synced, "badger, sync on", 99)
		synced.Close()
		if err != nil {
			return err
		}
	}
	// The memory store last: its heap (every record, in Go memory) would
	// slow the garbage collector during the Badger figures.
	if cfg.scenarios["memory"] || cfg.scenarios["scan"] {
		memEng, err := benchImportMemory(ctx, cfg, data)
		if err != nil {
			return err
		}
		if cfg.scenarios["scan"] {
			if err := benchScan(ctx, cfg, memEng, "memory"); err != nil {
				return err
			}
		}
		memEng.Close()
		runtime.GC()
	}
	if cfg.scenarios["onebyone"] {
		if err := benchOneByOne(ctx, cfg, data); err != nil {
			return err
		}
	}
	if cfg.scenarios["scaling"] {
		if err := benchScaling(ctx, cfg); err != nil {
			return err
		}
	}
	return nil
}

// dataset writes (or reuses) a JSON lines file of n generated records.
func dataset(cfg *config, n int) (string, error) {
	path := filepath.Join(cfg.dir, fmt.Sprintf("records-%d.jsonl", n))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	start := time.Now()
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	people := max(1, n/9+1) // about ten records a person; the count is cut at n
	g := gen.New(gen.Options{Seed: 1, People: people})
	count := 0
	limited := func(yield func(*profile.Record, int) bool) {
		for r, p := range g.All() {
			if count == n || !yield(r, p) {
				return
			}
			count++
		}
	}
	if _, err := gen.WriteJSONLines(w, limited); err != nil {
		return "", err
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	st, _ := os.Stat(path + ".tmp")
	fmt.Fprintf(cfg.out, "dataset: %d records, %d MB of JSON lines, generated in %s\n", count, st.Size()>>20, time.Since(start).Round(time.Millisecond))
	return path, os.Rename(path+".tmp", path)
}

func rate(n int64, d time.Duration) string {
	return fmt.Sprintf("%.0f/s", float64(n)/d.Seconds())
}

// benchFloor decodes the file and writes the records to Badger with a
// WriteBatch: the cost of storing evidence without resolving anything.
func benchFloor(ctx context.Context, cfg *config, path string) (time.Duration, error) {
	dir := filepath.Join(cfg.dir, "floor")
	os.RemoveAll(dir)
	defer os.RemoveAll(dir)
	// Badger itself in its normal mode, with the options the store gives
	// it, and its WriteBatch: the floor of the issue.
	db, err := badger.Open(badgerstore.Options{Dir: dir}.Badger())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b := db.NewWriteBatch()
	defer b.Cancel()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var n int64
	var buf []byte
	for sc.Scan() {
		r, err := profile.DecodeJSON(sc.Bytes())
		if err != nil {
			return 0, err
		}
		if buf, err = r.AppendBinary(buf[:0]); err != nil {
			return 0, err
		}
		key := store.AppendString(store.AppendString(store.AppendString(nil, "r"), r.Source), r.ID)
		if err := b.Set(key, bytes.Clone(buf)); err != nil { // the batch keeps it
			return 0, err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if err := b.Flush(); err != nil {
		return 0, err
	}
	d := time.Since(start)
	fmt.Fprintf(cfg.out, "floor (decode + Badger WriteBatch, no resolution): %d records in %s = %s\n", n, d.Round(time.Millisecond), rate(n, d))
	return d, nil
}

// importFile imports a JSON lines file and says how long each phase of
// the import took.
func importFile(ctx context.Context, eng *unify.Engine, path string, direct bool) (*unify.ImportReport, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	// Time each phase of the import: where the time goes is what the
	// figures are for.
	// The CPU time of each phase (all goroutines, the whole process) says
	// how busy the cores were.
	var phases []string
	last, lastAt, lastCPU := "", time.Duration(0), cpuTime()
	phase := func(elapsed time.Duration) string {
		cpu := cpuTime()
		s := fmt.Sprintf("%s %s (cpu %s)", last, (elapsed - lastAt).Round(time.Millisecond), (cpu - lastCPU).Round(time.Millisecond))
		lastCPU = cpu
		return s
	}
	progress := func(p unify.ImportProgress) {
		if p.Phase != last {
			if last != "" {
				phases = append(phases, phase(p.Elapsed))
			}
			last, lastAt = p.Phase, p.Elapsed
		}
	}
	opts := unify.ImportOptions{Progress: progress}
	if direct {
		opts.Staging = unify.StageNever
	}
	rep, err := eng.ImportJSONLines(ctx, f, opts)
	if err != nil {
		return rep, "", err
	}
	if last != "" {
		phases = append(phases, phase(rep.Duration))
	}
	return rep, "  phases: " + strings.Join(phases, ", ") + "\n", nil
}

func benchImportBadger(ctx context.Context, cfg *config, path string, floor time.Duration) (*unify.Engine, error) {
	if cfg.store != "" {
		return unify.Open(ctx, unify.Options{Dir: cfg.store, PhoneRegion: "FI", Compression: cfg.compression})
	}
	dir := filepath.Join(cfg.dir, "badger")
	os.RemoveAll(dir)
	eng, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI", Compression: cfg.compression})
	if err != nil {
		return nil, err
	}
	stopHeap := watchHeapPeak(cfg.memprof)
	start := time.Now()
	rep, phases, err := importFile(ctx, eng, path, cfg.direct)
	peaks := stopHeap()
	if err != nil {
		return nil, err
	}
	d := time.Since(start)
	how := ""
	if cfg.direct {
		how = " (direct)"
	}
	line := fmt.Sprintf("import into Badger%s: %d records, %d profiles, %d rejected in %s = %s", how, rep.Read, rep.Profiles, rep.Rejected, d.Round(time.Millisecond), rate(rep.Read, d))
	if floor > 0 {
		line += fmt.Sprintf(" (%.2f× the floor)", d.Seconds()/floor.Seconds())
	}
	fmt.Fprint(cfg.out, line+"\n"+phases)
	return eng, reportMemory(ctx, cfg, eng, peaks)
}

func benchImportMemory(ctx context.Context, cfg *config, path string) (*unify.Engine, error) {
	eng, err := unify.Open(ctx, unify.Options{Store: memstore.New(), PhoneRegion: "FI"})
	if err != nil {
		return nil, err
	}
	runtime.GC()
	start := time.Now()
	rep, phases, err := importFile(ctx, eng, path, false)
	if err != nil {
		return nil, err
	}
	d := time.Since(start)
	fmt.Fprintf(cfg.out, "import into memory: %d records, %d profiles in %s = %s\n%s", rep.Read, rep.Profiles, d.Round(time.Millisecond), rate(rep.Read, d), phases)
	return eng, nil
}

// sampleIDs collects identifiers of stored profiles for lookups.
func sampleIDs(ctx context.Context, eng *unify.Engine, n int) ([]identity.ID, error) {
	var out []identity.ID
	i := 0
	for p, err := range eng.Profiles(ctx) {
		if err != nil {
			return nil, err
		}
		i++
		if i%7 != 0 || len(p.Identifiers) == 0 {
			continue
		}
		out = append(out, p.Identifiers[i%len(p.Identifiers)].ID)
		if len(out) == n {
			break
		}
	}
	return out, nil
}

func percentiles(d []time.Duration) (p50, p99, max time.Duration) {
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*99/100], d[len(d)-1]
}

func benchLookup(ctx context.Context, cfg *config, eng *unify.Engine, name string) error {
	ids, err := sampleIDs(ctx, eng, cfg.samples)
	if err != nil {
		return err
	}
	lat := make([]time.Duration, 0, len(ids))
	byType := map[identity.Type][]time.Duration{}
	faults := minorFaults()
	for _, id := range ids {
		start := time.Now()
		if _, err := eng.Profile(ctx, id); err != nil {
			return fmt.Errorf("lookup %s: %w", id.Type, err)
		}
		d := time.Since(start)
		lat = append(lat, d)
		byType[id.Type] = append(byType[id.Type], d)
	}
	faults = minorFaults() - faults
	p50, p99, mx := percentiles(lat)
	fmt.Fprintf(cfg.out, "lookup by identifier (%s, %d lookups): p50 %s, p99 %s, max %s; %.2f page faults a lookup\n", name, len(lat), p50, p99, mx, float64(faults)/float64(max(len(lat), 1)))
	// By type: normalizing the identifier is part of a lookup, and costs
	// differ by type (a phone number is parsed).
	line := "  by type:"
	for _, typ := range slices.Sorted(maps.Keys(byType)) {
		p50, p99, _ := percentiles(byType[typ])
		line += fmt.Sprintf(" %s %d p50 %s p99 %s;", typ, len(byType[typ]), p50.Round(100*time.Nanosecond), p99.Round(100*time.Nanosecond))
	}
	fmt.Fprintln(cfg.out, strings.TrimSuffix(line, ";"))
	p50, p99 = pageTouchLatency(len(lat))
	fmt.Fprintf(cfg.out, "  machine: 32 random page reads of a resident 512 MiB buffer, %d times: p50 %s, p99 %s\n", len(lat), p50, p99)
	return nil
}

// pageTouchLatency times reading one byte from each of 32 random 4 KiB
// pages of a resident buffer, n times. A lookup touches about as many
// random pages (bloom filters, table indexes, blocks, the block cache's
// map); on a VM whose page accesses sometimes stall for 100-300 µs, the
// p99 of this loop is the floor of the lookups' p99, so the lookup figure
// is read against it.
func pageTouchLatency(n int) (p50, p99 time.Duration) {
	const size, pages = 512 << 20, 32
	buf := make([]byte, size)
	for i := 0; i < size; i += 4096 {
		buf[i] = 1 // resident
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, n)
	sum := 0
	for i := range lat {
		start := time.Now()
		for range pages {
			sum += int(buf[rng.IntN(size/4096)*4096])
		}
		lat[i] = time.Since(start)
	}
	if sum < 0 {
		panic("unreachable")
	}
	p50, p99, _ = percentiles(lat)
	return p50, p99
}

func benchScan(ctx context.Context, cfg *config, eng *unify.Engine, name string) error {
	// Collect what the scenario before left (the memory import's garbage
	// was collected during the memory scan and cut its rate to a third).
	runtime.GC()
	start := time.Now()
	var n int64
	for _, err := range eng.Profiles(ctx) {
		if err != nil {
			return err
		}
		n++
	}
	d := time.Since(start)
	fmt.Fprintf(cfg.out, "scan all profiles (%s): %d in %s = %s\n", name, n, d.Round(time.Millisecond), rate(n, d))
	return nil
}

// benchIngest times single-record ingests of new records of existing and
// new people into a store that holds the data set.
func benchIngest(ctx context.Context, cfg *config, eng *unify.Engine, name string, seed uint64) error {
	g := gen.New(gen.Options{Seed: seed, People: cfg.samples})
	lat := make([]time.Duration, 0, cfg.samples)
	i := 0
	for r := range g.All() {
		if i == cfg.samples {
			break
		}
		r.Source = "live-" + strings.ReplaceAll(name, " ", "")
		start := time.Now()
		if _, err := eng.Ingest(ctx, r); err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
		i++
	}
	p50, p99, mx := percentiles(lat)
	fmt.Fprintf(cfg.out, "ingest one record (%s, %d records): p50 %s, p99 %s, max %s\n", name, len(lat), p50, p99, mx)
	return nil
}

// benchOneByOne ingests the first tenth of the data set record by record
// into Badger, then imports the same records in bulk into another store:
// the ratio is what the bulk path buys.
func benchOneByOne(ctx context.Context, cfg *config, path string) error {
	n := max(1, cfg.n/10)
	var recs []*profile.Record
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for len(recs) < n && sc.Scan() {
		r, err := profile.DecodeJSON(sc.Bytes())
		if err != nil {
			f.Close()
			return err
		}
		recs = append(recs, r)
	}
	f.Close()
	timeIt := func(name string, load func(*unify.Engine) error) (time.Duration, error) {
		dir := filepath.Join(cfg.dir, name)
		os.RemoveAll(dir)
		defer os.RemoveAll(dir)
		eng, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI", Compression: cfg.compression})
		if err != nil {
			return 0, err
		}
		defer eng.Close()
		start := time.Now()
		err = load(eng)
		return time.Since(start), err
	}
	one, err := timeIt("onebyone", func(eng *unify.Engine) error {
		for _, r := range recs {
			if _, err := eng.Ingest(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	bulk, err := timeIt("bulk", func(eng *unify.Engine) error {
		_, err := eng.Import(ctx, func(yield func(*profile.Record, error) bool) {
			for _, r := range recs {
				if !yield(r, nil) {
					return
				}
			}
		}, unify.ImportOptions{})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.out, "record by record vs bulk (Badger, %d records): Ingest %s = %s, Import %s = %s: bulk %.1f× faster\n",
		len(recs), one.Round(time.Millisecond), rate(int64(len(recs)), one), bulk.Round(time.Millisecond), rate(int64(len(recs)), bulk), one.Seconds()/bulk.Seconds())
	return nil
}

func benchScaling(ctx context.Context, cfg *config) error {
	for _, n := range []int{cfg.n / 10, cfg.n, cfg.n * 10} {
		path, err := dataset(cfg, n)
		if err != nil {
			return err
		}
		dir := filepath.Join(cfg.dir, fmt.Sprintf("scale-%d", n))
		eng, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI", Compression: cfg.compression})
		if err != nil {
			return err
		}
		start := time.Now()
		rep, phases, err := importFile(ctx, eng, path, cfg.direct)
		if err != nil {
			eng.Close()
			return err
		}
		d := time.Since(start)
		fmt.Fprintf(cfg.out, "scaling: import %d records in %s = %s (%.2f µs/record)\n%s", rep.Read, d.Round(time.Millisecond), rate(rep.Read, d), float64(d.Microseconds())/float64(rep.Read), phases)
		if err := benchLookup(ctx, cfg, eng, fmt.Sprintf("badger, %d records", n)); err != nil {
			eng.Close()
			return err
		}
		eng.Close()
		os.RemoveAll(dir)
	}
	return nil
}

// memoryPeaks are the largest values watchHeapPeak saw.
type memoryPeaks struct {
	liveHeap uint64 // the live heap after a collection
	anon     uint64 // anonymous resident memory: the Go heap, stacks, off-heap buffers
	file     uint64 // resident pages of mapped files: Badger's tables and value log
}

// watchHeapPeak samples the live heap and the resident memory every
// 100 ms until stop is called, which returns the largest seen. With path
// set it also writes a heap profile each time the live heap grows a tenth
// past the largest seen, so that the file ends up describing the peak.
func watchHeapPeak(path string) (stop func() memoryPeaks) {
	done := make(chan struct{})
	result := make(chan memoryPeaks)
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak memoryPeaks
		var profiled uint64
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			live := sample[0].Value.Uint64()
			peak.liveHeap = max(peak.liveHeap, live)
			// Anonymous memory (heap, stacks, buffers) and resident
			// pages of mapped files (Badger's tables and value log).
			rss := procStatus("RssAnon", "RssFile")
			anon, file := rss[0], rss[1]
			peak.anon, peak.file = max(peak.anon, anon), max(peak.file, file)
			if path != "" && live > profiled+profiled/10 {
				profiled = live
				if f, err := os.Create(path); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() memoryPeaks { close(done); return <-result }
}

// procStatus returns the sizes /proc/self/status gives for fields (such
// as "VmHWM"), in bytes; 0 for each where /proc does not say.
func procStatus(fields ...string) []uint64 {
	out := make([]uint64, len(fields))
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return out
	}
	for line := range strings.Lines(string(b)) {
		for i, f := range fields {
			if rest, ok := strings.CutPrefix(line, f+":"); ok {
				var kb uint64
				fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
				out[i] = kb << 10
			}
		}
	}
	return out
}

// reportMemory prints figure 6's line: the peaks and bytes per identifier
// linked to a profile.
func reportMemory(ctx context.Context, cfg *config, eng *unify.Engine, peaks memoryPeaks) error {
	var ids int
	for p, err := range eng.Profiles(ctx) {
		if err != nil {
			return err
		}
		ids += len(p.Identifiers)
	}
	rss := procStatus("VmHWM")[0] // the process's peak resident set
	fmt.Fprintf(cfg.out, "memory of the Badger import: peak live heap %d MiB, peak RSS %d MiB (anonymous %d MiB, mapped files %d MiB, each at its own peak); %d identifiers: %d bytes of live heap, %d of RSS, %d of anonymous RSS per identifier\n",
		peaks.liveHeap>>20, rss>>20, peaks.anon>>20, peaks.file>>20, ids, peaks.liveHeap/uint64(max(ids, 1)), rss/uint64(max(ids, 1)), peaks.anon/uint64(max(ids, 1)))
	return nil
}
