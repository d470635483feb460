package identity

import (
	"errors"
	"fmt"
	"slices"

	"github.com/unifycdp/unify/store"
)

// Errors of the graph.
var (
	// ErrNotFound: no profile holds the identifier, record or profile ID.
	ErrNotFound = errors.New("identity: not found")
	// ErrNotLinked: two identifiers are not in one profile.
	ErrNotLinked = errors.New("identity: identifiers are not in one profile")
	// ErrComponentCap: a component reached Policies.MaxComponentSets and an
	// identifier was unlinked to keep it under the cap.
	ErrComponentCap = errors.New("identity: component size cap reached")
	// ErrNoIdentifiers: a record carries no identifier at all.
	ErrNoIdentifiers = errors.New("identity: record has no identifiers")
)

// Graph is the persistent identity graph. It keeps its state in a store
// under its own key prefix and works inside the caller's transactions, so
// that linking a record commits together with everything else the caller
// writes. A Graph holds no mutable state and is safe for concurrent use;
// concurrent transactions that touch the same component conflict in the
// store and are retried by the caller.
type Graph struct {
	pol    Policies
	prefix []byte
}

// Options configures a Graph. The zero value is usable.
type Options struct {
	// Policies; the zero value means DefaultPolicies().
	Policies *Policies
	// Prefix is prepended to every key the graph writes; nil means the
	// tuple ("identity").
	Prefix []byte
}

// New returns a Graph.
func New(opts Options) *Graph {
	g := &Graph{prefix: opts.Prefix}
	if opts.Policies != nil {
		g.pol = *opts.Policies
	} else {
		g.pol = DefaultPolicies()
	}
	if g.prefix == nil {
		g.prefix = store.AppendString(nil, "identity")
	}
	return g
}

// Policies returns the graph's policies.
func (g *Graph) Policies() Policies { return g.pol }

// Key spaces.
const (
	nsIdent    = "i" // type, value -> identState
	nsIdentSet = "x" // type, value, set -> nil
	nsSet      = "s" // set -> setState
	nsSetRec   = "t" // set, time, source, id -> nil
	nsRecord   = "r" // source, id -> recordState
	nsComp     = "c" // comp -> compState
	nsProfile  = "p" // profile -> profileState
	nsAlias    = "a" // profile -> source, id of the record that names it
)

// Keys. Each xKey function has an xKeyTo variant that builds the key in
// dst (reused from dst[:0]) for bulk writers that reuse one buffer.
func (g *Graph) key(ns string) []byte { return g.keyTo(nil, ns) }

func (g *Graph) keyTo(dst []byte, ns string) []byte {
	if dst == nil {
		dst = make([]byte, 0, len(g.prefix)+48)
	}
	return store.AppendString(append(dst[:0], g.prefix...), ns)
}

func (g *Graph) identKey(id ID) []byte { return g.identKeyTo(nil, id) }
func (g *Graph) identKeyTo(dst []byte, id ID) []byte {
	return store.AppendString(store.AppendString(g.keyTo(dst, nsIdent), string(id.Type)), id.Value)
}
func (g *Graph) identSetPrefix(id ID) []byte { return g.identSetPrefixTo(nil, id) }
func (g *Graph) identSetPrefixTo(dst []byte, id ID) []byte {
	return store.AppendString(store.AppendString(g.keyTo(dst, nsIdentSet), string(id.Type)), id.Value)
}
func (g *Graph) setKey(h SetHash) []byte { return g.setKeyTo(nil, h) }
func (g *Graph) setKeyTo(dst []byte, h SetHash) []byte {
	return store.AppendBytes(g.keyTo(dst, nsSet), h[:])
}
func (g *Graph) setRecPrefix(h SetHash) []byte {
	return store.AppendBytes(g.key(nsSetRec), h[:])
}
func (g *Graph) setRecKey(h SetHash, k RecordKey) []byte { return g.setRecKeyTo(nil, h, k) }
func (g *Graph) setRecKeyTo(dst []byte, h SetHash, k RecordKey) []byte {
	b := store.AppendInt64(store.AppendBytes(g.keyTo(dst, nsSetRec), h[:]), k.Time)
	return store.AppendString(store.AppendString(b, k.Source), k.ID)
}
func (g *Graph) recordKey(source, id string) []byte { return g.recordKeyTo(nil, source, id) }
func (g *Graph) recordKeyTo(dst []byte, source, id string) []byte {
	return store.AppendString(store.AppendString(g.keyTo(dst, nsRecord), source), id)
}
func (g *Graph) compKey(c uint64) []byte { return g.compKeyTo(nil, c) }
func (g *Graph) compKeyTo(dst []byte, c uint64) []byte {
	return store.AppendUint64(g.keyTo(dst, nsComp), c)
}
func (g *Graph) profileKey(p string) []byte { return g.profileKeyTo(nil, p) }
func (g *Graph) profileKeyTo(dst []byte, p string) []byte {
	return store.AppendString(g.keyTo(dst, nsProfile), p)
}
func (g *Graph) aliasKey(p string) []byte { return store.AppendString(g.key(nsAlias), p) }

