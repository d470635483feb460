package unify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
)

func notFound(err error) error {
	if errors.Is(err, identity.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// Profile returns the profile that holds an identifier, written in any
// format the source systems use (it is normalized as Ingest does).
func (e *Engine) Profile(ctx context.Context, id identity.ID) (*profile.Profile, error) {
	var p *profile.Profile
	err := e.view(ctx, func(tx store.Tx) error {
		pid, err := e.lookup(tx, id)
		if err != nil {
			return err
		}
		p, err = e.loadProfile(tx, pid)
		return err
	})
	return p, err
}

func (e *Engine) lookup(tx store.Tx, id identity.ID) (string, error) {
	n, err := e.NormalizeID(id)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	pid, err := e.graph.Lookup(tx, n)
	return pid, notFound(err)
}

// ProfileByID returns a profile by its ID or by an alias it absorbed.
func (e *Engine) ProfileByID(ctx context.Context, pid string) (*profile.Profile, error) {
	var p *profile.Profile
	err := e.view(ctx, func(tx store.Tx) error {
		cur, err := e.graph.CurrentID(tx, pid)
		if err != nil {
			return notFound(err)
		}
		p, err = e.loadProfile(tx, cur)
		return err
	})
	return p, err
}

// ProfileByRecord returns the profile that holds a source record.
func (e *Engine) ProfileByRecord(ctx context.Context, source, id string) (*profile.Profile, error) {
	var p *profile.Profile
	err := e.view(ctx, func(tx store.Tx) error {
		pid, err := e.graph.RecordProfile(tx, source, id)
		if err != nil {
			return notFound(err)
		}
		p, err = e.loadProfile(tx, pid)
		return err
	})
	return p, err
}

// Record returns a stored record.
func (e *Engine) Record(ctx context.Context, source, id string) (*profile.Record, error) {
	var r *profile.Record
	err := e.view(ctx, func(tx store.Tx) error {
		var err error
		r, err = e.loadRecord(tx, source, id)
		return err
	})
	return r, err
}

// Profiles iterates over all profiles in ID order, reading in batches so
// that no transaction stays open long. Profiles are decoded in parallel,
// ahead of the caller by a few batches.
func (e *Engine) Profiles(ctx context.Context) iter.Seq2[*profile.Profile, error] {
	return func(yield func(*profile.Profile, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		// Whatever way the loop ends, no goroutine outlives it.
		defer wg.Wait()
		defer cancel()
		workers := min(runtime.GOMAXPROCS(0), maxScanAhead/2)
		ahead := 2 * workers
		s := &profileScan{
			e:     e,
			work:  make(chan *scanBatch),
			order: make(chan *scanBatch, ahead),
			free:  make(chan []byte, ahead+workers),
		}
		wg.Go(func() { s.read(ctx) })
		for range workers {
			wg.Go(func() { s.decode(ctx) })
		}
		for b := range s.order {
			select {
			case <-b.done:
			case <-ctx.Done():
			}
			// A batch decoded ahead does not outrun the cancellation.
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			for _, p := range b.profiles {
				if !yield(p, nil) {
					return
				}
			}
			if b.err != nil {
				yield(nil, b.err)
				return
			}
		}
		if !s.finished { // the reader stopped at the cancellation
			yield(nil, ctx.Err())
		}
	}
}

const (
	// scanBatchSize is the number of profiles read in one transaction and
	// decoded by one worker.
	scanBatchSize = 256
	// maxScanAhead bounds the batches decoded ahead of a slow caller, so
	// that a scan holds some 25 MB of decoded profiles at most, however
	// many cores decode them.
	maxScanAhead = 16
)

// profileScan runs one call of Profiles: a reader that copies raw profiles
// out of short transactions, and workers that decode them. Batches reach
// the caller through order in the order they were read, whichever worker
// finishes first.
type profileScan struct {
	e     *Engine
	work  chan *scanBatch // to the workers
	order chan *scanBatch // to the caller; its capacity bounds the batches in flight
	free  chan []byte     // decoded raw buffers, for the reader to reuse
	// finished tells, once order is closed, that the reader sent the last
	// batch rather than stopping at the cancellation.
	finished bool
}

// scanBatch is one transaction's worth of profiles.
type scanBatch struct {
	raw      []byte // the encoded profiles, back to back
	ends     []int  // where each ends in raw
	profiles []*profile.Profile
	err      error         // after the profiles, the scan ends with it
	done     chan struct{} // closed when profiles and err are set
}

// read reads the batches in key order until the profiles or ctx end.
func (s *profileScan) read(ctx context.Context) {
	defer close(s.work)
	defer close(s.order)
	prefix := store.AppendString(nil, "p")
	start := prefix
	var last []byte // the key of the last profile read
	for {
		b := &scanBatch{ends: make([]int, 0, scanBatchSize), done: make(chan struct{})}
		select {
		case b.raw = <-s.free:
		default:
		}
		b.err = s.e.view(ctx, func(tx store.Tx) error {
			it := tx.Iterate(store.IterOptions{Prefix: prefix, Start: start})
			defer it.Close()
			for len(b.ends) < scanBatchSize && it.Next() {
				v, err := it.Value()
				if err != nil {
					return err
				}
				b.raw = append(b.raw, v...)
				b.ends = append(b.ends, len(b.raw))
				last = append(last[:0], it.Key()...)
			}
			return it.Err()
		})
		select {
		case s.order <- b:
		case <-ctx.Done():
			return
		}
		if b.err != nil {
			close(b.done)
			s.finished = true
			return
		}
		full := len(b.ends) == scanBatchSize // b belongs to a worker once sent
		select {
		case s.work <- b:
		case <-ctx.Done():
			return
		}
		if !full {
			s.finished = true
			return
		}
		start = append(append(start[:0:0], last...), 0) // the next key after last
	}
}

// decode decodes batches until the reader stops.
func (s *profileScan) decode(ctx context.Context) {
	for b := range s.work {
		if b.err = ctx.Err(); b.err == nil {
			b.profiles = make([]*profile.Profile, 0, len(b.ends))
			from := 0
			for _, end := range b.ends {
				p := new(profile.Profile)
				if err := p.UnmarshalBinary(b.raw[from:end]); err != nil {
					b.err = fmt.Errorf("unify: profile: %w", err)
					break
				}
				b.profiles = append(b.profiles, p)
				from = end
			}
			// The profiles hold copies of their strings, not raw.
			select {
			case s.free <- b.raw[:0]:
			default:
			}
			b.raw, b.ends = nil, nil
		}
		close(b.done)
	}
}

// Page is one page of a timeline.
type Page struct {
	Records []*profile.Record
	// Next is the cursor of the following page; "" on the last page.
	Next string
}

// Timeline returns the records of a profile, newest first, limit at a
// time (0 means 50). Pass the previous page's Next as cursor to go on.
func (e *Engine) Timeline(ctx context.Context, pid string, cursor string, limit int) (*Page, error) {
	if limit <= 0 {
		limit = 50
	}
	skip := 0
	var after identity.RecordKey
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		r := store.NewKeyReader(b)
		t, err1 := r.Int64()
		src, err2 := r.String()
		id, err3 := r.String()
		if err := errors.Join(err, err1, err2, err3); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadCursor, err)
		}
		after, skip = identity.RecordKey{Time: t, Source: src, ID: id}, 1
	}
	page := &Page{}
	err := e.view(ctx, func(tx store.Tx) error {
		cur, err := e.graph.CurrentID(tx, pid)
		if err != nil {
			return notFound(err)
		}
		keys, err := e.graph.Records(tx, cur)
		if err != nil {
			return err
		}
		slices.Reverse(keys)
		start := 0
		if skip == 1 {
			// Records older than the cursor, whatever happened since.
			start = len(keys)
			for i, k := range keys {
				if k.Compare(after) < 0 {
					start = i
					break
				}
			}
		}
		end := min(start+limit, len(keys))
		for _, k := range keys[start:end] {
			r, err := e.loadRecord(tx, k.Source, k.ID)
			if err != nil {
				return err
			}
			page.Records = append(page.Records, r)
		}
		if end < len(keys) {
			k := keys[end-1]
			b := store.AppendString(store.AppendString(store.AppendInt64(nil, k.Time), k.Source), k.ID)
			page.Next = base64.RawURLEncoding.EncodeToString(b)
		}
		return nil
	})
	return page, err
}

