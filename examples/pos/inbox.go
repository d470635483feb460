package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/profile"
)

// processor takes files from the inbox and imports them.
type processor struct {
	eng   *unify.Engine
	inbox string
	loc   *time.Location
	log   *slog.Logger
	out   io.Writer // one summary line per file

	seen map[string]fileState // at the previous poll, for settling
}

type fileState struct {
	size int64
	mod  time.Time
}

func newProcessor(eng *unify.Engine, inbox string, loc *time.Location, log *slog.Logger, out io.Writer) (*processor, error) {
	for _, d := range []string{inbox, filepath.Join(inbox, "done"), filepath.Join(inbox, "rejects")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	return &processor{eng: eng, inbox: inbox, loc: loc, log: log, out: out, seen: map[string]fileState{}}, nil
}

// fileKind returns the kind of a file the inbox takes, "" for others.
func fileKind(name string) string {
	if !strings.HasSuffix(name, ".csv") {
		return ""
	}
	for _, k := range []string{kindCustomers, kindReceipts} {
		if strings.HasPrefix(name, k+"-") {
			return k
		}
	}
	return ""
}

// ready lists the inbox files to process, in name order. With settle, a
// file is ready only when its size and modification time are the same as
// at the previous call.
func (p *processor) ready(settle bool) ([]string, error) {
	entries, err := os.ReadDir(p.inbox) // sorted by name
	if err != nil {
		return nil, err
	}
	var out []string
	next := map[string]fileState{}
	for _, e := range entries {
		if !e.Type().IsRegular() || fileKind(e.Name()) == "" {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // gone since the listing
		}
		if err != nil {
			return nil, err
		}
		st := fileState{info.Size(), info.ModTime()}
		next[e.Name()] = st
		if prev, ok := p.seen[e.Name()]; settle && (!ok || prev.size != st.size || !prev.mod.Equal(st.mod)) {
			continue
		}
		out = append(out, e.Name())
	}
	p.seen = next
	return out, nil
}

// passReport sums up one pass.
type passReport struct {
	Files  []*fileResult
	Import *unify.ImportReport // nil when no row was imported
}

// fileResult is what became of one file.
type fileResult struct {
	Name      string
	Rows      int // data rows read
	Rejected  int
	Anonymous int // receipts with neither card nor phone
	Warnings  int // rows imported with an identifier that did not normalize
	Refused   bool
	rejects   []rejectLine
}

// rejectLine is one line of a rejects file.
type rejectLine struct {
	Line   int               `json:"line"`
	Field  string            `json:"field,omitempty"`
	Error  string            `json:"error"`
	Record string            `json:"record,omitempty"`
	Row    map[string]string `json:"row,omitempty"`
}

// pass processes the ready files (see ready) in one import, then moves
// them out of the inbox. If the import fails the files stay, to be
// processed again: records are idempotent.
func (p *processor) pass(ctx context.Context, settle bool) (*passReport, error) {
	names, err := p.ready(settle)
	if err != nil || len(names) == 0 {
		return &passReport{}, err
	}
	rep := &passReport{}
	type item struct {
		rec  *profile.Record
		file *fileResult
		row  row
	}
	var items []item
	for _, name := range names {
		fr := &fileResult{Name: name}
		rep.Files = append(rep.Files, fr)
		data, err := os.ReadFile(filepath.Join(p.inbox, name))
		if err != nil {
			return rep, err
		}
		rows, err := readCSV(data, fileKind(name))
		if err != nil {
			fr.Refused = true
			fr.rejects = []rejectLine{{Line: 1, Error: err.Error()}}
			continue
		}
		for _, r := range rows {
			fr.Rows++
			if r.err != nil {
				fr.reject(r, "", r.err)
				continue
			}
			rec, warn, err := p.record(fileKind(name), r)
			switch {
			case errors.Is(err, errAnonymous):
				fr.Anonymous++
			case err != nil:
				fr.reject(r, "", err)
			default:
				if warn != nil {
					fr.Warnings++
					p.log.Warn("identifier kept unlinked", "file", name, "line", r.line, "err", warn)
				}
				items = append(items, item{rec, fr, r})
			}
		}
	}
	if len(items) > 0 {
		seq := func(yield func(*profile.Record, error) bool) {
			for _, it := range items {
				if !yield(it.rec, nil) {
					return
				}
			}
		}
		rep.Import, err = p.eng.Import(ctx, iter.Seq2[*profile.Record, error](seq), unify.ImportOptions{
			OnReject: func(rj unify.Reject) {
				it := items[rj.Position-1]
				it.file.reject(it.row, rj.Record, rj.Err)
			},
		})
		if err != nil {
			return rep, fmt.Errorf("import: %w", err)
		}
	}
	for _, fr := range rep.Files {
		if err := p.finish(fr); err != nil {
			return rep, err
		}
	}
	if im := rep.Import; im != nil {
		fmt.Fprintf(p.out, "imported %d records: %d added, %d replaced, %d unchanged, %d rejected; %d profiles\n",
			im.Read, im.Added, im.Replaced, im.Unchanged, im.Rejected, im.Profiles)
	}
	return rep, nil
}

// reject records a rejected row; field names its column when known.
func (fr *fileResult) reject(r row, record string, err error) {
	fr.Rejected++
	l := rejectLine{Line: r.line, Error: err.Error(), Record: record, Row: r.values}
	var ce *columnError
	var fe *profile.FieldError
	switch {
	case errors.As(err, &ce):
		l.Field = ce.column
	case errors.As(err, &fe):
		l.Field = fe.Field // a path in the record: the engine refused it
	}
	fr.rejects = append(fr.rejects, l)
}

// finish writes the rejects of a file and moves it out of the inbox: to
// done/, or to rejects/ when it was refused as a whole.
func (p *processor) finish(fr *fileResult) error {
	rejects := filepath.Join(p.inbox, "rejects", fr.Name+".jsonl")
	if len(fr.rejects) == 0 {
		if err := os.Remove(rejects); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	} else {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		for _, l := range fr.rejects {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		if err := writeFile(rejects, b.Bytes()); err != nil {
			return err
		}
	}
	to := "done"
	if fr.Refused {
		to = "rejects"
	}
	if err := os.Rename(filepath.Join(p.inbox, fr.Name), filepath.Join(p.inbox, to, fr.Name)); err != nil {
		return err
	}
	switch {
	case fr.Refused:
		fmt.Fprintf(p.out, "%s: refused: %s (moved to rejects/)\n", fr.Name, fr.rejects[0].Error)
	default:
		fmt.Fprintf(p.out, "%s: %d rows: %d imported, %d rejected, %d anonymous, %d warnings\n",
			fr.Name, fr.Rows, fr.Rows-fr.Rejected-fr.Anonymous, fr.Rejected, fr.Anonymous, fr.Warnings)
	}
	return nil
}

// writeFile replaces name atomically.
func writeFile(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