// ChangeKind says what happened to a profile.
type ChangeKind uint8

const (
	Created ChangeKind = iota + 1 // a new profile
	Updated                       // same ID, different records or identifiers
	Merged                        // absorbed the profiles in From, keeps its ID
	Split                         // one of the parts profile From[0] split into
	Renamed                       // profile From[0] lost the record that named it
	Removed                       // profile no longer holds any record
)

func (k ChangeKind) String() string {
	switch k {
	case Created:
		return "created"
	case Updated:
		return "updated"
	case Merged:
		return "merged"
	case Split:
		return "split"
	case Renamed:
		return "renamed"
	case Removed:
		return "removed"
	}
	return fmt.Sprintf("ChangeKind(%d)", k)
}

// Change is what one link or unlink did to one profile.
type Change struct {
	Kind    ChangeKind
	Profile string
	From    []string `json:",omitempty"` // merged: the absorbed IDs (now aliases); split and renamed: the old ID
}

// Result reports a Link or Unlink.
type Result struct {
	// Profile holds the linked record; "" after Unlink.
	Profile string
	// Changes lists every profile whose membership changed, sorted by ID.
	// Empty when the record changed nothing (a duplicate, or a record that
	// joins a profile without changing its identifiers or order).
	Changes []Change
	// Refused lists links the record carried that resolution did not make.
	Refused []Refusal
	// Warnings holds ErrComponentCap and similar conditions that did not
	// stop the operation.
	Warnings []error
	// Placed lists, after a Link that joined the record's new identifier
	// set to Profile without resolving its component again (Profile gained
	// the set's new identifiers and lost none), the set's identifiers that
	// Profile holds, sorted. It is nil after any other Link.
	Placed []ID
	// Existed reports, for Link, that the graph held the record before
	// (this version or an earlier one): a caller that keeps records of its
	// own next to the graph's need look its copy up only then.
	Existed bool
}

// op accumulates reads and writes of one Link/Unlink inside a transaction.
type op struct {
	g       *Graph
	tx      store.Tx
	idents  map[ID]*identState
	sets    map[SetHash]*setState
	dirty   map[SetHash]bool   // sets whose component needs resolving
	comps   map[uint64]bool    // components to resolve as a whole
	removed map[SetHash]string // sets removed, with their profile
	warn    []error
	refused map[SetHash][]Refusal
	// identOrig holds identifier states as read, to skip unchanged writes.
	identOrig map[ID][]byte
	// joined is set by fastJoin.
	joined bool
	// kb and vb are buffers for the keys and values the op reads and
	// writes (a store keeps neither past the call).
	kb, vb []byte
}

// newOp returns an op; its maps are made on first write (most links
// touch a few of them).
func (g *Graph) newOp(tx store.Tx) *op {
	return &op{g: g, tx: tx}
}

func (o *op) markDirty(h SetHash) {
	if o.dirty == nil {
		o.dirty = map[SetHash]bool{}
	}
	o.dirty[h] = true
}

func (o *op) markComp(c uint64) {
	if o.comps == nil {
		o.comps = map[uint64]bool{}
	}
	o.comps[c] = true
}

func (o *op) keepSet(h SetHash, s *setState) {
	if o.sets == nil {
		o.sets = map[SetHash]*setState{}
	}
	o.sets[h] = s
}

// get reads the key that key builds in the op's key buffer.
func (o *op) get(key []byte) ([]byte, error) {
	o.kb = key
	return o.tx.Get(key)
}

