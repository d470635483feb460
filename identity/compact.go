package identity

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"unsafe"
)

// The whole-graph resolution (Loader, Rebuild) holds every identifier
// set and identifier of a data set at once: ten million records make
// millions of each. Kept as maps of strings and pointer-rich structs they
// cost ~250 bytes apiece and the garbage collector marks all of them on
// every cycle (half of a 10M import's CPU). Here they live in flat arrays
// without pointers: identifiers and sets are int32 indexes, strings sit in
// large byte chunks, and lookups go through open-addressing tables of
// indexes.

// arenaChunk is the size of an arena's chunks; a string longer than a
// quarter of it gets a chunk of its own.
const arenaChunk = 1 << 20

// arena keeps strings in large chunks that are never moved or changed
// once written, so the strings it hands out may point into them.
type arena struct{ chunks [][]byte }

// strRef names a string in an arena: chunk index and offset.
type strRef uint64

func (a *arena) add(s string) strRef {
	need := binary.MaxVarintLen64 + len(s)
	if need > arenaChunk/4 {
		c := binary.AppendUvarint(make([]byte, 0, need), uint64(len(s)))
		a.chunks = append(a.chunks, append(c, s...))
		return strRef(len(a.chunks)-1) << 32
	}
	if n := len(a.chunks); n == 0 || cap(a.chunks[n-1])-len(a.chunks[n-1]) < need {
		a.chunks = append(a.chunks, make([]byte, 0, arenaChunk))
	}
	i := len(a.chunks) - 1
	c := a.chunks[i]
	ref := strRef(i)<<32 | strRef(len(c))
	c = binary.AppendUvarint(c, uint64(len(s)))
	a.chunks[i] = append(c, s...)
	return ref
}

// get returns the string ref names. It shares the arena's memory, which
// is never written again.
func (a *arena) get(ref strRef) string {
	c := a.chunks[ref>>32][uint32(ref):]
	n, k := binary.Uvarint(c)
	if n == 0 {
		return ""
	}
	return unsafe.String(&c[k], int(n))
}

// slotTable is an open-addressing hash table of 1-based indexes into
// the caller's entries; the caller hashes and compares.
type slotTable struct {
	slots []uint32
	n     int
}

