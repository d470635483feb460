package unify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"slices"

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
// that no transaction stays open long.
func (e *Engine) Profiles(ctx context.Context) iter.Seq2[*profile.Profile, error] {
	return func(yield func(*profile.Profile, error) bool) {
		prefix := store.AppendString(nil, "p")
		start := prefix
		for {
			var batch []*profile.Profile
			var last []byte
			err := e.view(ctx, func(tx store.Tx) error {
				it := tx.Iterate(store.IterOptions{Prefix: prefix, Start: start})
				defer it.Close()
				for len(batch) < 512 && it.Next() {
					v, err := it.Value()
					if err != nil {
						return err
					}
					p := new(profile.Profile)
					if err := p.UnmarshalBinary(v); err != nil {
						return fmt.Errorf("unify: profile: %w", err)
					}
					batch = append(batch, p)
					last = store.Copy(it.Key())
				}
				return it.Err()
			})
			if err != nil {
				yield(nil, err)
				return
			}
			for _, p := range batch {
				if !yield(p, nil) {
					return
				}
			}
			if len(batch) < 512 {
				return
			}
			start = append(last, 0) // the next key after last
		}
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