// Explain returns the chain of records that puts two identifiers, written
// in any format, in one profile.
func (e *Engine) Explain(ctx context.Context, a, b identity.ID) (*identity.Explanation, error) {
	na, err := e.NormalizeID(a)
	if err != nil {
		return nil, err
	}
	nb, err := e.NormalizeID(b)
	if err != nil {
		return nil, err
	}
	var ex *identity.Explanation
	err = e.view(ctx, func(tx store.Tx) error {
		var err error
		ex, err = e.graph.Explain(tx, na, nb)
		return notFound(err)
	})
	return ex, err
}

// ExplainID says where an identifier stands: its profile, or why it is in
// none (blocked placeholder, shared value, refused by a limit).
func (e *Engine) ExplainID(ctx context.Context, id identity.ID) (*identity.IDStatus, error) {
	n, err := e.NormalizeID(id)
	if err != nil {
		return nil, err
	}
	var st *identity.IDStatus
	err = e.view(ctx, func(tx store.Tx) error {
		var err error
		st, err = e.graph.ExplainID(tx, n)
		return notFound(err)
	})
	return st, err
}

// Erase deletes everything about the person who holds id (GDPR right to
// erasure): every record of the profile, the profile, and the aliases its
// records gave. The feed records a ProfileErased entry with the profile ID
// only. Profiles that shared a component with it are re-derived.
func (e *Engine) Erase(ctx context.Context, id identity.ID) ([]Change, error) {
	return e.removeRecords(ctx, func(tx store.Tx) ([]recordRef, string, error) {
		pid, err := e.lookup(tx, id)
		if err != nil {
			return nil, "", err
		}
		keys, err := e.graph.Records(tx, pid)
		if err != nil {
			return nil, "", err
		}
		// Newest first, so that the record naming the profile goes last
		// and the profile is not renamed on the way.
		refs := make([]recordRef, len(keys))
		for i, k := range keys {
			refs[len(keys)-1-i] = recordRef{k.Source, k.ID}
		}
		return refs, pid, nil
	}, true)
}

