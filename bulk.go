package unify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
)

// The bulk path loads history into an empty store without resolving record
// by record: records go to the store through a batch, the identity graph is
// resolved once in memory (identity.Loader), and profiles are built in one
// pass over the stored records. A marker key says a bulk load is under way;
// if the process stops before the end, the next Import finds the marker and
// rebuilds the graph and the profiles from the records that did land.

var bulkMarkerKey = store.AppendString(store.AppendString(nil, "m"), "bulk-pending")

// loadMarkerKey marks a staged load (ImportOptions.Staged) under way. It
// sorts before every other key, so it is the first key the load writes: a
// store that holds it and no end of the load holds a part of one.
var loadMarkerKey = store.AppendString(store.AppendString(nil, "a"), "load-pending")

type bulkLoad struct {
	e      *Engine
	t      bulkTarget  // where the load is built
	staged *sortTarget // t when staged
	w      store.Batch // the records
	loader *identity.Loader
}

// startBulk starts a bulk load into the engine's (empty) store or, staged,
// into sorted runs on disk that finish then writes to the engine's store
// in one sorted pass.
func (e *Engine) startBulk(ctx context.Context, staged bool) (*bulkLoad, error) {
	b := &bulkLoad{e: e, t: storeTarget{e.s}, loader: e.graph.NewLoader(identity.LoaderOptions{})}
	if staged {
		// Next to the store's files when it has a directory: the
		// system's temporary directory may be in memory.
		b.staged = newSortTarget(e.opts.Dir, e.sortMemory)
		b.t = b.staged
	}
	err := b.t.mark(ctx)
	if err == nil {
		b.w, err = b.t.recordWriter(ctx)
	}
	if err != nil {
		b.cancel()
		return nil, err
	}
	return b, nil
}

// cancel releases what the load holds; after finish it does nothing more.
func (b *bulkLoad) cancel() {
	if b.w != nil {
		b.w.Cancel()
	}
	if b.staged != nil {
		b.staged.close()
	}
}

// add writes a chunk of prepared records and hands their identifiers to
// the loader.
func (b *bulkLoad) add(items []importItem, rep *ImportReport) error {
	for _, it := range items {
		if it.err != nil {
			continue
		}
		if err := b.w.Set(recordKey(it.r.Source, it.r.ID), it.enc); err != nil {
			return err
		}
		if err := b.loader.Add(identity.NewRecordKey(it.r.Time, it.r.Source, it.r.ID), it.ids); err != nil {
			return err
		}
		rep.Added++ // until finish finds records that came twice
	}
	return nil
}

// finish resolves, writes the graph, builds the profiles and the feed.
func (b *bulkLoad) finish(ctx context.Context, rep *ImportReport, phase func(string)) error {
	// The records still queued in the batch land while identity resolves.
	flushed := make(chan error, 1)
	go func() { flushed <- b.w.Flush() }()
	gr, err := b.loader.Resolve(ctx)
	if ferr := <-flushed; ferr != nil {
		return ferr
	}
	if errors.Is(err, identity.ErrDuplicateRecords) {
		// A record came twice: the store holds its later version, and the
		// loader, which keeps no record keys, starts again from the store.
		if b.loader, err = b.e.loadStored(ctx, b.t); err != nil {
			return err
		}
		added := int64(b.loader.Records())
		rep.Replaced += rep.Added - added
		rep.Added = added
		gr, err = b.loader.Resolve(ctx)
	}
	if err != nil {
		return err
	}
	rep.Warnings = append(rep.Warnings, gr.Warnings...)
	phase("graph and profiles")
	n, err := b.e.writeDerived(ctx, b.t, b.loader)
	if err != nil {
		return err
	}
	rep.Profiles, rep.Changes = n, n
	if b.staged != nil {
		phase("writing")
		b.loader = nil // resolution's memory is not needed any more
		return b.e.loadStaged(ctx, b.staged)
	}
	return nil
}

