package identity

import (
	"context"
	"errors"
	"fmt"
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
	sets     map[SetHash]*setState
	idents   map[ID]*identState
	comps    map[uint64][]SetHash
	clean    map[uint64]bool
	profiles map[string]*profileState
}

func (g *Graph) resolveAll(ctx context.Context, s store.Store, pol *Policies) (*Report, *rebuildState, error) {
	sets := map[SetHash]*setState{}
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
			sets[SetHash(hb)] = ss
		}
		return it.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	return g.resolveSets(ctx, sets, pol, true)
}

// resolveSets resolves a whole graph given all its identifier sets (whose
// comp and profile fields it overwrites).
func (g *Graph) resolveSets(ctx context.Context, sets map[SetHash]*setState, pol *Policies, diff bool) (*Report, *rebuildState, error) {
	st := &rebuildState{sets: sets, idents: make(map[ID]*identState, len(sets)),
		comps: map[uint64][]SetHash{}, clean: map[uint64]bool{}, profiles: map[string]*profileState{}}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	hashes := make([]SetHash, 0, len(st.sets))
	for h := range st.sets {
		hashes = append(hashes, h)
	}
	slices.SortFunc(hashes, compareHash)
	// Each input's set and identifier states, looked up once: a million
	// records make a few million map lookups on string-keyed identifiers,
	// which otherwise dominate this function.
	inputs := make([]setInput, len(hashes))
	setOf := make([]*setState, len(hashes))
	states := make([][]*identState, len(hashes))
	for i, h := range hashes {
		ss := st.sets[h]
		inputs[i] = setInput{hash: h, ids: ss.ids, anchor: ss.anchor}
		setOf[i] = ss
		states[i] = make([]*identState, len(ss.ids))
		for j, id := range ss.ids {
			is := st.idents[id]
			if is == nil {
				is = &identState{}
				st.idents[id] = is
			}
			is.sets++
			states[i][j] = is
		}
	}
	gp := &Graph{pol: *pol, prefix: g.prefix}
	var refs []strongRef
	for i, in := range inputs {
		if len(in.ids) < 2 {
			continue // nothing stronger to see
		}
		for j, id := range in.ids {
			if pol.Policy(id.Type).SharedAfter <= 0 {
				continue
			}
			refs = gp.appendStrongerRefs(refs[:0], id, in.ids)
			addStronger(pol, id.Type, states[i][j], refs)
		}
	}
	rv := &resolver{pol: pol, shared: func(id ID) bool {
		is := st.idents[id]
		return is != nil && (is.capped || sharedByRefs(pol, id.Type, is.stronger))
	}}
	// Linking identifiers of each input, strongest first (what rv.prepare
	// does, without its map).
	rv.cache = map[ID]bool{}
	for i := range inputs {
		var link []ID
		for j, id := range inputs[i].ids {
			is := states[i][j]
			if is.link == 0 {
				is.link = 2
				if pol.BlockReason(id) == "" && !is.capped && !sharedByRefs(pol, id.Type, is.stronger) {
					is.link = 1
				}
			}
			if is.link == 1 {
				link = append(link, id)
			}
		}
		rv.sortLinking(link)
		inputs[i].link = link
	}
	comps, warn := capComponentsWith(rv, inputs, pol.componentCap(), func(id ID) {
		is := st.idents[id]
		is.capped, is.link = true, 2
	}, func() [][]int { return componentsOf(inputs, states) })
	var before, after map[SetHash]string
	if diff {
		before = make(map[SetHash]string, len(hashes))
		after = make(map[SetHash]string, len(hashes))
		for i, h := range hashes {
			before[h] = setOf[i].profile
		}
	}
	// Components are independent: partition them on every core. Each
	// worker writes only the states of its components' sets and linking
	// identifiers (no two components share one) and its own results slot;
	// the shared maps are filled afterwards, in component order.
	// A result keeps only what outlives the partition (its profiles), so
	// that a million components' maps and edges are not held at once.
	type compResult struct {
		list  []SetHash
		clean bool
		pids  []string
		profs []profileState
	}
	results := make([]compResult, len(comps))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(comps)/64)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(comps) || failed.Load() {
					return
				}
				if i%1024 == 0 && ctx.Err() != nil {
					failed.Store(true)
					return
				}
				members := comps[i]
				cid := uint64(i + 1)
				sub := make([]setInput, len(members))
				for j, m := range members {
					sub[j] = inputs[m]
				}
				part := rv.partition(sub)
				list := make([]SetHash, len(sub))
				for j, m := range members {
					in := &inputs[m]
					list[j] = in.hash
					ss := setOf[m]
					ss.comp, ss.profile = cid, part.setProfile[j]
					for k := range in.ids {
						if is := states[m][k]; is.link == 1 {
							is.comp = cid
						}
					}
				}
				for id, pid := range part.idProfile {
					st.idents[id].profile = pid
				}
				r := compResult{list: list, clean: len(part.profiles) == 1 && len(part.refusals) == 0,
					pids: make([]string, 0, len(part.profiles)), profs: make([]profileState, 0, len(part.profiles))}
				for pid, po := range part.profiles {
					r.pids = append(r.pids, pid)
					r.profs = append(r.profs, profileState{comp: cid, anchor: po.anchor, sets: po.sets, ids: po.ids})
				}
				results[i] = r
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for i := range results {
		r := &results[i]
		cid := uint64(i + 1)
		st.comps[cid] = r.list
		st.clean[cid] = r.clean
		for k, pid := range r.pids {
			st.profiles[pid] = &r.profs[k]
		}
	}
	if diff {
		for i, h := range hashes {
			after[h] = setOf[i].profile
		}
	}
	rep := &Report{Sets: len(hashes), Identifiers: len(st.idents), Profiles: len(st.profiles), Warnings: warn}
	if diff {
		for _, c := range diffAssignments(before, after) {
			if c.Kind != Updated {
				rep.Changes = append(rep.Changes, c)
			}
		}
	}
	return rep, st, nil
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
			_, ok := st.comps[c]
			return err == nil && ok
		}),
		stale(nsProfile, func(r *store.KeyReader) bool {
			p, err := r.String()
			_, ok := st.profiles[p]
			return err == nil && ok
		}),
		stale(nsIdent, func(r *store.KeyReader) bool {
			t, err1 := r.String()
			v, err2 := r.String()
			_, ok := st.idents[ID{Type(t), v}]
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
	var kb, vb []byte
	for h, ss := range st.sets {
		kb, vb = g.setKeyTo(kb, h), ss.appendTo(vb)
		err = errors.Join(err, w.Set(kb, vb))
	}
	for id, is := range st.idents {
		kb, vb = g.identKeyTo(kb, id), is.appendTo(vb)
		err = errors.Join(err, w.Set(kb, vb))
	}
	for c, list := range st.comps {
		err = errors.Join(err, w.Set(g.compKey(c), (&compState{sets: list, clean: st.clean[c]}).encode()))
	}
	for pid, ps := range st.profiles {
		aw := writer{}
		aw.str(ps.anchor.Source)
		aw.str(ps.anchor.ID)
		err = errors.Join(err, w.Set(g.profileKey(pid), ps.encode()), w.Set(g.aliasKey(pid), aw.b))
	}
	for _, k := range dead {
		err = errors.Join(err, w.Delete(k))
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// componentsOf is resolver.components for resolveSets, where each set's
// identifiers come with their states: union-find over set indexes with the
// first set of each linking identifier kept in its state, and components
// gathered by counting, instead of maps keyed by identifier and root (a
// million sets made those maps a few hundred megabytes). The result is the
// same: components in order of their first set, each in anchor order.
func componentsOf(inputs []setInput, states [][]*identState) [][]int {
	n := len(inputs)
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
	for i := range states {
		for _, is := range states[i] {
			is.owner = 0
		}
	}
	for i := range states {
		for _, is := range states[i] {
			if is.link != 1 {
				continue
			}
			if is.owner == 0 {
				is.owner = int32(i) + 1
				continue
			}
			if a, b := find(int32(i)), find(is.owner-1); a != b {
				parent[a] = b
			}
		}
	}
	// Count each component's sets, place the components in order of
	// their first set, then fill them.
	count := make([]int32, n)
	for i := range parent {
		parent[i] = find(int32(i))
		count[parent[i]]++
	}
	start := make([]int32, n)
	for i := range start {
		start[i] = -1
	}
	flat := make([]int, n)
	var out [][]int
	off := int32(0)
	for i := range parent {
		r := parent[i]
		if start[r] < 0 {
			start[r] = off
			out = append(out, flat[off:off+count[r]:off+count[r]])
			off += count[r]
		}
	}
	for i := range parent {
		r := parent[i]
		flat[start[r]] = i
		start[r]++
	}
	for _, g := range out {
		slices.SortFunc(g, func(a, b int) int { return inputs[a].anchor.Compare(inputs[b].anchor) })
	}
	return out
}
