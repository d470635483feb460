package unify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
)

// Status says what Ingest did with a record.
type Status string

const (
	Added     Status = "added"     // a new record
	Replaced  Status = "replaced"  // a new version of a record: the old one's effects are undone
	Unchanged Status = "unchanged" // the same record again: nothing changed
)

// Result reports one Ingest.
type Result struct {
	Record  string // "source/id"
	Status  Status
	Profile string // the profile holding the record now
	// Changes are the feed entries this ingest appended, in order.
	Changes []Change
	// Dropped lists identifiers that did not normalize and so do not link;
	// each has its Problem. The record is kept all the same.
	Dropped []profile.Identifier
	// Refused lists links the record carried that resolution did not make
	// (a limit, for example); the record joined Profile without them.
	Refused []identity.Refusal
	// Warnings from resolution (identity.ErrComponentCap).
	Warnings []error
	// TraitsChanged reports whether the computed traits of Profile changed
	// (order count, spend, last seen, categories...).
	TraitsChanged bool
}

// Ingest normalizes and validates rec, stores it as evidence, resolves its
// identity and updates every profile it affects, all in one transaction,
// and appends what changed to the feed. A refused record returns an error
// matching ErrInvalidRecord (and *RecordError) and changes nothing.
func (e *Engine) Ingest(ctx context.Context, rec *profile.Record) (*Result, error) {
	r, ids, err := e.prepare(rec)
	if err != nil {
		return nil, err
	}
	enc, err := r.AppendBinary(nil)
	if err != nil {
		return nil, &RecordError{Record: r.Key(), Err: err}
	}
	res := &Result{}
	for _, id := range r.Identifiers {
		if id.Value == "" {
			res.Dropped = append(res.Dropped, id)
		}
	}
	err = e.update(ctx, func(tx store.Tx) error {
		st, cs, err := e.ingestTx(tx, r, ids, enc)
		if err != nil {
			return err
		}
		res.Record, res.Status, res.Profile, res.Refused, res.Warnings, res.Changes, res.TraitsChanged = st.Record, st.Status, st.Profile, st.Refused, st.Warnings, cs, st.TraitsChanged
		return e.appendChanges(tx, res.Changes)
	})
	if err != nil {
		return nil, err
	}
	if len(res.Changes) > 0 {
		e.wake()
	}
	return res, nil
}

// ingestTx stores a prepared record and resolves it inside tx. It returns
// the feed entries to append (the caller appends them).
func (e *Engine) ingestTx(tx store.Tx, r *profile.Record, ids []identity.ID, enc []byte) (*Result, []Change, error) {
	res := &Result{Record: r.Key(), Status: Added}
	// The graph keeps an entry of every record it holds, written with the
	// engine's copy: the engine reads its copy only when the graph knew the
	// record. The same record again is the same evidence (time and
	// identifiers), so Link finds it unchanged and writes nothing.
	lr, err := e.graph.Link(tx, identity.NewRecordKey(r.Time, r.Source, r.ID), ids)
	if err != nil {
		return nil, nil, err
	}
	rk := recordKey(r.Source, r.ID)
	if lr.Existed {
		old, err := tx.Get(rk)
		switch {
		case err == nil && bytes.Equal(old, enc):
			res.Status, res.Profile = Unchanged, lr.Profile
			return res, nil, nil
		case err == nil:
			res.Status = Replaced
		case !errors.Is(err, store.ErrNotFound):
			return nil, nil, err
		}
	}
	if err := tx.Set(rk, enc); err != nil {
		return nil, nil, err
	}
	res.Profile, res.Refused, res.Warnings = lr.Profile, lr.Refused, lr.Warnings
	var digest [2]uint64 // before, after
	fast := res.Status == Added && isFast(lr)
	d := &derivation{fresh: r, key: res.Record}
	if !fast {
		// Merges, splits, replacements: compare with the profile the record
		// now belongs to as it was, if it existed.
		if p, err := e.loadProfile(tx, lr.Profile); err == nil {
			digest[0] = traitsDigest(e.seed, &p.Traits)
			d.prev = p
		}
	}
	cs, err := e.applyChanges(tx, r, res.Status == Added, lr, &digest, d)
	if err != nil {
		return nil, nil, err
	}
	if !fast {
		p := d.derived[lr.Profile]
		if p == nil {
			p, _ = e.loadProfile(tx, lr.Profile)
		}
		if p != nil {
			digest[1] = traitsDigest(e.seed, &p.Traits)
		}
	}
	res.TraitsChanged = digest[0] != digest[1]
	return res, cs, nil
}