// loadStaged writes a staged load into the engine's empty store in one
// sorted pass, its first key marking the load as under way until the end.
func (e *Engine) loadStaged(ctx context.Context, staged *sortTarget) error {
	sl, ok := e.s.(store.SortedLoader)
	if !ok {
		return fmt.Errorf("unify: staged import: the store cannot load sorted data")
	}
	e.loadPending = true // until the marker is gone from the store
	var iterErr error
	if err := sl.LoadSorted(ctx, staged.all(&iterErr)); err != nil {
		if errors.Is(err, store.ErrNotEmpty) {
			e.loadPending = false // it wrote nothing
		}
		return fmt.Errorf("unify: staged import: %w", errors.Join(err, iterErr))
	}
	if iterErr != nil {
		return iterErr
	}
	if err := e.updateLocked(ctx, func(tx store.Tx) error { return tx.Delete(loadMarkerKey) }); err != nil {
		return err
	}
	e.loadPending = false
	e.wake()
	return nil
}

// writeDerived writes what a resolved Loader derives: the identity graph
// and, at the same time (both only read the Loader), the profiles and their
// feed entries; then it removes the bulk marker. It returns how many feed
// entries it appended. Overlapping the two keeps Badger's write goroutine
// busy while profiles are built: a 1M import took 48-50 s against 56-60 s
// one after the other.
func (e *Engine) writeDerived(ctx context.Context, t bulkTarget, l *identity.Loader) (int, error) {
	graphDone := make(chan error, 1)
	go func() {
		w, err := t.newBatch(ctx)
		if err == nil {
			if err = l.Write(w); err == nil {
				err = w.Flush()
			}
			w.Cancel()
		}
		graphDone <- err
	}()
	n, err := e.buildProfiles(ctx, t, l)
	if gerr := <-graphDone; err == nil {
		err = gerr
	}
	if err != nil {
		return 0, err
	}
	// Only now is everything the marker guards in place.
	if err := t.unmark(ctx); err != nil {
		return 0, err
	}
	if n > 0 {
		e.wake()
	}
	return n, nil
}

// recordsPerBucket is how many records' profiles are built at once
// without spilling (a million records make about 500 MB of profiles under
// construction); beyond it, buckets are a quarter of it.
const recordsPerBucket = 1_000_000

// profileJob is a stored record handed to a profile worker.
type profileJob struct {
	pid string
	set identity.SetHash
	v   []byte
}