// put writes key=value, built in the op's buffers (value may be nil).
func (o *op) put(key, value []byte) error {
	o.kb = key
	if cap(value) > cap(o.vb) {
		o.vb = value
	}
	return o.tx.Set(key, value)
}

func (o *op) ident(id ID) (*identState, error) {
	if s, ok := o.idents[id]; ok {
		return s, nil
	}
	b, err := o.get(o.g.identKeyTo(o.kb, id))
	var s *identState
	switch {
	case errors.Is(err, store.ErrNotFound):
		s = &identState{}
	case err != nil:
		return nil, err
	default:
		if s, err = decodeIdent(b); err != nil {
			return nil, err
		}
		if o.identOrig == nil {
			o.identOrig = map[ID][]byte{}
		}
		o.identOrig[id] = store.Copy(b)
	}
	if o.idents == nil {
		o.idents = map[ID]*identState{}
	}
	o.idents[id] = s
	return s, nil
}

func (o *op) set(h SetHash) (*setState, error) {
	if s, ok := o.sets[h]; ok {
		return s, nil
	}
	b, err := o.get(o.g.setKeyTo(o.kb, h))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := decodeSet(b)
	if err != nil {
		return nil, err
	}
	o.keepSet(h, s)
	return s, nil
}

// shared reports whether id has been seen with too many stronger values.
func (o *op) sharedState(id ID, s *identState) bool {
	if s.capped {
		return true
	}
	return sharedByRefs(&o.g.pol, id.Type, s.stronger)
}

// sharedByRefs reports whether a value of type t seen with refs is shared:
// seen with more values of one stronger type than Policies.sharedLimit.
func sharedByRefs(pol *Policies, t Type, refs []strongRef) bool {
	if pol.Policy(t).SharedAfter <= 0 || len(refs) == 0 {
		return false
	}
	var counts [8]struct {
		typ Type
		n   int
	}
	used := 0
	for _, r := range refs {
		i := 0
		for i < used && counts[i].typ != r.typ {
			i++
		}
		if i == used {
			if used == len(counts) {
				return true // more stronger types than anyone configures
			}
			counts[i].typ = r.typ
			used++
		}
		counts[i].n++
		if counts[i].n > pol.sharedLimit(t, r.typ) {
			return true
		}
	}
	return false
}

// valueHash is FNV-1a, written out: it runs for every pair of identifiers
// of every set in a bulk load, and hash/fnv allocates.
func valueHash(v string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(v); i++ {
		h ^= uint64(v[i])
		h *= 1099511628211
	}
	return h
}

// strongerRefs returns, for id, the stronger non-blocked identifiers in ids.
func (g *Graph) strongerRefs(id ID, ids []ID) []strongRef {
	return g.appendStrongerRefs(nil, id, ids)
}

func (g *Graph) appendStrongerRefs(out []strongRef, id ID, ids []ID) []strongRef {
	pr := g.pol.Policy(id.Type).Priority
	for _, w := range ids {
		if w == id || g.pol.Policy(w.Type).Priority <= pr || g.pol.BlockReason(w) != "" {
			continue
		}
		out = append(out, strongRef{w.Type, valueHash(w.Value)})
	}
	return out
}

// addStronger merges refs into the state of a value of type t, keeping per
// stronger type one more value than the shared limit (enough to decide),
// and reports whether anything was added.
func addStronger(pol *Policies, t Type, s *identState, refs []strongRef) bool {
	if pol.Policy(t).SharedAfter <= 0 {
		return false
	}
	changed := false
	for _, r := range refs {
		if slices.Contains(s.stronger, r) {
			continue
		}
		n := 0
		for _, x := range s.stronger {
			if x.typ == r.typ {
				n++
			}
		}
		if n > pol.sharedLimit(t, r.typ) {
			continue
		}
		s.stronger = append(s.stronger, r)
		changed = true
	}
	return changed
}