// MapEntry ties a source record to the profile that holds it, so that
// source systems can store the unified ID.
type MapEntry struct {
	Source  string `json:"source"`
	Record  string `json:"record"`
	Profile string `json:"profile"`
}

// IdentityMap iterates over every stored record with its profile ID, in
// (source, record ID) order, reading in batches.
func (e *Engine) IdentityMap(ctx context.Context) iter.Seq2[MapEntry, error] {
	return func(yield func(MapEntry, error) bool) {
		prefix := store.AppendString(nil, "r")
		start := prefix
		for {
			var batch []MapEntry
			var last []byte
			err := e.view(ctx, func(tx store.Tx) error {
				it := tx.Iterate(store.IterOptions{Prefix: prefix, Start: start, KeysOnly: true})
				defer it.Close()
				for len(batch) < 1024 && it.Next() {
					src, id, err := decodeRecordKey(it.Key())
					if err != nil {
						return err
					}
					pid, err := e.graph.RecordProfile(tx, src, id)
					if err != nil {
						return err
					}
					batch = append(batch, MapEntry{Source: src, Record: id, Profile: pid})
					last = store.Copy(it.Key())
				}
				return it.Err()
			})
			if err != nil {
				yield(MapEntry{}, err)
				return
			}
			for _, m := range batch {
				if !yield(m, nil) {
					return
				}
			}
			if len(batch) < 1024 {
				return
			}
			start = append(last, 0)
		}
	}
}

// DryRun resolves all stored evidence under other identity policies and
// reports the merges and splits they would cause, writing nothing. To apply
// them, open the engine with the new Options.Policies and call Rebuild.
func (e *Engine) DryRun(ctx context.Context, pol identity.Policies) (*identity.Report, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	return e.graph.DryRun(ctx, e.s, pol)
}