// derivation carries into the re-derivation of profiles what an ingest
// already holds, so as not to read it back from the store. The zero value
// (and nil) holds nothing.
type derivation struct {
	fresh   *profile.Record             // the record being ingested, as stored
	key     string                      // fresh.Key()
	prev    *profile.Profile            // a stored profile as it was before this ingest
	derived map[string]*profile.Profile // the profiles derived, by ID
}

// record returns the record source/id when d holds it.
func (d *derivation) record(source, id string) *profile.Record {
	if d != nil && d.fresh != nil && d.fresh.Source == source && d.fresh.ID == id {
		return d.fresh
	}
	return nil
}

// stored returns profile pid as stored before the ingest, when d holds it.
func (d *derivation) stored(pid string) *profile.Profile {
	if d != nil && d.prev != nil && d.prev.ID == pid {
		return d.prev
	}
	return nil
}

func (d *derivation) add(p *profile.Profile) {
	if d == nil {
		return
	}
	if d.derived == nil {
		d.derived = map[string]*profile.Profile{}
	}
	d.derived[p.ID] = p
}

// isFast reports whether a new record can be applied to its profile as
// stored: it joined the profile without changing its membership (no
// change), or its new identifier set joined the profile, which lost
// nothing (lr.Placed). A resolution that keeps the profile's ID may still
// take identifiers out of it (one became shared): that profile is derived.
func isFast(lr *identity.Result) bool {
	cs := lr.Changes
	return len(cs) == 0 || (len(cs) == 1 && cs[0].Kind == identity.Updated && cs[0].Profile == lr.Profile && lr.Placed != nil)
}

// applyChanges brings the stored profiles up to date after a graph change
// and returns the feed entries to append. A new record that joins one
// profile without changing its membership updates it incrementally; every
// other case re-derives the profiles concerned from their records.
// With digest non-nil, the fast path stores there the traits digests of the
// profile before and after the update.
//
// d (which may be nil) holds what the caller has read already, and receives
// the profiles derived.
func (e *Engine) applyChanges(tx store.Tx, r *profile.Record, added bool, lr *identity.Result, digest *[2]uint64, d *derivation) ([]Change, error) {
	key := ""
	if d != nil && d.key != "" {
		key = d.key
	} else if r != nil {
		key = r.Key()
	}
	cs := lr.Changes
	if added && isFast(lr) {
		p, err := e.loadProfile(tx, lr.Profile)
		if err != nil {
			return nil, err
		}
		if digest != nil {
			digest[0] = traitsDigest(e.seed, &p.Traits)
		}
		var linked func(identity.ID) bool
		held := func(id identity.ID) bool { _, ok := p.Identifier(id); return ok }
		if len(cs) == 0 {
			linked = held
		} else {
			// The record's new set joined the profile, which lost nothing:
			// it holds what it held and what the set brought.
			placed := memberFilter(lr.Placed)
			linked = func(id identity.ID) bool { return held(id) || placed(id) }
		}
		p.Apply(r, e.profileOptions(linked))
		if digest != nil {
			digest[1] = traitsDigest(e.seed, &p.Traits)
		}
		segs, err := e.saveProfile(tx, p)
		if err != nil {
			return nil, err
		}
		return append([]Change{{Kind: ProfileUpdated, Profile: p.ID, Record: key}}, withRecord(segs, key)...), nil
	}
	live := map[string]bool{}
	for _, c := range cs {
		if c.Kind != identity.Removed {
			live[c.Profile] = true
		}
	}
	var out []Change
	derived := false // lr.Profile
	for _, c := range cs {
		derived = derived || c.Profile == lr.Profile
		for _, from := range c.From {
			if !live[from] {
				if err := tx.Delete(profileKey(from)); err != nil {
					return nil, err
				}
			}
		}
		if c.Kind == identity.Removed {
			if err := tx.Delete(profileKey(c.Profile)); err != nil {
				return nil, err
			}
			out = append(out, Change{Kind: changeKind(c.Kind), Profile: c.Profile, From: c.From, Record: key})
			continue
		}
		segs, err := e.derive(tx, c.Profile, d)
		if err != nil {
			return nil, err
		}
		out = append(out, Change{Kind: changeKind(c.Kind), Profile: c.Profile, From: c.From, Record: key})
		out = append(out, withRecord(segs, key)...)
	}
	if !derived && lr.Profile != "" {
		// A replaced record that joins a profile without changing its
		// identifiers: the profile still changes (attributes, traits).
		segs, err := e.derive(tx, lr.Profile, d)
		if err != nil {
			return nil, err
		}
		out = append(out, Change{Kind: ProfileUpdated, Profile: lr.Profile, Record: key})
		out = append(out, withRecord(segs, key)...)
	}
	return out, nil
}

