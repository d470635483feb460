package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"math/bits"
	"slices"
	"strings"

	"github.com/unifycdp/unify/store"
)

// KeyWriter takes the writes of a bulk load; store.Batch is one. Set
// must copy what it keeps: the Loader reuses its buffers.
type KeyWriter interface {
	Set(key, value []byte) error
}

// ErrDuplicateRecords is returned by Loader.Resolve when two records added
// to a Loader made without LoaderOptions.Distinct share a key hash: most
// likely the same record (source and ID) was added twice, but the Loader
// keeps no record keys and cannot tell that from a hash collision. Add the
// records again, each once (the version the caller keeps), to a Loader with
// Distinct set.
var ErrDuplicateRecords = errors.New("identity: a record was added to the loader more than once")

// LoaderOptions configure a Loader. The zero value is a Loader that
// detects records added twice (ErrDuplicateRecords).
type LoaderOptions struct {
	// Distinct promises that every record is added once (its source and
	// ID are unique, as keys in a store are). Records whose key hashes
	// collide are then told apart by their identifiers (SetOf).
	Distinct bool
}

// Loader resolves a whole data set in memory and writes the graph in one
// pass: the bulk path for loading history into an EMPTY graph. Add every
// record, Resolve, then Write the graph and WriteRecord each record. The
// graph it writes is the one that Link of every record, in any order, would
// have built.
//
// Memory: per record, a 64-bit hash of its key and its identifier set (24
// bytes); per distinct identifier set, the identifiers and the set's
// earliest record; one copy of each identifier. Record keys themselves are
// not kept: the caller, which stores the records, hands them back to
// RecordSet and WriteRecord. A Loader is not safe for concurrent use,
// except RecordSet, SetOf and SetProfile after Resolve (each goroutine
// writes records through its own RecordWriter).
type Loader struct {
	g        *Graph
	distinct bool
	seed     maphash.Seed
	sets     map[SetHash]*setState
	recs     []loadedRecord // sorted by key after Resolve
	index    []uint32       // after Resolve: recs[index[b]:index[b+1]] have key>>shift == b
	shift    uint
	st       *rebuildState
	// strs holds one copy of each identifier type, value and source the
	// Loader keeps: callers' strings often point into a whole input line,
	// which would otherwise stay in memory for the life of the Loader.
	strs map[string]string
}

type loadedRecord struct {
	key uint64 // maphash of source and ID
	set SetHash
}

// NewLoader returns a Loader for g. The store g will be written to must
// hold no graph yet.
func (g *Graph) NewLoader(opts LoaderOptions) *Loader {
	return &Loader{g: g, distinct: opts.Distinct, seed: maphash.MakeSeed(), sets: map[SetHash]*setState{}, strs: map[string]string{}}
}

func (l *Loader) recordHash(source, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteString(source)
	h.WriteByte(0)
	h.WriteString(id)
	return h.Sum64()
}