// buildProfiles derives every profile the loader resolved from the stored
// records, writes them and appends a ProfileCreated entry per profile to
// the feed. To bound memory the profiles are built a bucket at a time:
// with more than one bucket, one pass over the records writes each to its
// profile's bucket file, and the buckets are built from the files.
func (e *Engine) buildProfiles(ctx context.Context, t bulkTarget, l *identity.Loader) (int, error) {
	w, err := t.newBatch(ctx)
	if err != nil {
		return 0, err
	}
	defer w.Cancel()
	var segChanges []Change
	build := func(feed func(emit func(profileJob)) error) error {
		profiles, err := e.buildBucket(ctx, t, l, feed)
		if err != nil {
			return err
		}
		var buf []byte
		for pid, p := range profiles {
			segChanges = append(segChanges, e.evaluateSegments(p)...)
			if buf, err = p.AppendBinary(buf[:0]); err != nil {
				return err
			}
			if err := w.Set(profileKey(pid), buf); err != nil {
				return err
			}
		}
		return nil
	}
	per := recordsPerBucket
	if e.bucketRecords > 0 {
		per = e.bucketRecords
	}
	buckets := 1
	if n := l.Records(); n > per {
		// Once spilled, buckets of a quarter of that: the profiles under
		// construction were the largest part of a 3M import's live heap
		// besides the identity tables (500 of 1,460 MB).
		per = max(1, per/4)
		buckets = (n + per - 1) / per
	}
	if buckets == 1 {
		err = build(func(emit func(profileJob)) error {
			return scanForProfiles(ctx, t, l, func(j profileJob) error { emit(j); return nil })
		})
	} else {
		err = e.buildSpilled(ctx, t, l, buckets, build)
	}
	if err != nil {
		return 0, err
	}
	// The feed: one ProfileCreated per profile, after what it already holds.
	seq, err := t.feedSeq(ctx)
	if err != nil {
		return 0, err
	}
	now := e.now().UTC()
	var buf []byte
	for pid := range l.ProfileList() {
		seq++
		c := Change{Seq: seq, Time: now, Kind: ProfileCreated, Profile: pid}
		buf = appendChangeJSON(buf[:0], &c)
		if err := w.Set(feedKey(seq), buf); err != nil {
			return 0, err
		}
	}
	for _, c := range segChanges {
		seq++
		c.Seq, c.Time = seq, now
		buf = appendChangeJSON(buf[:0], &c)
		if err := w.Set(feedKey(seq), buf); err != nil {
			return 0, err
		}
	}
	if err := w.Set(feedSeqKey, binary.BigEndian.AppendUint64(nil, seq)); err != nil {
		return 0, err
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return l.ProfileCount() + len(segChanges), nil
}

// scanForProfiles reads every stored record with its identifier set and
// profile. The value it hands on is the caller's to keep.
func scanForProfiles(ctx context.Context, t bulkTarget, l *identity.Loader, fn func(profileJob) error) error {
	return t.records(ctx, func(k, v []byte) error {
		src, id, err := decodeRecordKey(k)
		if err != nil {
			return err
		}
		set, ok := l.RecordSet(src, id)
		if !ok {
			// Two records share a key hash (or the record is unknown):
			// its identifiers name its set.
			var r profile.Record
			if err := r.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("unify: stored record %s/%s: %w", src, id, err)
			}
			if set, ok = l.SetOf(linkingIDs(&r)); !ok {
				return fmt.Errorf("unify: record %s/%s is not in the loaded graph", src, id)
			}
		}
		return fn(profileJob{l.SetProfile(set), set, store.Copy(v)})
	})
}

// buildBucket builds the profiles of the records feed emits: each worker
// decodes and applies the records of its own share of the profiles, and
// writes the graph's entries of those records.
func (e *Engine) buildBucket(ctx context.Context, t bulkTarget, l *identity.Loader, feed func(emit func(profileJob)) error) (map[string]*profile.Profile, error) {
	workers := runtime.GOMAXPROCS(0)
	batches := make([]store.Batch, workers)
	for i := range workers {
		var err error
		if batches[i], err = t.newBatch(ctx); err != nil {
			for _, bw := range batches[:i] {
				bw.Cancel()
			}
			return nil, err
		}
	}
	jobs := make([]chan profileJob, workers)
	shares := make([]map[string]*profile.Profile, workers)
	werrs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		jobs[i], shares[i] = make(chan profileJob, 256), map[string]*profile.Profile{}
		// Which identifiers link, per profile of this worker's share.
		linked := map[string]func(identity.ID) bool{}
		bw := batches[i]
		rw := l.RecordWriter(bw)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer bw.Cancel()
			var r profile.Record
			for j := range jobs[i] {
				if werrs[i] != nil {
					continue
				}
				r = profile.Record{}
				if err := r.UnmarshalBinary(j.v); err != nil {
					werrs[i] = fmt.Errorf("unify: record of profile %s: %w", j.pid, err)
					continue
				}
				if err := rw.WriteRecord(identity.NewRecordKey(r.Time, r.Source, r.ID), j.set); err != nil {
					werrs[i] = err
					continue
				}
				p := shares[i][j.pid]
				if p == nil {
					p = &profile.Profile{ID: j.pid}
					shares[i][j.pid] = p
					linked[j.pid] = memberFilter(l.ProfileIDs(j.pid))
				}
				p.Apply(&r, e.profileOptions(linked[j.pid]))
			}
			if werrs[i] == nil {
				werrs[i] = bw.Flush()
			}
		}()
	}
	err := feed(func(j profileJob) { jobs[int(fnv32(j.pid)>>8)%workers] <- j })
	for _, c := range jobs {
		close(c)
	}
	wg.Wait()
	if err := errors.Join(append(werrs, err)...); err != nil {
		return nil, err
	}
	profiles := shares[0]
	for _, sh := range shares[1:] {
		maps.Copy(profiles, sh)
	}
	return profiles, nil
}