func memberFilter(ids []identity.ID) func(identity.ID) bool {
	return func(id identity.ID) bool {
		_, ok := slices.BinarySearchFunc(ids, id, identity.ID.Compare)
		return ok
	}
}

// deriveProfile recomputes profile pid from its records and returns the
// segment entries for the feed.
func (e *Engine) deriveProfile(tx store.Tx, pid string) ([]Change, error) {
	return e.derive(tx, pid, nil)
}

// derive is deriveProfile with what d holds (d may be nil).
func (e *Engine) derive(tx store.Tx, pid string, d *derivation) ([]Change, error) {
	m, err := e.graph.Members(tx, pid)
	if err != nil {
		return nil, err
	}
	keys, err := e.graph.MemberRecords(tx, m)
	if err != nil {
		return nil, err
	}
	recs := make([]*profile.Record, 0, len(keys))
	for _, k := range keys {
		r := d.record(k.Source, k.ID)
		if r == nil {
			if r, err = e.loadRecord(tx, k.Source, k.ID); err != nil {
				return nil, err
			}
		}
		recs = append(recs, r)
	}
	p := profile.Derive(pid, recs, e.profileOptions(memberFilter(m.IDs)))
	if p.Aliases, err = e.graph.Aliases(tx, pid, keys); err != nil {
		return nil, err
	}
	if e.segments != nil {
		// The memberships the profile had under this ID, to report what changed.
		if old := d.stored(pid); old != nil {
			p.Segments = old.Segments
		} else if old, err := e.loadProfile(tx, pid); err == nil {
			p.Segments = old.Segments
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	segs, err := e.saveProfile(tx, p)
	if err != nil {
		return nil, err
	}
	d.add(p)
	return segs, nil
}

func withRecord(cs []Change, key string) []Change {
	for i := range cs {
		cs[i].Record = key
	}
	return cs
}

func (e *Engine) loadRecord(tx store.Tx, source, id string) (*profile.Record, error) {
	b, err := tx.Get(recordKey(source, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: record %s/%s", ErrNotFound, source, id)
	}
	if err != nil {
		return nil, err
	}
	r := new(profile.Record)
	if err := r.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("unify: record %s/%s: %w", source, id, err)
	}
	return r, nil
}

func (e *Engine) loadProfile(tx store.Tx, pid string) (*profile.Profile, error) {
	b, err := tx.Get(profileKey(pid))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: profile %s", ErrNotFound, pid)
	}
	if err != nil {
		return nil, err
	}
	p := new(profile.Profile)
	if err := p.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("unify: profile %s: %w", pid, err)
	}
	return p, nil
}

// saveProfile evaluates the segments of p (whose Segments hold the
// memberships it had before), stores it, and returns the segment entries
// for the feed.
func (e *Engine) saveProfile(tx store.Tx, p *profile.Profile) ([]Change, error) {
	cs := e.evaluateSegments(p)
	b, err := p.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	return cs, tx.Set(profileKey(p.ID), b)
}

