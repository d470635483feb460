package unify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"sync"
	"time"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
)

// ImportOptions configure a bulk import. The zero value is ready to use.
type ImportOptions struct {
	// Workers decode and normalize in parallel; 0 means GOMAXPROCS.
	Workers int
	// ChunkSize is how many records go into one write transaction; 0 means
	// 500. A chunk that the store finds too big is split.
	ChunkSize int
	// OnReject is called, in input order, for every record refused; the
	// import goes on. nil keeps the first 100 in the report.
	OnReject func(Reject)
	// Progress, when set, is called after each chunk is written.
	Progress func(ImportProgress)
	// Mode chooses how identity is resolved; the zero value is ImportAuto.
	Mode ImportMode
	// Staging chooses how a bulk load into an empty store is written; the
	// zero value is StageAuto.
	Staging Staging
}

// Staging chooses how a bulk load into an empty store is written.
//
// Staged, the load is built in sorted runs on disk first (in Options.Dir,
// or the system's temporary directory for an engine on a store of the
// caller's; about the size of the data set) and written to the store in
// one sorted pass at the end (store.SortedLoader: Badger writes its tables
// directly, skipping memtables and compactions): about twice as fast as
// direct (BENCHMARKS.md), with less memory: sort buffers of 64 MiB for the
// records and 32 MiB for each writer of derived keys, spilled to disk
// while they refill. The store shows nothing of
// the load until its end, and an interrupted staged load leaves nothing
// behind: a load that fails empties the store (a Badger store cut short by
// a crash is emptied when it is next opened, with a warning in its log),
// and if anything of it could still be there, other writes fail with
// ErrImportPending until the next Import removes it. Its data must then be
// imported again.
//
// Direct, records go into the store as they are read and the graph and
// profiles after them; an interrupted direct load is finished by the next
// Import from the records that landed.
type Staging uint8

const (
	// StageAuto stages a bulk load into the Badger store the engine opened
	// (Options.Dir) and writes directly into any other store.
	StageAuto Staging = iota
	// StageNever always writes directly.
	StageNever
	// StageAlways stages whenever the store is a store.SortedLoader.
	StageAlways
)

// ImportMode chooses between the two ways of resolving an import. Both give
// the same profiles; they differ in cost.
type ImportMode uint8

const (
	// ImportAuto resolves in bulk when the store holds no records when the
	// import starts (a first load of history), incrementally otherwise.
	ImportAuto ImportMode = iota
	// ImportBulk stores all evidence first and then rebuilds the identity
	// graph and every profile once: the fastest way to load much data, but
	// its cost is that of the whole store, however small the import.
	// Memory: about 24 bytes a record and a few hundred a distinct
	// identifier while resolving, and profiles are built a million records
	// at a time; above that, the records are spilled to temporary bucket
	// files (about their stored size in all) in Options.Dir, or in the
	// system's temporary directory for an engine on another store.
	ImportBulk
	// ImportIncremental resolves each record as Ingest does, in large
	// transactions: cost grows with the import, not the store, and the feed
	// gets an entry for every profile change.
	ImportIncremental
)

// Reject is an input record the import refused.
type Reject struct {
	Position int64  // 1-based line (JSON lines) or sequence number of the input
	Record   string // "source/id" when known
	Err      error  // matches ErrInvalidRecord; *profile.FieldError names the field
	Input    []byte // the input line, for a reject file (JSON lines only)
}

// ImportProgress is reported while importing.
type ImportProgress struct {
	// Phase is "reading" while records are read and written, then
	// "resolving" and "graph and profiles" (written at the same time)
	// during the final steps of a bulk import.
	Phase   string
	Read    int64
	Written int64
	Elapsed time.Duration
}

// ImportReport summarizes an import.
type ImportReport struct {
	Read      int64
	Added     int64
	Replaced  int64
	Unchanged int64
	Rejected  int64
	Rejects   []Reject // the first 100 when OnReject is nil
	// Dropped counts identifiers that did not normalize: their records were
	// kept, without them in linking (see Result.Dropped).
	Dropped  int64
	Mode     ImportMode // the mode used
	Profiles int        // profiles after the import
	Changes  int        // feed entries appended
	Warnings []error
	Duration time.Duration
	// Recovered is true when the import first finished an earlier bulk
	// import that had been interrupted (see Import).
	Recovered bool
	// Staged is true when the import was a staged bulk load (see
	// Staging): if it failed, the store holds none of it.
	Staged bool
}

type importItem struct {
	pos   int64
	line  []byte          // JSON input, or
	rec   *profile.Record // a record
	r     *profile.Record // prepared
	ids   []identity.ID
	enc   []byte
	err   error
	input []byte
}

