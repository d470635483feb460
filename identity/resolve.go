package identity

import (
	"cmp"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RecordKey names a record and places it in canonical order: event time,
// then source, then the source's record ID. Resolution processes records in
// this order, so its result does not depend on arrival order.
type RecordKey struct {
	Time   int64 // event time, Unix nanoseconds
	Source string
	ID     string
}

// NewRecordKey builds a RecordKey from an event time.
func NewRecordKey(t time.Time, source, id string) RecordKey {
	return RecordKey{Time: t.UnixNano(), Source: source, ID: id}
}

// Compare orders keys canonically.
func (k RecordKey) Compare(o RecordKey) int {
	if c := cmp.Compare(k.Time, o.Time); c != 0 {
		return c
	}
	if c := strings.Compare(k.Source, o.Source); c != 0 {
		return c
	}
	return strings.Compare(k.ID, o.ID)
}

func (k RecordKey) String() string { return k.Source + "/" + k.ID }

// ProfileIDFor returns the profile ID a record gives the profile it anchors:
// a profile is named after its earliest record, which is what makes IDs
// stable (a merge keeps the older profile's ID, a split leaves it with the
// part that holds the earliest record) and independent of arrival order.
func ProfileIDFor(source, id string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(source)))])
	h.Write([]byte(source))
	h.Write([]byte(id))
	sum := h.Sum(nil)
	return "p" + strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}

// SetHash names a distinct set of identifiers. Records that carry the same
// identifiers add nothing new to the graph, so the graph keeps one entry per
// set with the set's earliest record (its anchor) and a record count.
type SetHash [16]byte

func hashIDs(ids []ID) SetHash {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, id := range ids {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(id.Type)))])
		h.Write([]byte(id.Type))
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(id.Value)))])
		h.Write([]byte(id.Value))
	}
	var s SetHash
	copy(s[:], h.Sum(nil))
	return s
}