// Delete removes a record (wrong data, a source withdrawn) and re-derives
// what it affected: a profile it linked splits again exactly. Deleting a
// missing record returns ErrNotFound.
func (e *Engine) Delete(ctx context.Context, source, id string) ([]Change, error) {
	return e.removeRecords(ctx, func(store.Tx) ([]recordRef, string, error) { return []recordRef{{source, id}}, "", nil }, false)
}

type recordRef struct{ source, id string }

// removeRecords removes the records that find returns, in the transaction
// that finds them, so that nothing ingested in between escapes.
// With erase, find returns the records of one profile, whose ID is erased.
func (e *Engine) removeRecords(ctx context.Context, find func(store.Tx) ([]recordRef, string, error), erase bool) ([]Change, error) {
	var out []Change
	err := e.update(ctx, func(tx store.Tx) error {
		out = nil
		refs, erased, err := find(tx)
		if err != nil {
			return err
		}
		// Profiles that only lost records (the graph reports them Updated,
		// nothing merged or split) are derived once, after the last
		// record goes: an erasure removes every record of a profile, and
		// deriving it after each would read its records over and over.
		var updated []string
		seen := map[string]bool{}
		for _, ref := range refs {
			if _, err := tx.Get(recordKey(ref.source, ref.id)); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: record %s/%s", ErrNotFound, ref.source, ref.id)
			} else if err != nil {
				return err
			}
			if err := tx.Delete(recordKey(ref.source, ref.id)); err != nil {
				return err
			}
			unlink := e.graph.Unlink
			if erase {
				unlink = e.graph.Erase
			}
			lr, err := unlink(tx, ref.source, ref.id)
			if err != nil {
				return err
			}
			kept := lr.Changes[:0:0]
			for _, c := range lr.Changes {
				if c.Kind == identity.Updated && len(c.From) == 0 {
					if !seen[c.Profile] {
						seen[c.Profile] = true
						updated = append(updated, c.Profile)
					}
					continue
				}
				kept = append(kept, c)
			}
			lr.Changes = kept
			cs, err := e.applyChanges(tx, nil, false, lr, nil, nil)
			if err != nil {
				return err
			}
			for i := range cs {
				cs[i].Record = ref.source + "/" + ref.id
				if erase {
					cs[i].Record = "" // the feed keeps no trace of erased records
				}
			}
			out = append(out, cs...)
		}
		for _, pid := range updated {
			segs, err := e.deriveProfile(tx, pid)
			if errors.Is(err, identity.ErrNotFound) {
				continue // merged, split away or erased since
			} else if err != nil {
				return err
			}
			key := ""
			if !erase && len(refs) == 1 {
				key = refs[0].source + "/" + refs[0].id
			}
			out = append(out, Change{Kind: ProfileUpdated, Profile: pid, Record: key})
			out = append(out, withRecord(segs, key)...)
		}
		if erase {
			out = eraseChanges(erased, out)
		}
		return e.appendChanges(tx, out)
	})
	if err != nil {
		return nil, err
	}
	if len(out) > 0 {
		e.wake()
	}
	return out, nil
}

// eraseChanges reports the erasure of profile pid as one ProfileErased
// entry and drops the intermediate entries of that profile (updates,
// renames, the final removal), keeping the last entry of any other profile
// the erasure touched.
func eraseChanges(pid string, cs []Change) []Change {
	erased := map[string]bool{pid: true}
	for _, c := range cs {
		if c.Kind == ProfileRenamed && len(c.From) > 0 && erased[c.From[0]] {
			erased[c.Profile] = true
		}
	}
	out := []Change{{Kind: ProfileErased, Profile: pid}}
	last := map[string]int{}
	for _, c := range cs {
		if erased[c.Profile] {
			continue
		}
		if i, ok := last[c.Profile]; ok {
			out[i] = c
			continue
		}
		last[c.Profile] = len(out)
		out = append(out, c)
	}
	return out
}
