package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/profile"
)

var importCommand = &command{
	name:     "import",
	synopsis: "[-format jsonl|csv|xml] [-map mapping.json] [-rejects rejects.jsonl] [-workers N] [-quiet] file...",
	summary:  "import history from JSON lines, CSV or XML files",
	about: `Each file's format comes from -format or from its extension (.jsonl, .ndjson,
.json, .csv, .xml); .gz files are decompressed (history.jsonl.gz), and "-"
reads standard input (with -format). Input is UTF-8. JSON lines hold
records in the profile JSON format. CSV
files need a mapping (-map) from header names to record fields:

  {"source": "=pos", "kind": "=order", "id": "={store}-{receipt_no}", "time": "ts",
   "time_format": "2006-01-02 15:04", "time_zone": "Europe/Helsinki", "comma": ";",
   "identifiers": {"loyalty_card": "card", "phone": "phone", "email": "email"},
   "customer": {"first_name": "fname", "last_name": "lname"},
   "order": {"total": "sum", "store": "store", "currency": "=EUR"},
   "consents": {"email_marketing": "email_ok"}}

Values name columns; "=..." is a constant where {column} is replaced by the
column's value. Sections: identifiers, customer, attributes, order, line,
event, ticket, consents, properties ('go doc' the command for all fields).
XML files hold <record source=".." id=".." kind=".." time=".."> elements with
<identifier type="..">, <customer>, <order>, <line>, <event>, <ticket>,
<consent> and <property> children under one root element.

Records are idempotent: an interrupted import is resumed by running the same
command again (stored records count as unchanged; the engine first finishes
an interrupted bulk import, whatever the mode). A first load into an empty
store is staged: sorted on disk next to the store and written in one pass at
the end (-direct writes as it goes); interrupted, it leaves nothing behind and
is run again from the start. Rejected records go to
the reject file as JSON lines {"position","record","error","input","file"},
where position is the line the record starts on; the import goes on and
exits 0. The file is rewritten on every run.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		f := &importFlags{}
		fs.StringVar(&f.format, "format", "", "input `format`: jsonl, csv or xml (default: from each file's extension)")
		fs.StringVar(&f.mapping, "map", "", "JSON `file` mapping CSV columns to record fields (required for CSV)")
		fs.StringVar(&f.rejects, "rejects", "rejects.jsonl", "`file` to write rejected input to, as JSON lines; rewritten on every run")
		fs.IntVar(&f.workers, "workers", 0, "`N` goroutines decoding and normalizing in parallel (default: the number of CPUs)")
		fs.IntVar(&f.chunk, "chunk", 0, "`N` records per write transaction (default 500)")
		fs.StringVar(&f.mode, "mode", "auto", "how identities are resolved, `mode` one of\n"+
			"bulk: store all records, then resolve and derive every profile once (fastest for history;\n"+
			"      its cost is that of the whole store, and the feed hears of new, merged and split profiles only)\n"+
			"incremental: resolve each record as it comes (cost grows with the import; every profile change is fed)\n"+
			"auto: bulk into an empty store or to finish an interrupted bulk import, else incremental")
		fs.BoolVar(&f.direct, "direct", false, "write a bulk import into an empty store as it goes, instead of staging it in sorted\n"+
			"runs on disk and writing it in one pass at the end: slower, but an interrupted import\n"+
			"is finished by the next one instead of discarded")
		fs.BoolVar(&f.quiet, "quiet", false, "show no progress (the summary is still printed)")
		return func(ctx context.Context, e *env, args []string) error { return runImport(ctx, e, f, args) }
	},
}

type importFlags struct {
	format, mapping, rejects, mode string
	workers, chunk                 int
	quiet, direct                  bool
}

// inputFile is one file to import.
type inputFile struct {
	path   string
	format string // jsonl, csv or xml
	size   int64
}

func formatOf(path, flagFormat string) (string, error) {
	if flagFormat != "" {
		switch flagFormat {
		case "jsonl", "csv", "xml":
			return flagFormat, nil
		}
		return "", fmt.Errorf("unknown format %q: want jsonl, csv or xml", flagFormat)
	}
	if path == "-" {
		return "", errors.New("standard input (-) needs -format")
	}
	switch strings.ToLower(filepath.Ext(strings.TrimSuffix(path, ".gz"))) {
	case ".jsonl", ".ndjson", ".json":
		return "jsonl", nil
	case ".csv":
		return "csv", nil
	case ".xml":
		return "xml", nil
	}
	return "", fmt.Errorf("%s: cannot tell the format from the extension: use -format", path)
}

func runImport(ctx context.Context, e *env, f *importFlags, args []string) error {
	if len(args) == 0 {
		return usagef("no input files")
	}
	var files []inputFile
	var total int64
	needMap, stdinUsed := false, false
	for _, path := range args {
		format, err := formatOf(path, f.format)
		if err != nil {
			return usagef("%v", err)
		}
		in := inputFile{path: path, format: format}
		if path != "-" {
			st, err := os.Stat(path)
			if err != nil {
				return err
			}
			if st.IsDir() {
				return fmt.Errorf("%s is a directory", path)
			}
			in.size = st.Size()
		} else if stdinUsed {
			return usagef("standard input (-) named twice")
		}
		stdinUsed = stdinUsed || path == "-"
		files = append(files, in)
		total += in.size
		needMap = needMap || format == "csv"
	}
	mode, ok := importModes[f.mode]
	if !ok {
		return usagef("-mode %q: want auto, bulk or incremental", f.mode)
	}
	var m *Mapping
	if needMap {
		if f.mapping == "" {
			return usagef("CSV input needs a mapping (-map mapping.json)")
		}
		var err error
		if m, err = readMapping(f.mapping); err != nil {
			return err
		}
		// Check the mapping against every header before importing anything.
		for _, in := range files {
			if in.format == "csv" && in.path != "-" {
				if err := checkHeader(in.path, m); err != nil {
					return err
				}
			}
		}
	}

	eng, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	if mode == unify.ImportAuto {
		// Decide once for all the files: the engine would decide for each
		// of its imports, and a first load of several files is bulk.
		// An interrupted bulk import left records without profiles; the
		// engine finishes it first whatever the mode (ImportReport.Recovered).
		empty, err := eng.Empty(ctx)
		if err != nil {
			return err
		}
		mode = unify.ImportIncremental
		if empty {
			mode = unify.ImportBulk
		}
	}
	rj, err := createRejects(f.rejects)
	if err != nil {
		return err
	}
	prog := startProgress(e.stderr, total, f.quiet)
	im := &importer{
		eng:     eng,
		opts:    unify.ImportOptions{Workers: f.workers, ChunkSize: f.chunk, Mode: mode, Staging: staging(f.direct)},
		mapping: m,
		prog:    prog,
		rejects: rj,
	}
	start := time.Now()
	sum := &unify.ImportReport{}
	var runErr error
	// Consecutive files of one kind go in one engine import, which resolves
	// identities once at its end.
	for i := 0; i < len(files) && runErr == nil; {
		j := i + 1
		for j < len(files) && (files[j].format == "jsonl") == (files[i].format == "jsonl") {
			j++
		}
		var rep *unify.ImportReport
		rep, runErr = im.importRun(ctx, files[i:j])
		if rep != nil && rep.Recovered {
			fmt.Fprintln(e.stderr, "unify: finishing an interrupted bulk import first")
		}
		addReport(sum, rep)
		i = j
	}
	sum.Duration = time.Since(start)
	prog.end()
	closeErr := rj.close()
	printSummary(e.stdout, sum, len(files), rj, runErr)
	if runErr != nil && (ctx.Err() != nil || sum.Mode == unify.ImportBulk) {
		again := "run the same command again"
		if ctx.Err() != nil {
			fmt.Fprintln(e.stderr, "unify: import interrupted.")
		}
		switch {
		case sum.Staged:
			fmt.Fprintf(e.stderr, "A first load is staged on disk and written to the store only at its end, so the store\n"+
				"holds none of it: %s to import it all.\n", again)
		case sum.Mode == unify.ImportBulk:
			fmt.Fprintf(e.stderr, "The records read so far are stored, but a bulk import resolves identities and derives\n"+
				"profiles only at its end: %s to finish.\n", again)
		default:
			fmt.Fprintf(e.stderr, "The records read so far are stored and their profiles are up to date: %s\n"+
				"to import the rest.\n", again)
		}
		fmt.Fprintln(e.stderr, "Records are idempotent, so rerunning is safe: those already stored count as unchanged.")
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return errors.Join(runErr, closeErr)
}

var importModes = map[string]unify.ImportMode{"auto": unify.ImportAuto, "bulk": unify.ImportBulk, "incremental": unify.ImportIncremental}

func modeName(m unify.ImportMode) string {
	for name, v := range importModes {
		if v == m && name != "auto" {
			return name
		}
	}
	return "auto"
}

// checkHeader compiles the mapping against the header of a CSV file.
func checkHeader(path string, m *Mapping) error {
	fh, err := openInput(path, nil)
	if err != nil {
		return err
	}
	defer fh.Close()
	cr := csv.NewReader(fh)
	if m.Comma != "" {
		cr.Comma, _ = utf8.DecodeRuneInString(m.Comma)
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	if _, err := newCSVConverter(m, header); err != nil {
		return fmt.Errorf("%s: mapping %s: %w", path, "does not fit the header", err)
	}
	return nil
}

func addReport(sum, rep *unify.ImportReport) {
	if rep == nil {
		return
	}
	sum.Read += rep.Read
	sum.Added += rep.Added
	sum.Replaced += rep.Replaced
	sum.Unchanged += rep.Unchanged
	sum.Rejected += rep.Rejected
	sum.Changes += rep.Changes
	sum.Dropped += rep.Dropped
	if sum.Mode == unify.ImportAuto || rep.Mode == unify.ImportBulk {
		sum.Mode = rep.Mode
	}
	sum.Staged = sum.Staged || rep.Staged
	sum.Warnings = append(sum.Warnings, rep.Warnings...)
	if rep.Profiles > 0 || rep.Read > 0 {
		sum.Profiles = rep.Profiles
	}
}

func printSummary(w io.Writer, rep *unify.ImportReport, files int, rj *rejectFile, err error) {
	secs := rep.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(rep.Read) / secs
	}
	plural := "s"
	if files == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "read       %d records from %d file%s in %s (%.0f records/s)\n", rep.Read, files, plural, rep.Duration.Round(time.Millisecond), rate)
	fmt.Fprintf(w, "added      %d\n", rep.Added)
	fmt.Fprintf(w, "replaced   %d\n", rep.Replaced)
	fmt.Fprintf(w, "unchanged  %d\n", rep.Unchanged)
	if rep.Rejected > 0 {
		fmt.Fprintf(w, "rejected   %d (written to %s)\n", rep.Rejected, rj.path)
	} else {
		fmt.Fprintf(w, "rejected   0\n")
	}
	if rep.Dropped > 0 {
		fmt.Fprintf(w, "dropped    %d identifiers that did not normalize (their records are kept, without them in linking)\n", rep.Dropped)
	}
	switch {
	case err == nil:
		fmt.Fprintf(w, "profiles   %d\n", rep.Profiles)
		fmt.Fprintf(w, "feed       %d changes\n", rep.Changes)
	case rep.Mode == unify.ImportBulk:
		fmt.Fprintf(w, "profiles   not brought up to date: the bulk import did not finish\n")
	}
	fmt.Fprintf(w, "mode       %s\n", modeName(rep.Mode))
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "warning: %v\n", warn)
	}
}

// importer runs the engine imports of one import command.
type importer struct {
	eng     *unify.Engine
	opts    unify.ImportOptions
	mapping *Mapping
	prog    *progress
	rejects *rejectFile
	base    int64 // records read by earlier runs

	mu   sync.Mutex
	rows map[int64]rowInfo // CSV and XML input in flight, by import position
}

// rowInfo is where an input record came from, for its reject.
type rowInfo struct {
	file   string
	line   int64
	record string
	input  []byte
}

// importRun imports files of one kind (JSON lines, or CSV and XML) in one
// engine import.
func (im *importer) importRun(ctx context.Context, files []inputFile) (*unify.ImportReport, error) {
	opts := im.opts
	opts.Progress = func(p unify.ImportProgress) {
		im.prog.records.Store(im.base + p.Read)
		im.mu.Lock()
		for pos := range im.rows {
			if pos <= p.Read {
				delete(im.rows, pos)
			}
		}
		im.mu.Unlock()
	}
	defer func() { im.base = im.prog.records.Load() }()
	if files[0].format == "jsonl" {
		s := &jsonlStream{files: files, prog: im.prog}
		defer s.close()
		opts.OnReject = func(rj unify.Reject) {
			file, line := s.locate(rj.Position)
			im.rejects.add(rejectLine{Position: line, Record: rj.Record, Error: rj.Err.Error(), Input: string(rj.Input), File: file})
		}
		return im.eng.ImportJSONLines(ctx, s, opts)
	}
	im.rows = map[int64]rowInfo{}
	opts.OnReject = func(rj unify.Reject) {
		im.mu.Lock()
		info := im.rows[rj.Position]
		delete(im.rows, rj.Position)
		im.mu.Unlock()
		rec := rj.Record
		if rec == "" {
			rec = info.record
		}
		im.rejects.add(rejectLine{Position: info.line, Record: rec, Error: rj.Err.Error(), Input: string(info.input), File: info.file})
	}
	var readErr error
	seq := func(yield func(*profile.Record, error) bool) {
		var pos int64
		for _, in := range files {
			fh, err := openInput(in.path, im.prog)
			if err != nil {
				readErr = err
				return
			}
			stopped := false
			emit := func(line int64, input []byte, rec *profile.Record, err error) bool {
				pos++
				info := rowInfo{file: in.path, line: line, input: input}
				if rec != nil && rec.Source != "" && rec.ID != "" {
					info.record = rec.Key()
				}
				im.mu.Lock()
				im.rows[pos] = info
				im.mu.Unlock()
				if err != nil {
					rec = nil
				}
				if !yield(rec, err) {
					stopped = true
					return false
				}
				return true
			}
			if in.format == "csv" {
				err = csvRows(fh, im.mapping, emit)
			} else {
				err = xmlRecords(fh, emit)
			}
			fh.Close()
			if err != nil {
				readErr = fmt.Errorf("%s: %w", in.path, err)
				return
			}
			if stopped {
				return
			}
		}
	}
	rep, err := im.eng.Import(ctx, seq, opts)
	return rep, errors.Join(err, readErr)
}

// openInput opens an input file, "-" for standard input, decompressing a
// .gz file; the compressed bytes read are counted into prog when not nil.
func openInput(path string, prog *progress) (io.ReadCloser, error) {
	f := io.NopCloser(os.Stdin)
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		f = fh
	}
	var r io.Reader = f
	if prog != nil {
		r = countingReader{f, prog}
	}
	if !strings.HasSuffix(path, ".gz") {
		return readCloser{r, f}, nil
	}
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return readCloser{zr, f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// jsonlStream reads JSON lines files as one stream, with a newline between
// files, and maps the stream's line numbers back to files.
type jsonlStream struct {
	files []inputFile
	prog  *progress
	next  int           // index of the next file to open
	cur   io.ReadCloser // nil between files
	sep   bool          // a newline is due before the next file
	lines int64         // newlines passed so far

	mu     sync.Mutex
	starts []int64 // lines before each opened file
}

func (s *jsonlStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if s.sep {
			s.sep = false
			s.lines++
			p[0] = '\n'
			return 1, nil
		}
		if s.cur == nil {
			if s.next == len(s.files) {
				return 0, io.EOF
			}
			f, err := openInput(s.files[s.next].path, s.prog)
			if err != nil {
				return 0, err
			}
			s.mu.Lock()
			s.starts = append(s.starts, s.lines)
			s.mu.Unlock()
			s.cur = f
			s.next++
		}
		n, err := s.cur.Read(p)
		s.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
		if err == io.EOF {
			s.cur.Close()
			s.cur = nil
			s.sep = true
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// locate maps a line of the stream to a file and a line in it.
func (s *jsonlStream) locate(pos int64) (string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := len(s.starts) - 1; k >= 0; k-- {
		if s.starts[k] < pos {
			return s.files[k].path, pos - s.starts[k]
		}
	}
	return "", pos
}

func (s *jsonlStream) close() {
	if s.cur != nil {
		s.cur.Close()
	}
}

// rejectLine is one line of the reject file.
type rejectLine struct {
	Position int64  `json:"position"`
	Record   string `json:"record"`
	Error    string `json:"error"`
	Input    string `json:"input"`
	File     string `json:"file"`
}

// rejectFile writes rejects as JSON lines.
type rejectFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	enc  *json.Encoder
	err  error
}

func createRejects(path string) (*rejectFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("reject file: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &rejectFile{path: path, f: f, w: w, enc: enc}, nil
}

func (r *rejectFile) add(l rejectLine) {
	if r.err == nil {
		r.err = r.enc.Encode(l)
	}
}

func (r *rejectFile) close() error {
	err := r.err
	if ferr := r.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reject file %s: %w", r.path, err)
	}
	return nil
}

func staging(direct bool) unify.Staging {
	if direct {
		return unify.StageNever
	}
	return unify.StageAuto
}