// Link adds the evidence that record rec carries ids, replacing what an
// earlier version of the same record (same source and ID) carried, and
// re-resolves the component it touches. Identifiers must be normalized;
// blocked values are kept but never link.
func (g *Graph) Link(tx store.Tx, rec RecordKey, ids []ID) (*Result, error) {
	ids = canonicalIDs(ids)
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoIdentifiers, rec)
	}
	h := hashIDs(ids)
	o := g.newOp(tx)
	old, err := o.recordState(rec.Source, rec.ID)
	if err != nil {
		return nil, err
	}
	if old != nil && old.time == rec.Time && old.set == h {
		s, err := o.set(h)
		if err != nil || s == nil {
			return nil, errors.Join(err, fmt.Errorf("%w: record %s points to a missing set", errCorrupt, rec))
		}
		return &Result{Profile: s.profile, Existed: true}, nil
	}
	var left string // the profile the old version was in
	if old != nil {
		if left, err = o.removeRecordFrom(RecordKey{old.time, rec.Source, rec.ID}, old.set); err != nil {
			return nil, err
		}
	}
	if err := o.addRecord(rec, h, ids); err != nil {
		return nil, err
	}
	res, err := o.resolve()
	if err != nil {
		return nil, err
	}
	s, err := o.set(h)
	if err != nil {
		return nil, err
	}
	res.Profile = s.profile
	res.Refused = o.lastRefusals(h)
	res.noteLeft(left)
	if o.joined {
		res.Placed = o.placed(s)
	}
	res.Existed = old != nil
	return res, nil
}

// removeRecordFrom removes a record's evidence and returns the profile it
// was in.
func (o *op) removeRecordFrom(rec RecordKey, h SetHash) (string, error) {
	s, err := o.set(h)
	if err != nil {
		return "", err
	}
	var pid string
	if s != nil {
		pid = s.profile
	}
	return pid, o.removeRecord(rec, h)
}

// noteLeft reports profile pid, which a record left, as Updated unless the
// result already says what became of it: when the identifiers the record
// carried stay (other records carry them too), resolution changes nothing,
// yet the profile lost the record's data.
func (res *Result) noteLeft(pid string) {
	if pid == "" || pid == res.Profile {
		return
	}
	for _, c := range res.Changes {
		if c.Profile == pid || slices.Contains(c.From, pid) {
			return
		}
	}
	res.Changes = append(res.Changes, Change{Kind: Updated, Profile: pid})
}

// placed returns the identifiers of set s that its profile holds, from the
// identifier states the op resolved (nil if it did not hold them all).
func (o *op) placed(s *setState) []ID {
	out := make([]ID, 0, len(s.ids))
	for _, id := range s.ids {
		is, ok := o.idents[id]
		if !ok {
			return nil
		}
		if s.profile != "" && is.profile == s.profile && o.g.pol.BlockReason(id) == "" && !o.sharedState(id, is) {
			out = append(out, id)
		}
	}
	return out
}

// Unlink removes the evidence of a record and re-resolves its component.
// Unlinking a record the graph does not hold returns ErrNotFound.
func (g *Graph) Unlink(tx store.Tx, source, id string) (*Result, error) {
	o := g.newOp(tx)
	old, err := o.recordState(source, id)
	if err != nil {
		return nil, err
	}
	if old == nil {
		return nil, fmt.Errorf("%w: record %s/%s", ErrNotFound, source, id)
	}
	left, err := o.removeRecordFrom(RecordKey{old.time, source, id}, old.set)
	if err != nil {
		return nil, err
	}
	res, err := o.resolve()
	if err != nil {
		return nil, err
	}
	res.noteLeft(left)
	return res, nil
}

