package identity

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/unifycdp/unify/store"
)

// Report is what Rebuild or DryRun found, compared with the stored graph.
type Report struct {
	Sets        int // distinct identifier sets
	Identifiers int
	Profiles    int
	// Changes lists every profile that the (new) resolution names
	// differently from the stored one: merges, splits, creations, removals.
	Changes  []Change
	Warnings []error
}

// Count returns how many changes are of kind k.
func (r *Report) Count(k ChangeKind) int {
	n := 0
	for _, c := range r.Changes {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// DryRun resolves the whole stored evidence under pol and reports the
// merges and splits it would cause, without writing anything.
func (g *Graph) DryRun(ctx context.Context, s store.Store, pol Policies) (*Report, error) {
	r, _, err := g.resolveAll(ctx, s, &pol)
	return r, err
}

// Rebuild recomputes every derived entry of the graph (identifier states,
// components, profiles) from the stored evidence under the graph's policies,
// and reports what changed. Run it after changing policies and after
// AddEvidence. It writes in several transactions, so it must not run while
// other writers use the graph; readers may see a mix of old and new profile
// assignments until it returns.
func (g *Graph) Rebuild(ctx context.Context, s store.Store) (*Report, error) {
	r, w, err := g.resolveAll(ctx, s, &g.pol)
	if err != nil {
		return nil, err
	}
	return r, w.write(ctx, g, s)
}

// AddEvidence stores that record rec carries ids without resolving:
// a bulk load calls it for every record and then Rebuild once. An earlier
// version of the same record is replaced.
func (g *Graph) AddEvidence(tx store.Tx, rec RecordKey, ids []ID) error {
	ids = canonicalIDs(ids)
	if len(ids) == 0 {
		return fmt.Errorf("%w: %s", ErrNoIdentifiers, rec)
	}
	h := hashIDs(ids)
	o := g.newOp(tx)
	old, err := o.recordState(rec.Source, rec.ID)
	if err != nil {
		return err
	}
	if old != nil && old.time == rec.Time && old.set == h {
		return nil
	}
	if old != nil {
		if err := o.removeRecord(RecordKey{old.time, rec.Source, rec.ID}, old.set); err != nil {
			return err
		}
	}
	if err := o.addRecord(rec, h, ids); err != nil {
		return err
	}
	return o.writeIdents()
}

// rebuildState is a whole resolved graph, ready to be written.
type rebuildState struct {
	t *setTable
	// Component c (numbered from 1) has the sets
	// compSets[compStart[c-1]:compStart[c]], in anchor order.
	compStart []uint32
	compSets  []int32
	clean     []bool // per component, at c-1
	profs     []profEntry
	profSets  []int32
	profIDs   []int32
	pidSeed   maphash.Seed
	pidIndex  slotTable
}

func (g *Graph) resolveAll(ctx context.Context, s store.Store, pol *Policies) (*Report, *rebuildState, error) {
	t := newSetTable()
	err := s.View(ctx, func(tx store.Tx) error {
		prefix := g.key(nsSet)
		it := tx.Iterate(store.IterOptions{Prefix: prefix})
		defer it.Close()
		for it.Next() {
			r := store.NewKeyReader(it.Key()[len(prefix):])
			hb, err := r.Bytes(nil)
			if err != nil || len(hb) != len(SetHash{}) {
				return fmt.Errorf("%w: bad set key", errCorrupt)
			}
			v, err := it.Value()
			if err != nil {
				return err
			}
			ss, err := decodeSet(v)
			if err != nil {
				return err
			}
			_, added, err := t.add(SetHash(hb), ss.ids, ss.anchor, ss.count)
			if err != nil {
				return err
			}
			if !added {
				return fmt.Errorf("%w: set stored twice", errCorrupt)
			}
			t.before = append(t.before, t.strs.add(ss.profile))
		}
		return it.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	return g.resolveSets(ctx, t, pol, true)
}

// partitionBlock is how many components are partitioned before their
// results are merged: it bounds the partitions held at once.
const partitionBlock = 4096

// resolveSets resolves a whole graph given all its identifier sets (whose
// resolution fields it overwrites).
func (g *Graph) resolveSets(ctx context.Context, t *setTable, pol *Policies, diff bool) (*Report, *rebuildState, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ids := &t.ids
	for i := range ids.ents {
		e := &ids.ents[i]
		e.sets, e.link, e.capped, e.owner, e.comp, e.prof, e.strong = 0, 0, false, 0, 0, -1, -1
	}
	ids.strong = ids.strong[:0]
	for i := range t.ents {
		t.ents[i].comp, t.ents[i].prof = 0, -1
	}
	for _, m := range t.members {
		ids.ents[m].sets++
	}
	// Stronger identifiers seen with each value, for sharedness.
	gp := &Graph{pol: *pol, prefix: g.prefix}
	var buf []ID
	var refs, have []strongRef
	// Each identifier's stronger references as resolution in hash order
	// of the sets would meet them (Rebuild's and Link's order), walking
	// the sets as they lie: offerStronger keeps what that order keeps.
	order := t.hashOrder()
	rank := make([]int32, len(order))
	for r, i := range order {
		rank[i] = int32(r)
	}
	for i := range t.ents {
		mem := t.memberIdx(int32(i))
		if len(mem) < 2 {
			continue // nothing stronger to see
		}
		buf = t.idsOf(buf[:0], int32(i))
		for j, id := range buf {
			if pol.Policy(id.Type).SharedAfter <= 0 {
				continue
			}
			refs = gp.appendStrongerRefs(refs[:0], id, buf)
			for p, r := range refs {
				ids.offerStronger(mem[j], r, uint64(rank[i])<<32|uint64(p), pol.sharedLimit(id.Type, r.typ)+1)
			}
		}
	}
	for i := range ids.ents {
		e := &ids.ents[i]
		id := ids.id(int32(i))
		e.link = 2
		if pol.BlockReason(id) == "" && (e.strong < 0 || !sharedByRefs(pol, id.Type, ids.stronger(have[:0], int32(i)))) {
			e.link = 1
		}
	}
	start, flat, warn := t.cappedComponents(order, pol.componentCap())
	st := &rebuildState{t: t, compStart: start, compSets: flat, clean: make([]bool, len(start)-1), pidSeed: maphash.MakeSeed()}
	if err := st.partition(ctx, pol); err != nil {
		return nil, nil, err
	}
	rep := &Report{Sets: len(t.ents), Identifiers: len(ids.ents), Profiles: len(st.profs), Warnings: warn}
	if diff {
		before := make(map[SetHash]string, len(t.ents))
		after := make(map[SetHash]string, len(t.ents))
		for i := range t.ents {
			before[t.ents[i].hash] = t.strs.get(t.before[i])
			after[t.ents[i].hash] = st.pid(t.ents[i].prof)
		}
		for _, c := range diffAssignments(before, after) {
			if c.Kind != Updated {
				rep.Changes = append(rep.Changes, c)
			}
		}
	}
	return rep, st, nil
}

// partition resolves every component into profiles. Components are
// independent: each block of them is partitioned on every core, each
// worker writing only the states of its components' sets and linking
// identifiers (no two components share one); the profiles are then
// appended in component order, so that indexes and IDs do not depend on
// scheduling.
func (st *rebuildState) partition(ctx context.Context, pol *Policies) error {
	t := st.t
	ids := &t.ids
	rv := &resolver{pol: pol, cache: map[ID]bool{}, shared: func(id ID) bool {
		i, ok := ids.find(id)
		return ok && ids.ents[i].link != 1
	}}
	type localProfile struct {
		pid       string
		anchor    int32
		sets, ids []int32
	}
	type compResult struct {
		clean bool
		profs []localProfile
	}
	ncomp := len(st.compStart) - 1
	results := make([]compResult, min(ncomp, partitionBlock))
	for lo := 0; lo < ncomp; lo += partitionBlock {
		hi := min(ncomp, lo+partitionBlock)
		var next atomic.Int64
		next.Store(int64(lo))
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), max(1, (hi-lo)/64)) {
			wg.Go(func() {
				var sub []setInput
				for {
					c := int(next.Add(1) - 1)
					if c >= hi {
						return
					}
					members := st.compSets[st.compStart[c]:st.compStart[c+1]]
					sub = sub[:0]
					for _, s := range members {
						in := setInput{hash: t.ents[s].hash, ids: t.idsOf(nil, s), anchor: t.anchor(s)}
						for k, m := range t.memberIdx(s) {
							if ids.ents[m].link == 1 {
								in.link = append(in.link, in.ids[k])
							}
						}
						rv.sortLinking(in.link)
						sub = append(sub, in)
					}
					part := rv.partition(sub)
					pids := make([]string, 0, len(part.profiles))
					for pid := range part.profiles {
						pids = append(pids, pid)
					}
					slices.Sort(pids)
					local := make(map[string]int32, len(pids))
					r := compResult{clean: len(part.profiles) == 1 && len(part.refusals) == 0, profs: make([]localProfile, len(pids))}
					for k, pid := range pids {
						local[pid] = int32(k)
						po := part.profiles[pid]
						lp := localProfile{pid: pid, anchor: -1, sets: make([]int32, len(po.sets)), ids: make([]int32, len(po.ids))}
						for j, h := range po.sets {
							lp.sets[j], _ = t.find(h)
							if t.anchor(lp.sets[j]) == po.anchor {
								lp.anchor = lp.sets[j]
							}
						}
						for j, id := range po.ids {
							lp.ids[j], _ = ids.find(id)
						}
						r.profs[k] = lp
					}
					cid := uint32(c + 1)
					for j, s := range members {
						t.ents[s].comp, t.ents[s].prof = cid, local[part.setProfile[j]]
						for _, m := range t.memberIdx(s) {
							if ids.ents[m].link == 1 {
								ids.ents[m].comp = cid
							}
						}
					}
					results[c-lo] = r
				}
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		for c := lo; c < hi; c++ {
			r := &results[c-lo]
			st.clean[c] = r.clean
			global := make([]int32, len(r.profs))
			for l, lp := range r.profs {
				if lp.anchor < 0 {
					return fmt.Errorf("identity: profile %s has no set with its anchor", lp.pid)
				}
				pe := profEntry{anchor: lp.anchor, comp: uint32(c + 1),
					setsFirst: uint32(len(st.profSets)), setsN: uint32(len(lp.sets)),
					idsFirst: uint32(len(st.profIDs)), idsN: uint32(len(lp.ids))}
				st.profSets = append(st.profSets, lp.sets...)
				st.profIDs = append(st.profIDs, lp.ids...)
				// Two components name a profile alike only when a record
				// key came twice with other identifiers (a Distinct
				// Loader's hash collision): the later one is kept, as
				// one entry per profile ID.
				k, seen := st.profile(lp.pid)
				if seen {
					pe.pid = st.profs[k].pid
					st.profs[k] = pe
				} else {
					k = int32(len(st.profs))
					pe.pid = t.strs.add(lp.pid)
					st.profs = append(st.profs, pe)
					st.pidIndex.grow(st.pidHash)
					p := st.pidIndex.probe(st.pidHash(k), func(int32) bool { return false })
					st.pidIndex.slots[p] = uint32(k + 1)
					st.pidIndex.n++
				}
				global[l] = k
				for _, m := range lp.ids {
					ids.ents[m].prof = k
				}
			}
			for _, s := range st.compSets[st.compStart[c]:st.compStart[c+1]] {
				t.ents[s].prof = global[t.ents[s].prof]
			}
			*r = compResult{}
		}
	}
	return nil
}

func (st *rebuildState) pidHash(k int32) uint64 {
	return maphash.String(st.pidSeed, st.t.strs.get(st.profs[k].pid))
}

// pid returns the ID of profile k, "" for none (-1).
func (st *rebuildState) pid(k int32) string {
	if k < 0 {
		return ""
	}
	return st.t.strs.get(st.profs[k].pid)
}

// profile returns the index of profile pid.
func (st *rebuildState) profile(pid string) (int32, bool) {
	if len(st.pidIndex.slots) == 0 {
		return 0, false
	}
	p := st.pidIndex.probe(maphash.String(st.pidSeed, pid), func(k int32) bool { return st.pid(k) == pid })
	if v := st.pidIndex.slots[p]; v != 0 {
		return int32(v - 1), true
	}
	return 0, false
}

// profileIDs returns the identifiers of profile k, sorted.
func (st *rebuildState) profileIDs(k int32) []ID {
	p := &st.profs[k]
	out := make([]ID, p.idsN)
	for j, m := range st.profIDs[p.idsFirst : p.idsFirst+p.idsN] {
		out[j] = st.t.ids.id(m)
	}
	return out
}

// writeEntries writes the state's set, identifier, component and profile
// entries through set, which must copy what it keeps.
func (st *rebuildState) writeEntries(g *Graph, set func(k, v []byte) error) error {
	t := st.t
	var kb, vb []byte
	var ss setState
	for i := range t.ents {
		e := &t.ents[i]
		ss = setState{ids: t.idsOf(ss.ids[:0], int32(i)), anchor: t.anchor(int32(i)), count: uint64(e.count), comp: uint64(e.comp), profile: st.pid(e.prof)}
		kb, vb = g.setKeyTo(kb, e.hash), ss.appendTo(vb)
		if err := set(kb, vb); err != nil {
			return err
		}
	}
	var is identState
	for i := range t.ids.ents {
		e := &t.ids.ents[i]
		is = identState{comp: uint64(e.comp), profile: st.pid(e.prof), sets: uint64(e.sets), stronger: t.ids.stronger(is.stronger[:0], int32(i)), capped: e.capped}
		kb, vb = g.identKeyTo(kb, t.ids.id(int32(i))), is.appendTo(vb)
		if err := set(kb, vb); err != nil {
			return err
		}
	}
	var cs compState
	for c := range st.clean {
		cs.sets = cs.sets[:0]
		for _, s := range st.compSets[st.compStart[c]:st.compStart[c+1]] {
			cs.sets = append(cs.sets, t.ents[s].hash)
		}
		cs.clean = st.clean[c]
		kb, vb = g.compKeyTo(kb, uint64(c+1)), cs.appendTo(vb)
		if err := set(kb, vb); err != nil {
			return err
		}
	}
	var ps profileState
	for k := range st.profs {
		p := &st.profs[k]
		ps = profileState{comp: uint64(p.comp), anchor: t.anchor(p.anchor), sets: ps.sets[:0], ids: ps.ids[:0]}
		for _, s := range st.profSets[p.setsFirst : p.setsFirst+p.setsN] {
			ps.sets = append(ps.sets, t.ents[s].hash)
		}
		for _, m := range st.profIDs[p.idsFirst : p.idsFirst+p.idsN] {
			ps.ids = append(ps.ids, t.ids.id(m))
		}
		pid := t.strs.get(p.pid)
		kb, vb = g.profileKeyTo(kb, pid), ps.appendTo(vb)
		if err := set(kb, vb); err != nil {
			return err
		}
		aw := writer{b: vb[:0]}
		aw.str(ps.anchor.Source)
		aw.str(ps.anchor.ID)
		vb = aw.b
		kb = store.AppendString(g.keyTo(kb, nsAlias), pid)
		if err := set(kb, vb); err != nil {
			return err
		}
	}
	return nil
}

// write replaces the derived entries of the graph with st.
func (st *rebuildState) write(ctx context.Context, g *Graph, s store.Store) error {
	// What the new state no longer has, found before anything is written.
	var dead [][]byte
	stale := func(ns string, keep func(r *store.KeyReader) bool) error {
		prefix := g.key(ns)
		return s.View(ctx, func(tx store.Tx) error {
			it := tx.Iterate(store.IterOptions{Prefix: prefix, KeysOnly: true})
			defer it.Close()
			for it.Next() {
				if !keep(store.NewKeyReader(it.Key()[len(prefix):])) {
					dead = append(dead, store.Copy(it.Key()))
				}
			}
			return it.Err()
		})
	}
	err := errors.Join(
		stale(nsComp, func(r *store.KeyReader) bool {
			c, err := r.Uint64()
			return err == nil && c >= 1 && c <= uint64(len(st.clean))
		}),
		stale(nsProfile, func(r *store.KeyReader) bool {
			p, err := r.String()
			_, ok := st.profile(p)
			return err == nil && ok
		}),
		stale(nsIdent, func(r *store.KeyReader) bool {
			t, err1 := r.String()
			v, err2 := r.String()
			_, ok := st.t.ids.find(ID{Type(t), v})
			return err1 == nil && err2 == nil && ok
		}),
	)
	if err != nil {
		return err
	}
	w, err := store.NewWriter(ctx, s)
	if err != nil {
		return err
	}
	defer w.Cancel()
	if err := st.writeEntries(g, w.Set); err != nil {
		return err
	}
	for _, k := range dead {
		if err := w.Delete(k); err != nil {
			return err
		}
	}
	return w.Flush()
}

// cappedComponents splits the sets into components over linking
// identifiers and keeps each under the size cap by unlinking, in a
// component over the cap, the identifier carried by the most of its sets
// (ties: the smallest ID), until every component fits (what
// capComponents does for the sets of one component).
func (t *setTable) cappedComponents(order []int32, limit int) ([]uint32, []int32, []error) {
	var warn []error
	ids := &t.ids
	for {
		start, flat := t.components(order)
		over := false
		for c := 0; c+1 < len(start); c++ {
			members := flat[start[c]:start[c+1]]
			if len(members) <= limit {
				continue
			}
			degree := map[int32]int{}
			for _, s := range members {
				for _, m := range t.memberIdx(s) {
					if ids.ents[m].link == 1 {
						degree[m]++
					}
				}
			}
			worst, best := int32(-1), -1
			for m, d := range degree {
				if d > best || (d == best && ids.id(m).Compare(ids.id(worst)) < 0) {
					worst, best = m, d
				}
			}
			if worst < 0 {
				continue // one set, nothing to unlink
			}
			over = true
			ids.ents[worst].capped, ids.ents[worst].link = true, 2
			warn = append(warn, fmt.Errorf("%w: %d identifier sets; unlinked a %s carried by %d of them", ErrComponentCap, len(members), ids.id(worst).Type, best))
		}
		if !over {
			return start, flat, warn
		}
	}
}

// components is resolver.components over the table: union-find over set
// indexes with the first set of each linking identifier kept in its
// entry, and components gathered by counting. Components come in the
// order (a permutation of the set indexes) of their first set, each in
// anchor order: component c has the sets flat[start[c]:start[c+1]].
func (t *setTable) components(order []int32) (start []uint32, flat []int32) {
	n := len(t.ents)
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	ids := t.ids.ents
	for i := range ids {
		ids[i].owner = 0
	}
	for _, i := range order {
		for _, m := range t.memberIdx(i) {
			e := &ids[m]
			if e.link != 1 {
				continue
			}
			if e.owner == 0 {
				e.owner = i + 1
				continue
			}
			if a, b := find(i), find(e.owner-1); a != b {
				parent[a] = b
			}
		}
	}
	// Count each component's sets, place the components in order of
	// their first set, then fill them.
	count := make([]uint32, n)
	for i := range parent {
		parent[i] = find(int32(i))
		count[parent[i]]++
	}
	pos := make([]int32, n)
	for i := range pos {
		pos[i] = -1
	}
	start = []uint32{0}
	off := uint32(0)
	for _, i := range order {
		if r := parent[i]; pos[r] < 0 {
			pos[r] = int32(off)
			off += count[r]
			start = append(start, off)
		}
	}
	flat = make([]int32, n)
	for _, i := range order {
		r := parent[i]
		flat[pos[r]] = i
		pos[r]++
	}
	for c := 0; c+1 < len(start); c++ {
		g := flat[start[c]:start[c+1]]
		if len(g) > 1 {
			slices.SortFunc(g, func(a, b int32) int { return t.anchor(a).Compare(t.anchor(b)) })
		}
	}
	return start, flat
}
