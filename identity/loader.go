package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"math"
	"math/bits"
	"slices"

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
// Memory: per record, a 64-bit hash of its key and the index of its
// identifier set (16 bytes); per distinct identifier set, ~70 bytes, its anchor's record ID
// and 4 bytes an identifier; per identifier, ~50 bytes and its value.
// None of it holds pointers, so the garbage collector does not walk it.
// Record keys themselves are not kept: the caller, which stores the
// records, hands them back to RecordSet and WriteRecord. Strings the
// Loader returns share its memory. A Loader is not safe for concurrent
// use, except RecordSet, SetOf and SetProfile after Resolve (each
// goroutine writes records through its own RecordWriter).
type Loader struct {
	g        *Graph
	distinct bool
	seed     maphash.Seed
	t        *setTable
	recs     []loadedRecord // sorted by key after Resolve
	index    []uint32       // after Resolve: recs[index[b]:index[b+1]] have key>>shift == b
	shift    uint
	st       *rebuildState
}

type loadedRecord struct {
	key uint64 // maphash of source and ID
	set int32  // index of its identifier set
}

// NewLoader returns a Loader for g. The store g will be written to must
// hold no graph yet.
func (g *Graph) NewLoader(opts LoaderOptions) *Loader {
	return &Loader{g: g, distinct: opts.Distinct, seed: maphash.MakeSeed(), t: newSetTable()}
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
	if len(l.recs) >= math.MaxUint32 {
		return fmt.Errorf("identity: more than %d records for one Loader", uint32(math.MaxUint32))
	}
	h := hashIDs(ids)
	i, added, err := l.t.add(h, ids, rec, 1)
	if err != nil {
		return err
	}
	if !added {
		l.t.ents[i].count++
		if rec.Compare(l.t.anchor(i)) < 0 {
			l.t.setAnchor(i, rec)
		}
	}
	l.recs = append(l.recs, loadedRecord{l.recordHash(rec.Source, rec.ID), i})
	return nil
}

// Records returns how many records were added.
func (l *Loader) Records() int { return len(l.recs) }

// Resolve resolves everything added.
func (l *Loader) Resolve(ctx context.Context) (*Report, error) {
	if l.st != nil {
		return nil, fmt.Errorf("identity: Loader.Resolve called twice")
	}
	slices.SortFunc(l.recs, func(a, b loadedRecord) int { return cmp.Compare(a.key, b.key) })
	if !l.distinct {
		for i := 1; i < len(l.recs); i++ {
			if l.recs[i].key == l.recs[i-1].key {
				return nil, ErrDuplicateRecords
			}
		}
	}
	l.buildIndex()
	rep, st, err := l.g.resolveSets(ctx, l.t, &l.g.pol, false)
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
	return l.t.ents[recs[i].set].hash, true
}

// SetOf returns the identifier set of a record carrying ids, after
// Resolve; false if no record added carried exactly those identifiers.
func (l *Loader) SetOf(ids []ID) (SetHash, bool) {
	ids = canonicalIDs(ids)
	if len(ids) == 0 {
		return SetHash{}, false
	}
	h := hashIDs(ids)
	_, ok := l.t.find(h)
	return h, ok
}

// SetProfile returns the profile an identifier set resolved to.
func (l *Loader) SetProfile(h SetHash) string {
	if l.st == nil {
		return ""
	}
	if i, ok := l.t.find(h); ok {
		return l.st.pid(l.t.ents[i].prof)
	}
	return ""
}

// ProfileList iterates over the IDs of the profiles after Resolve.
func (l *Loader) ProfileList() iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range l.st.profs {
			if !yield(l.st.pid(int32(k))) {
				return
			}
		}
	}
}

// ProfileCount returns how many profiles Resolve made.
func (l *Loader) ProfileCount() int { return len(l.st.profs) }

// ProfileIDs returns the identifiers of profile pid after Resolve.
func (l *Loader) ProfileIDs(pid string) []ID {
	if k, ok := l.st.profile(pid); ok {
		return l.st.profileIDs(k)
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
	// Keys are built in one reused buffer: a KeyWriter copies what it
	// keeps (store.Batch does), and a million records would otherwise make
	// tens of millions of small allocations.
	g, t := l.g, l.t
	var kb []byte
	empty := []byte{}
	for i := range t.ents {
		h := t.ents[i].hash
		for _, m := range t.memberIdx(int32(i)) {
			kb = store.AppendBytes(g.identSetPrefixTo(kb, t.ids.id(m)), h[:])
			if err := w.Set(kb, empty); err != nil {
				return err
			}
		}
	}
	return l.st.writeEntries(g, w.Set)
}