// buildSpilled writes every record to its profile's bucket file in one
// pass over the store, then builds the buckets one at a time from the
// files (sequential reads, instead of a pass over the store per bucket).
func (e *Engine) buildSpilled(ctx context.Context, t bulkTarget, l *identity.Loader, buckets int, build func(feed func(emit func(profileJob)) error) error) error {
	// Next to the store's files when it has a directory: the system's
	// temporary directory may be in memory.
	dir, err := os.MkdirTemp(e.opts.Dir, "unify-import-")
	if err != nil {
		return fmt.Errorf("unify: import: spill directory: %w", err)
	}
	defer os.RemoveAll(dir)
	files := make([]*os.File, buckets)
	writers := make([]*bufio.Writer, buckets)
	for i := range files {
		if files[i], err = os.Create(filepath.Join(dir, fmt.Sprint(i))); err != nil {
			return fmt.Errorf("unify: import: spill file: %w", err)
		}
		defer files[i].Close()
		writers[i] = bufio.NewWriterSize(files[i], 256<<10)
	}
	var hdr []byte
	err = scanForProfiles(ctx, t, l, func(j profileJob) error {
		hdr = binary.AppendUvarint(hdr[:0], uint64(len(j.pid)))
		hdr = append(hdr, j.pid...)
		hdr = append(hdr, j.set[:]...)
		hdr = binary.AppendUvarint(hdr, uint64(len(j.v)))
		w := writers[fnv32(j.pid)%uint32(buckets)]
		w.Write(hdr)
		_, err := w.Write(j.v)
		return err
	})
	if err != nil {
		return err
	}
	for i, w := range writers {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("unify: import: spill file: %w", err)
		}
		if _, err := files[i].Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	for i := range buckets {
		err := build(func(emit func(profileJob)) error {
			r := bufio.NewReaderSize(files[i], 256<<10)
			for {
				j, err := readSpilled(r)
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return fmt.Errorf("unify: import: spill file %d: %w", i, err)
				}
				emit(j)
			}
		})
		if err != nil {
			return err
		}
		files[i].Close()
		os.Remove(files[i].Name())
		runtime.GC() // the bucket's profiles are written: give the memory back before the next
	}
	return nil
}

