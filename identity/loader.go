package identity

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/unifycdp/unify/store"
)

// KeyWriter takes the writes of a bulk load; store.Batch is one. Set
// must copy what it keeps: the Loader reuses its buffers.
type KeyWriter interface {
	Set(key, value []byte) error
}

// Loader resolves a whole data set in memory and writes the graph in one
// pass: the bulk path for loading history into an EMPTY graph. Add every
// record, Resolve, then Write. The graph it writes is the one that Link of
// every record, in any order, would have built.
//
// A Loader holds a compact entry per record and per identifier set in
// memory; it is not safe for concurrent use.
type Loader struct {
	g       *Graph
	sets    map[SetHash]*setState
	records map[string]loadedRecord // source + "\x00" + id
	st      *rebuildState
	fixes   map[SetHash]bool // sets whose anchor was replaced
	// strs holds one copy of each identifier type, value and source the
	// Loader keeps: callers' strings often point into a whole input line,
	// which would otherwise stay in memory for the life of the Loader.
	strs map[string]string
}

type loadedRecord struct {
	time int64
	set  SetHash
}

// NewLoader returns a Loader for g. The store g will be written to must
// hold no graph yet.
func (g *Graph) NewLoader() *Loader {
	return &Loader{g: g, sets: map[SetHash]*setState{}, records: map[string]loadedRecord{}, fixes: map[SetHash]bool{}, strs: map[string]string{}}
}

// Add records that rec carries ids. A second Add of the same source and ID
// replaces the first, as Link does. It reports whether the record replaced
// an earlier version.
func (l *Loader) Add(rec RecordKey, ids []ID) (replaced bool, err error) {
	ids = canonicalIDs(ids)
	if len(ids) == 0 {
		return false, fmt.Errorf("%w: %s", ErrNoIdentifiers, rec)
	}
	h := hashIDs(ids)
	k := rec.Source + "\x00" + rec.ID
	if old, ok := l.records[k]; ok {
		if old.time == rec.Time && old.set == h {
			return false, nil
		}
		replaced = true
		s := l.sets[old.set]
		s.count--
		if s.count == 0 {
			delete(l.sets, old.set)
			delete(l.fixes, old.set)
		} else if s.anchor == (RecordKey{old.time, rec.Source, rec.ID}) {
			l.fixes[old.set] = true
		}
	}
	l.records[k] = loadedRecord{rec.Time, h}
	s := l.sets[h]
	if s == nil {
		for i := range ids {
			ids[i] = ID{Type(l.intern(string(ids[i].Type))), l.intern(ids[i].Value)}
		}
		l.sets[h] = &setState{ids: ids, anchor: l.own(rec), count: 1}
		return replaced, nil
	}
	s.count++
	if rec.Compare(s.anchor) < 0 {
		s.anchor = l.own(rec)
	}
	return replaced, nil
}

func (l *Loader) intern(s string) string {
	if c, ok := l.strs[s]; ok {
		return c
	}
	c := strings.Clone(s)
	l.strs[c] = c
	return c
}

// own returns rec with strings of the Loader's own.
func (l *Loader) own(rec RecordKey) RecordKey {
	return RecordKey{rec.Time, l.intern(rec.Source), strings.Clone(rec.ID)}
}

// Records returns how many records were added.
func (l *Loader) Records() int { return len(l.records) }

// Resolve resolves everything added.
func (l *Loader) Resolve(ctx context.Context) (*Report, error) {
	if len(l.fixes) > 0 {
		// Replaced anchors: find each set's earliest remaining record.
		for h := range l.fixes {
			l.sets[h].anchor = RecordKey{}
		}
		for k, r := range l.records {
			if !l.fixes[r.set] {
				continue
			}
			src, id, _ := strings.Cut(k, "\x00")
			rk := RecordKey{r.time, src, id}
			s := l.sets[r.set]
			if s.anchor == (RecordKey{}) || rk.Compare(s.anchor) < 0 {
				s.anchor = rk
			}
		}
	}
	rep, st, err := l.g.resolveSets(ctx, l.sets, &l.g.pol, false)
	if err != nil {
		return nil, err
	}
	l.st = st
	return rep, nil
}

// RecordProfile returns the profile of a record after Resolve.
func (l *Loader) RecordProfile(source, id string) (string, bool) {
	r, ok := l.records[source+"\x00"+id]
	if !ok {
		return "", false
	}
	return l.sets[r.set].profile, true
}

// Profiles iterates over the profiles after Resolve, with their
// identifiers (sorted).
func (l *Loader) Profiles() iter.Seq2[string, []ID] {
	return func(yield func(string, []ID) bool) {
		for pid, ps := range l.st.profiles {
			if !yield(pid, ps.ids) {
				return
			}
		}
	}
}

// ProfileIDs returns the identifiers of profile pid after Resolve.
func (l *Loader) ProfileIDs(pid string) []ID {
	if ps := l.st.profiles[pid]; ps != nil {
		return ps.ids
	}
	return nil
}

// Write writes the resolved graph. Keys are written in no particular order.
func (l *Loader) Write(w KeyWriter) error {
	if l.st == nil {
		return fmt.Errorf("identity: Loader.Write before Resolve")
	}
	g := l.g
	var err error
	set := func(k, v []byte) {
		if err == nil {
			if v == nil {
				v = []byte{}
			}
			err = w.Set(k, v)
		}
	}
	// Keys and values are built in two reused buffers: a KeyWriter copies
	// what it keeps (store.Batch does), and a million records would
	// otherwise make tens of millions of small allocations.
	var kb, vb []byte
	for k, r := range l.records {
		src, id, _ := strings.Cut(k, "\x00")
		kb = g.recordKeyTo(kb, src, id)
		vb = (&recordState{r.time, r.set}).appendTo(vb)
		set(kb, vb)
		kb = g.setRecKeyTo(kb, r.set, RecordKey{r.time, src, id})
		set(kb, nil)
	}
	for h, s := range l.sets {
		for _, id := range s.ids {
			kb = store.AppendBytes(g.identSetPrefixTo(kb, id), h[:])
			set(kb, nil)
		}
	}
	st := l.st
	for h, ss := range st.sets {
		kb = g.setKeyTo(kb, h)
		vb = ss.appendTo(vb)
		set(kb, vb)
	}
	for id, is := range st.idents {
		kb = g.identKeyTo(kb, id)
		vb = is.appendTo(vb)
		set(kb, vb)
	}
	for c, list := range st.comps {
		set(g.compKey(c), (&compState{sets: list, clean: st.clean[c]}).encode())
	}
	pids := make([]string, 0, len(st.profiles))
	for pid := range st.profiles {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	for _, pid := range pids {
		ps := st.profiles[pid]
		set(g.profileKey(pid), ps.encode())
		aw := writer{}
		aw.str(ps.anchor.Source)
		aw.str(ps.anchor.ID)
		set(g.aliasKey(pid), aw.b)
	}
	return err
}