// Import loads many records at once, far faster than Ingest one by one:
// decoding and normalization run in parallel, evidence is written in large
// transactions, and identity is resolved once for everything at the end.
// The profiles are exactly those that Ingest of the same records would give.
// Records are idempotent, so an interrupted import is resumed by running it
// again. Bad records are reported and skipped; the good ones are kept.
//
// Import blocks other writes of this engine while it runs.
func (e *Engine) Import(ctx context.Context, records iter.Seq2[*profile.Record, error], opts ImportOptions) (*ImportReport, error) {
	return e.importItems(ctx, func(yield func(importItem) bool) error {
		var pos int64
		for r, err := range records {
			pos++
			if !yield(importItem{pos: pos, rec: r, err: err}) {
				return nil
			}
		}
		return nil
	}, opts)
}

// ImportJSONLines imports records in the JSON encoding of package profile,
// one per line; blank lines are skipped. Rejects carry the line number and
// the line itself.
func (e *Engine) ImportJSONLines(ctx context.Context, r io.Reader, opts ImportOptions) (*ImportReport, error) {
	return e.importItems(ctx, func(yield func(importItem) bool) error {
		br := bufio.NewReaderSize(r, 1<<20)
		var pos int64
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				pos++
				if t := bytes.TrimSpace(line); len(t) > 0 {
					if !yield(importItem{pos: pos, line: t}) {
						return nil
					}
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("unify: read line %d: %w", pos+1, err)
			}
		}
	}, opts)
}

func (e *Engine) importItems(ctx context.Context, produce func(yield func(importItem) bool) error, opts ImportOptions) (*ImportReport, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = 500
	}
	start := time.Now()
	rep := &ImportReport{}
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if err := e.recoverBulk(ctx, rep); err != nil {
		return rep, err
	}
	empty, err := e.empty(ctx)
	if err != nil {
		return nil, err
	}
	rep.Mode = opts.Mode
	if rep.Mode == ImportAuto {
		rep.Mode = ImportIncremental
		if empty {
			rep.Mode = ImportBulk
		}
	}
	var bl *bulkLoad
	if rep.Mode == ImportBulk && empty {
		staged := false
		if _, sorted := e.s.(store.SortedLoader); sorted && (opts.Staging == StageAlways || opts.Staging == StageAuto && e.owns) {
			// A sorted load needs a store without any key: a store
			// without records may still hold a feed.
			if staged, err = e.noKeys(ctx); err != nil {
				return rep, err
			}
		}
		rep.Staged = staged
		if bl, err = e.startBulk(ctx, staged); err != nil {
			return rep, err
		}
		defer bl.cancel()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type chunk struct {
		items []importItem
		done  chan struct{}
	}
	chunks := make(chan *chunk, opts.Workers*2)
	work := make(chan *chunk, opts.Workers*2)
	var prodErr error
	go func() {
		defer close(chunks)
		defer close(work)
		// Chunks are made at their full size: growing a slice of
		// importItems by appends was a tenth of an import's allocated bytes.
		newChunk := func() *chunk {
			return &chunk{items: make([]importItem, 0, opts.ChunkSize), done: make(chan struct{})}
		}
		cur := newChunk()
		send := func(c *chunk) bool {
			select {
			case chunks <- c:
			case <-ctx.Done():
				return false
			}
			select {
			case work <- c:
				return true
			case <-ctx.Done():
				return false
			}
		}
		prodErr = produce(func(it importItem) bool {
			cur.items = append(cur.items, it)
			if len(cur.items) == opts.ChunkSize {
				if !send(cur) {
					return false
				}
				cur = newChunk()
			}
			return true
		})
		if len(cur.items) > 0 {
			send(cur)
		}
	}()
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				for i := range c.items {
					e.prepareItem(&c.items[i])
				}
				close(c.done)
			}
		}()
	}
	var werr error
	for c := range chunks {
		select {
		case <-c.done:
		case <-ctx.Done():
		}
		if werr != nil || ctx.Err() != nil {
			continue
		}
		for _, it := range c.items {
			rep.Read++
			if it.r != nil {
				for _, id := range it.r.Identifiers {
					if id.Value == "" {
						rep.Dropped++
					}
				}
			}
			if it.err != nil {
				rep.Rejected++
				rj := Reject{Position: it.pos, Err: it.err, Input: it.line}
				var re *RecordError
				if errors.As(it.err, &re) {
					rj.Record = re.Record
				}
				if opts.OnReject != nil {
					opts.OnReject(rj)
				} else if len(rep.Rejects) < 100 {
					rep.Rejects = append(rep.Rejects, rj)
				}
			}
		}
		if bl != nil {
			werr = bl.add(c.items, rep)
		} else if rep.Mode == ImportIncremental {
			werr = e.ingestChunk(ctx, c.items, rep)
		} else {
			werr = e.writeEvidence(ctx, c.items, rep)
		}
		if werr != nil {
			cancel()
			continue
		}
		if opts.Progress != nil {
			opts.Progress(ImportProgress{Phase: "reading", Read: rep.Read, Written: rep.Added + rep.Replaced + rep.Unchanged, Elapsed: time.Since(start)})
		}
	}
	wg.Wait()
	if err := errors.Join(werr, prodErr); err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	phase := func(name string) {
		if opts.Progress != nil {
			opts.Progress(ImportProgress{Phase: name, Read: rep.Read, Written: rep.Added + rep.Replaced + rep.Unchanged, Elapsed: time.Since(start)})
		}
	}
	if rep.Mode == ImportBulk {
		phase("resolving")
	}
	if bl != nil {
		if err := bl.finish(ctx, rep, phase); err != nil {
			return rep, err
		}
	} else if rep.Mode == ImportBulk {
		if err := e.rebuildLocked(ctx, rep); err != nil {
			return rep, err
		}
	} else if err := e.countProfiles(ctx, rep); err != nil {
		return rep, err
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// Empty reports whether the store holds no record: an import in
// ImportAuto mode would then take the bulk path.
func (e *Engine) Empty(ctx context.Context) (bool, error) {
	if e.isClosed() {
		return false, ErrClosed
	}
	return e.empty(ctx)
}

func (e *Engine) empty(ctx context.Context) (bool, error) {
	empty := true
	err := e.s.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{Prefix: store.AppendString(nil, "r"), KeysOnly: true})
		defer it.Close()
		empty = !it.Next()
		return it.Err()
	})
	return empty, err
}