// Add records that rec carries ids. Each record must be added once (see
// ErrDuplicateRecords).
func (l *Loader) Add(rec RecordKey, ids []ID) error {
	if l.st != nil {
		return fmt.Errorf("identity: Loader.Add after Resolve")
	}
	ids = canonicalIDs(ids)
	if len(ids) == 0 {
		return fmt.Errorf("%w: %s", ErrNoIdentifiers, rec)
	}
	h := hashIDs(ids)
	l.recs = append(l.recs, loadedRecord{l.recordHash(rec.Source, rec.ID), h})
	s := l.sets[h]
	if s == nil {
		for i := range ids {
			ids[i] = ID{Type(l.intern(string(ids[i].Type))), l.intern(ids[i].Value)}
		}
		l.sets[h] = &setState{ids: ids, anchor: l.own(rec), count: 1}
		return nil
	}
	s.count++
	if rec.Compare(s.anchor) < 0 {
		s.anchor = l.own(rec)
	}
	return nil
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
func (l *Loader) Records() int { return len(l.recs) }

// Resolve resolves everything added.
func (l *Loader) Resolve(ctx context.Context) (*Report, error) {
	if l.st != nil {
		return nil, fmt.Errorf("identity: Loader.Resolve called twice")
	}
	l.strs = nil // every string the Loader keeps is in its sets now
	slices.SortFunc(l.recs, func(a, b loadedRecord) int { return cmp.Compare(a.key, b.key) })
	if !l.distinct {
		for i := 1; i < len(l.recs); i++ {
			if l.recs[i].key == l.recs[i-1].key {
				return nil, ErrDuplicateRecords
			}
		}
	}
	l.buildIndex()
	rep, st, err := l.g.resolveSets(ctx, l.sets, &l.g.pol, false)
	if err != nil {
		return nil, err
	}
	l.st = st
	return rep, nil
}

// buildIndex maps the top bits of a key hash to where its records start,
// about four records a bucket: a lookup is then one or two cache misses
// rather than the two dozen of a binary search over millions.
func (l *Loader) buildIndex() {
	b := max(1, bits.Len(uint(len(l.recs)/4)))
	l.shift = uint(64 - b)
	l.index = make([]uint32, 1<<b+1)
	i := 0
	for bucket := range 1 << b {
		l.index[bucket] = uint32(i)
		for i < len(l.recs) && l.recs[i].key>>l.shift == uint64(bucket) {
			i++
		}
	}
	l.index[1<<b] = uint32(len(l.recs))
}

// RecordSet returns the identifier set of a record after Resolve. It
// reports false when no record was added with that source and ID, and
// also when two records of a Distinct Loader share its key hash: the
// caller then asks SetOf with the record's identifiers.
func (l *Loader) RecordSet(source, id string) (SetHash, bool) {
	if l.st == nil {
		return SetHash{}, false
	}
	k := l.recordHash(source, id)
	b := k >> l.shift
	recs := l.recs[l.index[b]:l.index[b+1]]
	i, found := slices.BinarySearchFunc(recs, k, func(r loadedRecord, k uint64) int { return cmp.Compare(r.key, k) })
	if !found || (i+1 < len(recs) && recs[i+1].key == k) {
		return SetHash{}, false
	}
	return recs[i].set, true
}

// SetOf returns the identifier set of a record carrying ids, after
// Resolve; false if no record added carried exactly those identifiers.
func (l *Loader) SetOf(ids []ID) (SetHash, bool) {
	ids = canonicalIDs(ids)
	if len(ids) == 0 {
		return SetHash{}, false
	}
	h := hashIDs(ids)
	_, ok := l.sets[h]
	return h, ok
}

// SetProfile returns the profile an identifier set resolved to.
func (l *Loader) SetProfile(h SetHash) string {
	if s := l.sets[h]; s != nil {
		return s.profile
	}
	return ""
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

// RecordWriter writes the graph's entries of single records (WriteRecord);
// each goroutine uses its own.
type RecordWriter struct {
	l      *Loader
	w      KeyWriter
	kb, vb []byte
}

// RecordWriter returns a writer of record entries to w.
func (l *Loader) RecordWriter(w KeyWriter) *RecordWriter { return &RecordWriter{l: l, w: w} }

// WriteRecord writes the graph's entries for one record added with
// identifier set h (RecordSet or SetOf). Every record added must be
// written once, after Resolve, for the graph to be complete.
func (rw *RecordWriter) WriteRecord(rec RecordKey, h SetHash) error {
	g := rw.l.g
	rw.kb = g.recordKeyTo(rw.kb, rec.Source, rec.ID)
	rw.vb = (&recordState{rec.Time, h}).appendTo(rw.vb)
	if err := rw.w.Set(rw.kb, rw.vb); err != nil {
		return err
	}
	rw.kb = g.setRecKeyTo(rw.kb, h, rec)
	return rw.w.Set(rw.kb, []byte{})
}

// Write writes the resolved graph but for the entries of single records
// (WriteRecord). Keys are written in no particular order.
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