// canonicalIDs sorts and deduplicates ids, dropping empty values.
func canonicalIDs(ids []ID) []ID {
	out := make([]ID, 0, len(ids))
	for _, id := range ids {
		if id.Value != "" && id.Type != "" {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, ID.Compare)
	return slices.Compact(out)
}

// setInput is a distinct identifier set as resolution sees it.
type setInput struct {
	hash   SetHash
	ids    []ID
	anchor RecordKey
	link   []ID // the identifiers that may link, strongest first (see prepare)
}

// Refusal records a link that resolution did not make.
type Refusal struct {
	Record RecordKey // the record (anchor of its identifier set) that carried both
	From   ID        // the identifier whose profile the record joined
	ID     ID        // the identifier left unlinked
	Reason string
}

// edge is a link made: record joined a and b.
type edge struct {
	a, b   ID
	record RecordKey
}

type cluster struct {
	parent int
	anchor RecordKey
	counts map[Type]int
}

// partition is the outcome of resolving one connected component.
type partition struct {
	setProfile []string      // per input set (same index): profile ID
	idProfile  map[ID]string // placed identifiers
	profiles   map[string]*profileOut
	refusals   []Refusal
	refusedBy  map[SetHash][]Refusal
	edges      []edge
}

type profileOut struct {
	anchor RecordKey
	sets   []SetHash
	ids    []ID
}

// resolver holds what partitioning needs to know beyond the sets.
type resolver struct {
	pol    *Policies
	shared func(ID) bool
	trace  bool
	cache  map[ID]bool // linking status, filled by prepare
}

func (rv *resolver) linking(id ID) bool {
	if l, ok := rv.cache[id]; ok {
		return l
	}
	return rv.pol.BlockReason(id) == "" && !rv.shared(id)
}

// prepare computes each input's linking identifiers once (blocking checks
// and sharedness are not free) and caches each identifier's status. Call it
// again after an identifier's status changes.
func (rv *resolver) prepare(inputs []setInput) {
	rv.cache = make(map[ID]bool, len(inputs)*2)
	for i := range inputs {
		var link []ID
		for _, id := range inputs[i].ids {
			l, ok := rv.cache[id]
			if !ok {
				l = rv.pol.BlockReason(id) == "" && !rv.shared(id)
				rv.cache[id] = l
			}
			if l {
				link = append(link, id)
			}
		}
		rv.sortLinking(link)
		inputs[i].link = link
	}
}

func (rv *resolver) sortLinking(ids []ID) {
	slices.SortStableFunc(ids, func(a, b ID) int {
		if c := cmp.Compare(rv.pol.Policy(b.Type).Priority, rv.pol.Policy(a.Type).Priority); c != 0 {
			return c
		}
		return a.Compare(b)
	})
}

// linkingIDs returns the identifiers of a set that may link, strongest first.
func (rv *resolver) linkingIDs(s *setInput) []ID {
	if s.link != nil || rv.cache != nil {
		return s.link
	}
	out := make([]ID, 0, len(s.ids))
	for _, id := range s.ids {
		if rv.linking(id) {
			out = append(out, id)
		}
	}
	rv.sortLinking(out)
	return out
}

// components splits sets into connected components over linking
// identifiers. Each component lists set indexes in canonical anchor order.
func (rv *resolver) components(sets []setInput) [][]int {
	parent := make([]int, len(sets))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := make(map[ID]int, len(sets))
	for i := range sets {
		for _, id := range rv.linkingIDs(&sets[i]) {
			if j, ok := owner[id]; ok {
				a, b := find(i), find(j)
				if a != b {
					parent[a] = b
				}
			} else {
				owner[id] = i
			}
		}
	}
	groups := make(map[int][]int)
	var roots []int
	for i := range sets {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	out := make([][]int, 0, len(roots))
	for _, r := range roots {
		g := groups[r]
		slices.SortFunc(g, func(a, b int) int { return sets[a].anchor.Compare(sets[b].anchor) })
		out = append(out, g)
	}
	return out
}

// partition resolves one component: sets are processed in canonical order;
// each set joins the profile of its strongest identifier and links its other
// identifiers to it unless a per-type limit forbids.
func (rv *resolver) partition(sets []setInput) *partition {
	order := make([]int, len(sets))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return sets[a].anchor.Compare(sets[b].anchor) })

	var cl []cluster
	find := func(i int) int {
		for cl[i].parent != i {
			cl[i].parent = cl[cl[i].parent].parent
			i = cl[i].parent
		}
		return i
	}
	newCluster := func(anchor RecordKey) int {
		cl = append(cl, cluster{parent: len(cl), anchor: anchor, counts: map[Type]int{}})
		return len(cl) - 1
	}
	idCl := make(map[ID]int)
	setCl := make([]int, len(sets))
	p := &partition{idProfile: map[ID]string{}, profiles: map[string]*profileOut{}, refusedBy: map[SetHash][]Refusal{}}
	refuse := func(s setInput, from, id ID, reason string) {
		r := Refusal{s.anchor, from, id, reason}
		p.refusals = append(p.refusals, r)
		p.refusedBy[s.hash] = append(p.refusedBy[s.hash], r)
	}

	for _, si := range order {
		s := sets[si]
		ids := rv.linkingIDs(&sets[si])
		if len(ids) == 0 {
			setCl[si] = newCluster(s.anchor)
			continue
		}
		target, ok := idCl[ids[0]]
		if ok {
			target = find(target)
		} else {
			target = newCluster(s.anchor)
			idCl[ids[0]] = target
			cl[target].counts[ids[0].Type]++
		}
		for _, id := range ids[1:] {
			if c, ok := idCl[id]; ok {
				c = find(c)
				if c == target {
					continue
				}
				if reason := rv.mergeBlocked(&cl[target], &cl[c]); reason != "" {
					refuse(s, ids[0], id, reason)
					continue
				}
				// The survivor is the cluster with the earlier anchor.
				keep, drop := target, c
				if cl[c].anchor.Compare(cl[target].anchor) < 0 {
					keep, drop = c, target
				}
				for t, n := range cl[drop].counts {
					cl[keep].counts[t] += n
				}
				cl[drop].parent = keep
				target = keep
			} else {
				max := rv.pol.Policy(id.Type).MaxPerProfile
				if max > 0 && cl[target].counts[id.Type] >= max {
					refuse(s, ids[0], id, fmt.Sprintf("profile already holds %d %s values (limit %d)", cl[target].counts[id.Type], id.Type, max))
					continue
				}
				idCl[id] = target
				cl[target].counts[id.Type]++
			}
			if rv.trace {
				p.edges = append(p.edges, edge{ids[0], id, s.anchor})
			}
		}
		setCl[si] = target
	}

	p.setProfile = make([]string, len(sets))
	for _, si := range order {
		c := &cl[find(setCl[si])]
		pid := ProfileIDFor(c.anchor.Source, c.anchor.ID)
		p.setProfile[si] = pid
		po := p.profiles[pid]
		if po == nil {
			po = &profileOut{anchor: c.anchor}
			p.profiles[pid] = po
		}
		po.sets = append(po.sets, sets[si].hash)
	}
	for id, c := range idCl {
		a := cl[find(c)].anchor
		pid := ProfileIDFor(a.Source, a.ID)
		p.idProfile[id] = pid
		p.profiles[pid].ids = append(p.profiles[pid].ids, id)
	}
	for _, po := range p.profiles {
		slices.SortFunc(po.ids, ID.Compare)
		slices.SortFunc(po.sets, func(a, b SetHash) int { return compareHash(a, b) })
	}
	return p
}

func compareHash(a, b SetHash) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

// mergeBlocked says why clusters a and b may not merge, or "".
func (rv *resolver) mergeBlocked(a, b *cluster) string {
	for t, n := range b.counts {
		max := rv.pol.Policy(t).MaxPerProfile
		if max > 0 && a.counts[t]+n > max {
			return fmt.Sprintf("merging would give the profile %d %s values (limit %d)", a.counts[t]+n, t, max)
		}
	}
	return ""
}