// probe returns the slot for hash h: the first that is empty or whose
// entry eq accepts.
func (s *slotTable) probe(h uint64, eq func(i int32) bool) int {
	mask := uint64(len(s.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		v := s.slots[p]
		if v == 0 || eq(int32(v-1)) {
			return int(p)
		}
	}
}

// grow makes room for one more entry, rehashing with hash when full.
func (s *slotTable) grow(hash func(i int32) uint64) {
	if len(s.slots) > 0 && (s.n+1)*4 <= len(s.slots)*3 {
		return
	}
	size := max(1024, len(s.slots)*2)
	old := s.slots
	s.slots = make([]uint32, size)
	mask := uint64(size - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		p := hash(int32(v-1)) & mask
		for s.slots[p] != 0 {
			p = (p + 1) & mask
		}
		s.slots[p] = v
	}
}

// identEntry is an identifier and its resolution state (identState's
// fields, with the profile as an index).
type identEntry struct {
	val    strRef
	sets   uint32
	typ    uint16
	link   int8 // 0 unknown, 1 links, 2 does not
	capped bool
	owner  int32 // 1 + the first set that links the value
	comp   uint32
	prof   int32 // index into the profiles, -1 none
	strong int32 // newest strongNode, -1 none
}

// strongNode is one of an identifier's stronger references, in a list
// from the newest. key orders the references as resolution in hash order
// of the sets meets them: the set's rank in that order, then the
// reference's place among the set's.
type strongNode struct {
	hash uint64
	key  uint64
	next int32
	typ  uint16
}

// identTable interns identifiers.
type identTable struct {
	seed   maphash.Seed
	types  []Type
	typeOf map[Type]uint16
	vals   arena
	ents   []identEntry
	strong []strongNode
	index  slotTable
}

func (t *identTable) hash(typ uint16, v string) uint64 {
	return maphash.String(t.seed, v) ^ (uint64(typ)+1)*0x9e3779b97f4a7c15
}

func (t *identTable) entryHash(i int32) uint64 {
	e := &t.ents[i]
	return t.hash(e.typ, t.vals.get(e.val))
}

// find returns the index of id.
func (t *identTable) find(id ID) (int32, bool) {
	typ, ok := t.typeOf[id.Type]
	if !ok || len(t.index.slots) == 0 {
		return 0, false
	}
	if v := t.index.slots[t.slot(typ, id.Value)]; v != 0 {
		return int32(v - 1), true
	}
	return 0, false
}

// slot returns the index slot of the identifier of type typ and value v:
// its own, or the empty one it would take.
func (t *identTable) slot(typ uint16, v string) int {
	return t.index.probe(t.hash(typ, v), func(i int32) bool {
		return t.ents[i].typ == typ && t.vals.get(t.ents[i].val) == v
	})
}

// intern returns the index of id, adding it if new.
func (t *identTable) intern(id ID) (int32, error) {
	typ, ok := t.typeOf[id.Type]
	if !ok {
		if len(t.types) > 1<<16-1 {
			return 0, fmt.Errorf("identity: more than %d identifier types", 1<<16-1)
		}
		typ = uint16(len(t.types))
		t.types = append(t.types, Type(t.vals.get(t.vals.add(string(id.Type)))))
		t.typeOf[t.types[typ]] = typ
	}
	if len(t.ents) >= 1<<31-2 {
		return 0, fmt.Errorf("identity: more than %d identifiers", 1<<31-2)
	}
	t.index.grow(t.entryHash)
	p := t.slot(typ, id.Value)
	if v := t.index.slots[p]; v != 0 {
		return int32(v - 1), nil
	}
	t.ents = append(t.ents, identEntry{val: t.vals.add(id.Value), typ: typ, prof: -1, strong: -1})
	t.index.slots[p] = uint32(len(t.ents))
	t.index.n++
	return int32(len(t.ents) - 1), nil
}

// id returns identifier i; its value shares the table's memory.
func (t *identTable) id(i int32) ID {
	e := &t.ents[i]
	return ID{t.types[e.typ], t.vals.get(e.val)}
}

// stronger appends identifier i's stronger references to dst, in the
// order resolution met them (their keys).
func (t *identTable) stronger(dst []strongRef, i int32) []strongRef {
	n := len(dst)
	var keys [16]uint64
	k := keys[:0]
	for s := t.ents[i].strong; s >= 0; s = t.strong[s].next {
		dst = append(dst, strongRef{t.types[t.strong[s].typ], t.strong[s].hash})
		k = append(k, t.strong[s].key)
	}
	refs := dst[n:]
	// Short lists (at most the shared limit plus one a type): insertion sort.
	for a := 1; a < len(refs); a++ {
		for b := a; b > 0 && k[b] < k[b-1]; b-- {
			k[b], k[b-1] = k[b-1], k[b]
			refs[b], refs[b-1] = refs[b-1], refs[b]
		}
	}
	return dst
}

// offerStronger records that identifier i was seen with the stronger
// reference r at key, keeping per type the keep references of smallest
// key (each at the smallest key it was seen at): what addStronger keeps
// when the references come in key order, whatever order they are
// offered in. It lets resolution walk the sets in the order they sit in
// memory rather than in hash order (7 s of cache misses at 10M records).
func (t *identTable) offerStronger(i int32, r strongRef, key uint64, keep int) {
	typ := t.typeOf[r.typ]
	count, worst := 0, int32(-1)
	for s := t.ents[i].strong; s >= 0; s = t.strong[s].next {
		n := &t.strong[s]
		if n.typ != typ {
			continue
		}
		if n.hash == r.hash {
			n.key = min(n.key, key)
			return
		}
		count++
		if worst < 0 || n.key > t.strong[worst].key {
			worst = s
		}
	}
	if count < keep {
		t.strong = append(t.strong, strongNode{hash: r.hash, key: key, next: t.ents[i].strong, typ: typ})
		t.ents[i].strong = int32(len(t.strong) - 1)
		return
	}
	if worst >= 0 && key < t.strong[worst].key {
		t.strong[worst].hash, t.strong[worst].key = r.hash, key
	}
}

// setEntry is a distinct identifier set (setState's fields, with its
// identifiers and profile as indexes).
type setEntry struct {
	hash  SetHash
	time  int64 // anchor record
	rid   strRef
	first uint32 // its identifiers: members[first:first+n]
	n     uint32
	src   uint32
	count uint32
	comp  uint32
	prof  int32 // index into the profiles, -1 none
}

// setTable holds the distinct identifier sets of a data set.
type setTable struct {
	ids      identTable
	members  []int32
	ents     []setEntry
	index    slotTable
	strs     arena // record IDs and profile IDs
	sources  []string
	sourceOf map[string]uint32
	// before is each set's stored profile (Rebuild), to report changes.
	before []strRef
}

func newSetTable() *setTable {
	return &setTable{ids: identTable{seed: maphash.MakeSeed(), typeOf: map[Type]uint16{}}, sourceOf: map[string]uint32{}}
}

func setHashKey(h SetHash) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

func (t *setTable) entryHash(i int32) uint64 { return setHashKey(t.ents[i].hash) }

// find returns the index of set h.
func (t *setTable) find(h SetHash) (int32, bool) {
	if len(t.index.slots) == 0 {
		return 0, false
	}
	if v := t.index.slots[t.slot(h)]; v != 0 {
		return int32(v - 1), true
	}
	return 0, false
}

// slot returns the index slot of set h: its own, or the empty one it
// would take.
func (t *setTable) slot(h SetHash) int {
	return t.index.probe(setHashKey(h), func(i int32) bool { return t.ents[i].hash == h })
}

// add adds set h with its canonical identifiers, anchor and record count,
// or returns the index it already has (and false).
func (t *setTable) add(h SetHash, ids []ID, anchor RecordKey, count uint64) (int32, bool, error) {
	t.index.grow(t.entryHash)
	p := t.slot(h)
	if v := t.index.slots[p]; v != 0 {
		return int32(v - 1), false, nil
	}
	if len(t.ents) >= 1<<31-2 || len(t.members)+len(ids) > 1<<32-1 {
		return 0, false, fmt.Errorf("identity: too many identifier sets for one resolution")
	}
	if count > math.MaxUint32 {
		return 0, false, fmt.Errorf("identity: %d records carry one identifier set, more than one resolution takes", count)
	}
	first := len(t.members)
	for _, id := range ids {
		i, err := t.ids.intern(id)
		if err != nil {
			t.members = t.members[:first]
			return 0, false, err
		}
		t.members = append(t.members, i)
	}
	t.ents = append(t.ents, setEntry{hash: h, first: uint32(first), n: uint32(len(ids)), count: uint32(count), prof: -1})
	i := int32(len(t.ents) - 1)
	t.setAnchor(i, anchor)
	t.index.slots[p] = uint32(i + 1)
	t.index.n++
	return i, true, nil
}

func (t *setTable) setAnchor(i int32, k RecordKey) {
	src, ok := t.sourceOf[k.Source]
	if !ok {
		src = uint32(len(t.sources))
		t.sources = append(t.sources, t.strs.get(t.strs.add(k.Source)))
		t.sourceOf[t.sources[src]] = src
	}
	e := &t.ents[i]
	e.time, e.src, e.rid = k.Time, src, t.strs.add(k.ID)
}

// anchor returns set i's anchor; its strings share the table's memory.
func (t *setTable) anchor(i int32) RecordKey {
	e := &t.ents[i]
	return RecordKey{e.time, t.sources[e.src], t.strs.get(e.rid)}
}

func (t *setTable) memberIdx(i int32) []int32 {
	e := &t.ents[i]
	return t.members[e.first : e.first+e.n]
}

// idsOf appends set i's identifiers to dst.
func (t *setTable) idsOf(dst []ID, i int32) []ID {
	for _, m := range t.memberIdx(i) {
		dst = append(dst, t.ids.id(m))
	}
	return dst
}

// hashOrder returns the set indexes in hash order, the order resolution
// numbers components in (so that it does not depend on the order records
// came in). The sets themselves stay where they are: a Loader's records
// refer to them by index.
func (t *setTable) hashOrder() []int32 {
	order := make([]int32, len(t.ents))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return compareHash(t.ents[a].hash, t.ents[b].hash) })
	return order
}

// profEntry is a resolved profile (profileState's fields, with its sets
// and identifiers as indexes).
type profEntry struct {
	pid       strRef
	anchor    int32 // the set whose anchor names the profile
	comp      uint32
	setsFirst uint32 // its sets: profSets[setsFirst:setsFirst+setsN]
	setsN     uint32
	idsFirst  uint32 // its identifiers: profIDs[idsFirst:idsFirst+idsN]
	idsN      uint32
}