func (o *op) recordState(source, id string) (*recordState, error) {
	b, err := o.get(o.g.recordKeyTo(o.kb, source, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(b)
}

func (o *op) addRecord(rec RecordKey, h SetHash, ids []ID) error {
	g := o.g
	if err := o.put(g.recordKeyTo(o.kb, rec.Source, rec.ID), (&recordState{rec.Time, h}).appendTo(o.vb)); err != nil {
		return err
	}
	if err := o.put(g.setRecKeyTo(o.kb, h, rec), nil); err != nil {
		return err
	}
	s, err := o.set(h)
	if err != nil {
		return err
	}
	if s != nil {
		s.count++
		if rec.Compare(s.anchor) < 0 {
			s.anchor = rec
			o.markDirty(h)
		}
		return o.putSet(h, s)
	}
	s = &setState{ids: ids, anchor: rec, count: 1}
	o.keepSet(h, s)
	o.markDirty(h)
	for _, id := range ids {
		if err := o.put(store.AppendBytes(g.identSetPrefixTo(o.kb, id), h[:]), nil); err != nil {
			return err
		}
		is, err := o.ident(id)
		if err != nil {
			return err
		}
		is.sets++
		wasShared := o.sharedState(id, is)
		addStronger(&g.pol, id.Type, is, g.strongerRefs(id, ids))
		if !wasShared && o.sharedState(id, is) && is.comp != 0 {
			// The value just became shared: its component splits.
			o.markComp(is.comp)
		}
	}
	return o.putSet(h, s)
}

func (o *op) putSet(h SetHash, s *setState) error {
	return o.put(o.g.setKeyTo(o.kb, h), s.appendTo(o.vb))
}

func (o *op) removeRecord(rec RecordKey, h SetHash) error {
	g := o.g
	if err := o.tx.Delete(g.recordKey(rec.Source, rec.ID)); err != nil {
		return err
	}
	if err := o.tx.Delete(g.setRecKey(h, rec)); err != nil {
		return err
	}
	s, err := o.set(h)
	if err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("%w: record %s points to a missing set", errCorrupt, rec)
	}
	if s.count > 1 {
		s.count--
		if s.anchor == rec {
			next, err := o.firstSetRecord(h)
			if err != nil {
				return err
			}
			s.anchor = next
			o.markDirty(h)
		}
		return o.putSet(h, s)
	}
	// The last record of the set: the set goes, and with it what its
	// identifiers had in common.
	if o.removed == nil {
		o.removed = map[SetHash]string{}
	}
	o.removed[h] = s.profile
	if s.comp != 0 {
		o.markComp(s.comp)
	}
	delete(o.sets, h)
	if err := o.tx.Delete(g.setKey(h)); err != nil {
		return err
	}
	for _, id := range s.ids {
		if err := o.tx.Delete(store.AppendBytes(g.identSetPrefix(id), h[:])); err != nil {
			return err
		}
		is, err := o.ident(id)
		if err != nil {
			return err
		}
		is.sets--
		if is.sets == 0 {
			*is = identState{}
			continue
		}
		wasShared := o.sharedState(id, is)
		if err := o.recountStronger(id, is); err != nil {
			return err
		}
		if wasShared && !o.sharedState(id, is) {
			// No longer shared: it links again, joining the components of
			// every set that carries it.
			if err := o.markSetsOf(id); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *op) firstSetRecord(h SetHash) (RecordKey, error) {
	it := o.tx.Iterate(store.IterOptions{Prefix: o.g.setRecPrefix(h), KeysOnly: true})
	defer it.Close()
	if !it.Next() {
		if err := it.Err(); err != nil {
			return RecordKey{}, err
		}
		return RecordKey{}, fmt.Errorf("%w: set without records", errCorrupt)
	}
	return decodeSetRecKey(it.Key()[len(o.g.setRecPrefix(h)):])
}

// setsOf lists the sets that carry id.
func (o *op) setsOf(id ID) ([]SetHash, error) {
	prefix := o.g.identSetPrefix(id)
	it := o.tx.Iterate(store.IterOptions{Prefix: prefix, KeysOnly: true})
	defer it.Close()
	var out []SetHash
	for it.Next() {
		r := store.NewKeyReader(it.Key()[len(prefix):])
		b, err := r.Bytes(nil)
		if err != nil || len(b) != len(SetHash{}) {
			return nil, fmt.Errorf("%w: bad set key", errCorrupt)
		}
		out = append(out, SetHash(b))
	}
	return out, it.Err()
}

func (o *op) recountStronger(id ID, is *identState) error {
	after := o.g.pol.Policy(id.Type).SharedAfter
	is.stronger = nil
	if after <= 0 {
		return nil
	}
	hs, err := o.setsOf(id)
	if err != nil {
		return err
	}
	for _, h := range hs {
		s, err := o.set(h)
		if err != nil {
			return err
		}
		if s == nil {
			continue // being removed in this op
		}
		addStronger(&o.g.pol, id.Type, is, o.g.strongerRefs(id, s.ids))
	}
	return nil
}

func (o *op) markSetsOf(id ID) error {
	hs, err := o.setsOf(id)
	if err != nil {
		return err
	}
	for _, h := range hs {
		o.markDirty(h)
	}
	return nil
}