func readSpilled(r *bufio.Reader) (profileJob, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return profileJob{}, err // io.EOF at the end
	}
	pid := make([]byte, n)
	var j profileJob
	if _, err := io.ReadFull(r, pid); err != nil {
		return j, io.ErrUnexpectedEOF
	}
	if _, err := io.ReadFull(r, j.set[:]); err != nil {
		return j, io.ErrUnexpectedEOF
	}
	if n, err = binary.ReadUvarint(r); err != nil {
		return j, io.ErrUnexpectedEOF
	}
	j.pid, j.v = string(pid), make([]byte, n)
	if _, err := io.ReadFull(r, j.v); err != nil {
		return j, io.ErrUnexpectedEOF
	}
	return j, nil
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// recoverBulk finishes a bulk load that stopped before its end: it drops
// whatever graph, profiles and feed entries the load had begun to write and
// derives them again from the records that landed.
func (e *Engine) recoverBulk(ctx context.Context, rep *ImportReport) error {
	if err := e.discardStaged(ctx, rep); err != nil {
		return err
	}
	pending := false
	var seq uint64
	err := e.s.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(bulkMarkerKey); err == nil {
			pending = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if b, err := tx.Get(feedSeqKey); err == nil && len(b) == 8 {
			seq = binary.BigEndian.Uint64(b)
		}
		return nil
	})
	if err != nil || !pending {
		return err
	}
	e.log.Warn("unify: finishing an interrupted bulk import")
	rep.Recovered = true
	w, err := store.NewWriter(ctx, e.s)
	if err != nil {
		return err
	}
	defer w.Cancel()
	// Delete the derived keys: the graph, profiles, and feed entries past
	// the last committed sequence number.
	for _, opts := range []store.IterOptions{
		{Prefix: store.AppendString(nil, "g")},
		{Prefix: store.AppendString(nil, "p")},
		{Prefix: store.AppendString(nil, "f"), Start: feedKey(seq + 1)},
	} {
		var dead [][]byte
		err := e.s.View(ctx, func(tx store.Tx) error {
			opts.KeysOnly = true
			it := tx.Iterate(opts)
			defer it.Close()
			for it.Next() {
				dead = append(dead, store.Copy(it.Key()))
			}
			return it.Err()
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := w.Delete(k); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	l, err := e.loadStored(ctx, storeTarget{e.s})
	if err != nil {
		return err
	}
	gr, err := l.Resolve(ctx)
	if err != nil {
		return err
	}
	rep.Warnings = append(rep.Warnings, gr.Warnings...)
	_, err = e.writeDerived(ctx, storeTarget{e.s}, l)
	return err
}

// loadStored hands every record in s to a new Loader.
func (e *Engine) loadStored(ctx context.Context, t bulkTarget) (*identity.Loader, error) {
	l := e.graph.NewLoader(identity.LoaderOptions{Distinct: true})
	var r profile.Record
	err := t.records(ctx, func(k, v []byte) error {
		r = profile.Record{}
		if err := r.UnmarshalBinary(v); err != nil {
			return fmt.Errorf("unify: stored record %x: %w", k, err)
		}
		return l.Add(identity.NewRecordKey(r.Time, r.Source, r.ID), linkingIDs(&r))
	})
	return l, err
}

// ErrStagedImportDiscarded is reported (in ImportReport.Warnings) when an
// Import finds and removes what an interrupted staged import had written.
var ErrStagedImportDiscarded = errors.New("unify: an interrupted staged import was discarded; import its data again")

// discardStaged removes what an interrupted staged load wrote: the store
// was empty before it, and a sorted load that stopped early holds only a
// prefix of the keys, so the store goes back to empty.
func (e *Engine) discardStaged(ctx context.Context, rep *ImportReport) error {
	var keys [][]byte
	err := e.s.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(loadMarkerKey); errors.Is(err, store.ErrNotFound) {
			e.loadPending = false
			return nil
		} else if err != nil {
			return err
		}
		it := tx.Iterate(store.IterOptions{KeysOnly: true})
		defer it.Close()
		for it.Next() {
			keys = append(keys, store.Copy(it.Key()))
		}
		return it.Err()
	})
	if err != nil || len(keys) == 0 {
		return err
	}
	e.log.Warn("unify: discarding an interrupted staged import", "keys", len(keys))
	w, err := store.NewWriter(ctx, e.s)
	if err != nil {
		return err
	}
	defer w.Cancel()
	// The marker goes last, so that an interruption here is finished by
	// the next Import.
	for _, k := range keys {
		if bytes.Equal(k, loadMarkerKey) {
			continue
		}
		if err := w.Delete(k); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := e.updateLocked(ctx, func(tx store.Tx) error { return tx.Delete(loadMarkerKey) }); err != nil {
		return err
	}
	e.loadPending = false
	rep.Warnings = append(rep.Warnings, ErrStagedImportDiscarded)
	return nil
}