// noKeys reports whether the store holds no key at all.
func (e *Engine) noKeys(ctx context.Context) (bool, error) {
	none := true
	err := e.s.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{KeysOnly: true})
		defer it.Close()
		none = !it.Next()
		return it.Err()
	})
	return none, err
}

func (e *Engine) countProfiles(ctx context.Context, rep *ImportReport) error {
	n := 0
	err := e.s.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{Prefix: store.AppendString(nil, "p"), KeysOnly: true})
		defer it.Close()
		for it.Next() {
			n++
		}
		return it.Err()
	})
	rep.Profiles = n
	return err
}

// ingestChunk resolves a chunk of prepared records one by one, as Ingest
// does, in one transaction (split if the store finds it too big).
func (e *Engine) ingestChunk(ctx context.Context, items []importItem, rep *ImportReport) error {
	var added, replaced, unchanged int64
	var changes []Change
	err := e.updateLocked(ctx, func(tx store.Tx) error {
		added, replaced, unchanged, changes = 0, 0, 0, nil
		for _, it := range items {
			if it.err != nil {
				continue
			}
			st, cs, err := e.ingestTx(tx, it.r, it.ids, it.enc)
			if err != nil {
				return err
			}
			switch st.Status {
			case Added:
				added++
			case Replaced:
				replaced++
			default:
				unchanged++
			}
			changes = append(changes, cs...)
		}
		return e.appendChanges(tx, changes)
	})
	if errors.Is(err, store.ErrTxnTooBig) && len(items) > 1 {
		half := len(items) / 2
		if err := e.ingestChunk(ctx, items[:half], rep); err != nil {
			return err
		}
		return e.ingestChunk(ctx, items[half:], rep)
	}
	if err != nil {
		return err
	}
	rep.Added += added
	rep.Replaced += replaced
	rep.Unchanged += unchanged
	rep.Changes += len(changes)
	if len(changes) > 0 {
		e.wake()
	}
	return nil
}

func (e *Engine) prepareItem(it *importItem) {
	if it.err != nil {
		it.err = &RecordError{Err: it.err}
		return
	}
	rec := it.rec
	if it.line != nil {
		var err error
		if rec, err = profile.DecodeJSON(it.line); err != nil {
			it.err = &RecordError{Record: recordName(err), Err: err}
			return
		}
	}
	r, ids, err := e.prepare(rec)
	if err != nil {
		it.err = err
		return
	}
	// The binary form is shorter than the JSON line: one allocation
	// instead of the appends' doubling from nothing.
	enc, err := r.AppendBinary(make([]byte, 0, max(256, len(it.line))))
	if err != nil {
		it.err = &RecordError{Record: r.Key(), Err: err}
		return
	}
	it.r, it.ids, it.enc = r, ids, enc
}

