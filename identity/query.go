package identity

import (
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/unifycdp/unify/store"
)

// Lookup returns the profile that holds id (normalized), or ErrNotFound.
// A value that is blocked, shared or was refused by every record that
// carried it is in no profile; ExplainID says why.
func (g *Graph) Lookup(tx store.Tx, id ID) (string, error) {
	b, err := tx.Get(g.identKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: identifier %s", ErrNotFound, id.Type)
	}
	if err != nil {
		return "", err
	}
	s, err := decodeIdent(b)
	if err != nil {
		return "", err
	}
	if s.profile == "" {
		return "", fmt.Errorf("%w: identifier %s is in no profile", ErrNotFound, id.Type)
	}
	return s.profile, nil
}

// RecordProfile returns the profile that holds a record.
func (g *Graph) RecordProfile(tx store.Tx, source, id string) (string, error) {
	o := g.newOp(tx)
	rs, err := o.recordState(source, id)
	if err != nil {
		return "", err
	}
	if rs == nil {
		return "", fmt.Errorf("%w: record %s/%s", ErrNotFound, source, id)
	}
	s, err := o.set(rs.set)
	if err != nil {
		return "", err
	}
	if s == nil || s.profile == "" {
		return "", fmt.Errorf("%w: record %s/%s points to a missing set", errCorrupt, source, id)
	}
	return s.profile, nil
}

// CurrentID follows aliases: it returns the ID that the profile once
// named pid is known by now. A merged-away ID resolves to the survivor.
func (g *Graph) CurrentID(tx store.Tx, pid string) (string, error) {
	if _, err := tx.Get(g.profileKey(pid)); err == nil {
		return pid, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	b, err := tx.Get(g.aliasKey(pid))
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: profile %s", ErrNotFound, pid)
	}
	if err != nil {
		return "", err
	}
	r := reader{b: b}
	src, id := r.str(), r.str()
	if r.err != nil {
		return "", r.err
	}
	p, err := g.RecordProfile(tx, src, id)
	if errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("%w: profile %s (its record is gone)", ErrNotFound, pid)
	}
	return p, err
}

// Members describes a profile as the graph sees it.
type Members struct {
	ID     string
	Anchor RecordKey // the earliest record; it names the profile
	IDs    []ID      // identifiers placed in the profile, sorted
	sets   []SetHash
}

// Members returns the identifiers of profile pid (no alias following).
func (g *Graph) Members(tx store.Tx, pid string) (*Members, error) {
	b, err := tx.Get(g.profileKey(pid))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: profile %s", ErrNotFound, pid)
	}
	if err != nil {
		return nil, err
	}
	ps, err := decodeProfile(b)
	if err != nil {
		return nil, err
	}
	return &Members{ID: pid, Anchor: ps.anchor, IDs: ps.ids, sets: ps.sets}, nil
}

// Records returns the keys of every record in profile pid, in canonical
// order (oldest first).
func (g *Graph) Records(tx store.Tx, pid string) ([]RecordKey, error) {
	m, err := g.Members(tx, pid)
	if err != nil {
		return nil, err
	}
	return g.MemberRecords(tx, m)
}

// MemberRecords is Records of a profile whose Members the caller holds
// (read in the same transaction).
func (g *Graph) MemberRecords(tx store.Tx, m *Members) ([]RecordKey, error) {
	var out []RecordKey
	for _, h := range m.sets {
		prefix := g.setRecPrefix(h)
		it := tx.Iterate(store.IterOptions{Prefix: prefix, KeysOnly: true})
		for it.Next() {
			k, err := decodeSetRecKey(it.Key()[len(prefix):])
			if err != nil {
				it.Close()
				return nil, err
			}
			out = append(out, k)
		}
		err := it.Err()
		it.Close()
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, RecordKey.Compare)
	return out, nil
}

func decodeSetRecKey(b []byte) (RecordKey, error) {
	r := store.NewKeyReader(b)
	t, err1 := r.Int64()
	src, err2 := r.String()
	id, err3 := r.String()
	if err := errors.Join(err1, err2, err3); err != nil {
		return RecordKey{}, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return RecordKey{t, src, id}, nil
}

// Profiles iterates over every profile ID in key order.
func (g *Graph) Profiles(tx store.Tx) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		prefix := g.key(nsProfile)
		it := tx.Iterate(store.IterOptions{Prefix: prefix, KeysOnly: true})
		defer it.Close()
		for it.Next() {
			r := store.NewKeyReader(it.Key()[len(prefix):])
			pid, err := r.String()
			if !yield(pid, err) || err != nil {
				return
			}
		}
		if err := it.Err(); err != nil {
			yield("", err)
		}
	}
}

// Aliases returns the IDs that other profiles had before they merged into
// pid: the names of records in pid that once named a profile of their own.
func (g *Graph) Aliases(tx store.Tx, pid string, records []RecordKey) ([]string, error) {
	var out []string
	for _, k := range records {
		a := ProfileIDFor(k.Source, k.ID)
		if a == pid {
			continue
		}
		if _, err := tx.Get(g.aliasKey(a)); err == nil {
			out = append(out, a)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	slices.Sort(out)
	return out, nil
}

// Erase removes the evidence of a record like Unlink and also forgets the
// profile ID the record gave, so that nothing derived from it remains.
func (g *Graph) Erase(tx store.Tx, source, id string) (*Result, error) {
	res, err := g.Unlink(tx, source, id)
	if err != nil {
		return nil, err
	}
	return res, tx.Delete(g.aliasKey(ProfileIDFor(source, id)))
}