func recordName(err error) string {
	var fe *profile.FieldError
	if errors.As(err, &fe) {
		return fe.Record
	}
	return ""
}

// writeEvidence stores a chunk of prepared records and their identity
// evidence, splitting the chunk if the store finds it too big.
func (e *Engine) writeEvidence(ctx context.Context, items []importItem, rep *ImportReport) error {
	var added, replaced, unchanged int64
	err := e.updateLocked(ctx, func(tx store.Tx) error {
		added, replaced, unchanged = 0, 0, 0
		for _, it := range items {
			if it.err != nil {
				continue
			}
			rk := recordKey(it.r.Source, it.r.ID)
			old, err := tx.Get(rk)
			switch {
			case err == nil && bytes.Equal(old, it.enc):
				unchanged++
				continue
			case err == nil:
				replaced++
			case errors.Is(err, store.ErrNotFound):
				added++
			default:
				return err
			}
			if err := tx.Set(rk, it.enc); err != nil {
				return err
			}
			if err := e.graph.AddEvidence(tx, identity.NewRecordKey(it.r.Time, it.r.Source, it.r.ID), it.ids); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrTxnTooBig) && len(items) > 1 {
		half := len(items) / 2
		if err := e.writeEvidence(ctx, items[:half], rep); err != nil {
			return err
		}
		return e.writeEvidence(ctx, items[half:], rep)
	}
	if err != nil {
		return err
	}
	rep.Added += added
	rep.Replaced += replaced
	rep.Unchanged += unchanged
	return nil
}

// Rebuild recomputes the identity graph and every profile from the stored
// records, and appends what changed to the feed. Use it after changing
// policies or survivorship rules. It blocks other writes while it runs.
func (e *Engine) Rebuild(ctx context.Context) (*ImportReport, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	e.wmu.Lock()
	defer e.wmu.Unlock()
	rep := &ImportReport{}
	start := time.Now()
	err := e.rebuildLocked(ctx, rep)
	rep.Duration = time.Since(start)
	return rep, err
}

func (e *Engine) rebuildLocked(ctx context.Context, rep *ImportReport) error {
	gr, err := e.graph.Rebuild(ctx, e.s)
	if err != nil {
		return err
	}
	rep.Warnings = append(rep.Warnings, gr.Warnings...)
	// Derive every profile, in chunks of transactions.
	var pids []string
	err = e.s.View(ctx, func(tx store.Tx) error {
		for pid, err := range e.graph.Profiles(tx) {
			if err != nil {
				return err
			}
			pids = append(pids, pid)
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.Profiles = len(pids)
	live := make(map[string]bool, len(pids))
	for _, p := range pids {
		live[p] = true
	}
	const per = 200
	var segChanges []Change
	for i := 0; i < len(pids); i += per {
		part := pids[i:min(i+per, len(pids))]
		if err := e.updateLocked(ctx, func(tx store.Tx) error {
			for _, pid := range part {
				segs, err := e.deriveProfile(tx, pid)
				if err != nil {
					return err
				}
				segChanges = append(segChanges, segs...)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	// Drop profile documents the graph no longer has.
	var dead [][]byte
	err = e.s.View(ctx, func(tx store.Tx) error {
		prefix := store.AppendString(nil, "p")
		it := tx.Iterate(store.IterOptions{Prefix: prefix, KeysOnly: true})
		defer it.Close()
		for it.Next() {
			r := store.NewKeyReader(it.Key()[len(prefix):])
			pid, err := r.String()
			if err != nil || !live[pid] {
				dead = append(dead, store.Copy(it.Key()))
			}
		}
		return it.Err()
	})
	if err != nil {
		return err
	}
	for i := 0; i < len(dead); i += 1000 {
		part := dead[i:min(i+1000, len(dead))]
		if err := e.updateLocked(ctx, func(tx store.Tx) error {
			for _, k := range part {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	// The feed hears of every profile that was created, merged, split...
	var cs []Change
	for _, c := range gr.Changes {
		cs = append(cs, Change{Kind: changeKind(c.Kind), Profile: c.Profile, From: c.From})
	}
	cs = append(cs, segChanges...)
	for i := 0; i < len(cs); i += 1000 {
		part := cs[i:min(i+1000, len(cs))]
		if err := e.updateLocked(ctx, func(tx store.Tx) error { return e.appendChanges(tx, part) }); err != nil {
			return err
		}
	}
	rep.Changes = len(cs)
	if len(cs) > 0 {
		e.wake()
	}
	return nil
}
