package identity

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/unifycdp/unify/store"
)

// resolve re-resolves every component the op touched and writes the result.
func (o *op) resolve() (*Result, error) {
	res := &Result{}
	if len(o.dirty) == 0 && len(o.comps) == 0 {
		return res, o.writeIdents()
	}
	if ok, err := o.fastJoin(res); ok || err != nil {
		return res, err
	}
	// Gather the closed universe of sets to resolve.
	loaded := map[uint64]bool{}
	var oldComps []uint64
	universe := map[SetHash]*setState{}
	loadComp := func(c uint64) error {
		if c == 0 || loaded[c] {
			return nil
		}
		loaded[c] = true
		oldComps = append(oldComps, c)
		b, err := o.tx.Get(o.g.compKey(c))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		cs, err := decodeComp(b)
		if err != nil {
			return err
		}
		for _, h := range cs.sets {
			s, err := o.set(h)
			if err != nil {
				return err
			}
			if s != nil {
				universe[h] = s
			}
		}
		return nil
	}
	for c := range o.comps {
		if err := loadComp(c); err != nil {
			return nil, err
		}
	}
	for h := range o.dirty {
		s, err := o.set(h)
		if err != nil {
			return nil, err
		}
		if s == nil {
			continue
		}
		universe[h] = s
		if err := loadComp(s.comp); err != nil {
			return nil, err
		}
	}
	// Close over links: a linking identifier's sets all live in its component.
	for {
		before := len(loaded)
		for _, s := range universe {
			for _, id := range s.ids {
				is, err := o.ident(id)
				if err != nil {
					return nil, err
				}
				if o.g.pol.BlockReason(id) == "" && !o.sharedState(id, is) {
					if err := loadComp(is.comp); err != nil {
						return nil, err
					}
				}
			}
		}
		if len(loaded) == before {
			break
		}
	}

	hashes := make([]SetHash, 0, len(universe))
	for h := range universe {
		hashes = append(hashes, h)
	}
	slices.SortFunc(hashes, compareHash)
	inputs := make([]setInput, len(hashes))
	for i, h := range hashes {
		s := universe[h]
		inputs[i] = setInput{hash: h, ids: s.ids, anchor: s.anchor}
	}
	rv := &resolver{pol: &o.g.pol, shared: func(id ID) bool {
		is, err := o.ident(id)
		return err == nil && o.sharedState(id, is)
	}}
	rv.prepare(inputs)
	comps, warn := capComponents(rv, inputs, o.g.pol.componentCap(), func(id ID) {
		if is, err := o.ident(id); err == nil {
			is.capped = true
		}
	})
	o.warn = append(o.warn, warn...)

	// Resolve each component and assign component IDs, reusing old ones.
	slices.Sort(oldComps)
	oldProfile := map[SetHash]string{}
	for h, s := range universe {
		oldProfile[h] = s.profile
	}
	for h, p := range o.removed {
		oldProfile[h] = p
	}
	newProfiles := map[string]*profileOut{}
	newProfileComp := map[string]uint64{}
	usedComps := map[uint64]bool{}
	placed := map[ID]string{}
	compOf := map[ID]uint64{}
	for i, members := range comps {
		var cid uint64
		if i < len(oldComps) {
			cid = oldComps[i]
		} else {
			for cid == 0 || loaded[cid] || usedComps[cid] {
				cid = rand.Uint64()
				if _, err := o.tx.Get(o.g.compKey(cid)); err == nil {
					cid = 0 // taken
				} else if !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
			}
		}
		usedComps[cid] = true
		sub := make([]setInput, len(members))
		for j, m := range members {
			sub[j] = inputs[m]
		}
		part := rv.partition(sub)
		for j, m := range members {
			s := universe[inputs[m].hash]
			s.comp = cid
			s.profile = part.setProfile[j]
		}
		for pid, po := range part.profiles {
			newProfiles[pid] = po
			newProfileComp[pid] = cid
		}
		for id, pid := range part.idProfile {
			placed[id] = pid
		}
		for _, s := range sub {
			for _, id := range s.ids {
				if rv.linking(id) {
					compOf[id] = cid
				}
			}
		}
		for h, rs := range part.refusedBy {
			o.refusals(h, rs)
		}
		cs := compState{sets: make([]SetHash, len(sub)), clean: len(part.profiles) == 1 && len(part.refusals) == 0}
		for j, s := range sub {
			cs.sets[j] = s.hash
		}
		if err := o.tx.Set(o.g.compKey(cid), cs.encode()); err != nil {
			return nil, err
		}
	}
	for _, c := range oldComps {
		if !usedComps[c] {
			if err := o.tx.Delete(o.g.compKey(c)); err != nil {
				return nil, err
			}
		}
	}
	for h, s := range universe {
		if err := o.putSet(h, s); err != nil {
			return nil, err
		}
		for _, id := range s.ids {
			is, err := o.ident(id)
			if err != nil {
				return nil, err
			}
			is.comp = compOf[id]
			is.profile = placed[id]
		}
	}
	if err := o.writeIdents(); err != nil {
		return nil, err
	}

	// Profiles.
	oldPIDs := map[string]bool{}
	for _, p := range oldProfile {
		if p != "" {
			oldPIDs[p] = true
		}
	}
	for pid := range oldPIDs {
		if _, ok := newProfiles[pid]; !ok {
			if err := o.tx.Delete(o.g.profileKey(pid)); err != nil {
				return nil, err
			}
		}
	}
	for pid, po := range newProfiles {
		ps := profileState{comp: newProfileComp[pid], anchor: po.anchor, sets: po.sets, ids: po.ids}
		if err := o.tx.Set(o.g.profileKey(pid), ps.encode()); err != nil {
			return nil, err
		}
		if !oldPIDs[pid] {
			w := writer{}
			w.str(po.anchor.Source)
			w.str(po.anchor.ID)
			if err := o.tx.Set(o.g.aliasKey(pid), w.b); err != nil {
				return nil, err
			}
		}
	}
	newProfile := map[SetHash]string{}
	for h, s := range universe {
		newProfile[h] = s.profile
	}
	res.Changes = diffAssignments(oldProfile, newProfile)
	res.Warnings = o.warn
	return res, nil
}

func (o *op) refusals(h SetHash, rs []Refusal) {
	if o.refused == nil {
		o.refused = map[SetHash][]Refusal{}
	}
	o.refused[h] = rs
}

func (o *op) lastRefusals(h SetHash) []Refusal { return o.refused[h] }

// writeIdents writes back identifier states that changed.
func (o *op) writeIdents() error {
	for id, s := range o.idents {
		o.kb = o.g.identKeyTo(o.kb, id)
		if s.sets == 0 {
			if err := o.tx.Delete(o.kb); err != nil {
				return err
			}
			continue
		}
		enc := s.appendTo(o.vb)
		o.vb = enc
		if old, ok := o.identOrig[id]; ok && bytes.Equal(old, enc) {
			continue
		}
		if err := o.put(o.kb, enc); err != nil {
			return err
		}
	}
	return nil
}

// capComponents splits the sets into components and keeps each under the
// size cap by unlinking, in a component over the cap, the identifier carried
// by the most sets (ties: the smallest ID), until every component fits.
// capID marks an identifier as capped; rv.shared must report it from then on.
func capComponents(rv *resolver, inputs []setInput, limit int, capID func(ID)) ([][]int, []error) {
	return capComponentsWith(rv, inputs, limit, capID, func() [][]int { return rv.components(inputs) })
}

// capComponentsWith is capComponents with the components computed by
// components (which must see capID's effect).
func capComponentsWith(rv *resolver, inputs []setInput, limit int, capID func(ID), components func() [][]int) ([][]int, []error) {
	var warn []error
	for {
		comps := components()
		over := false
		for _, c := range comps {
			if len(c) <= limit {
				continue
			}
			over = true
			degree := map[ID]int{}
			for _, m := range c {
				for _, id := range inputs[m].ids {
					if rv.linking(id) {
						degree[id]++
					}
				}
			}
			var worst ID
			best := -1
			for id, d := range degree {
				if d > best || (d == best && id.Compare(worst) < 0) {
					worst, best = id, d
				}
			}
			capID(worst)
			if rv.cache != nil {
				rv.prepare(inputs)
			}
			warn = append(warn, fmt.Errorf("%w: %d identifier sets; unlinked a %s carried by %d of them", ErrComponentCap, len(c), worst.Type, best))
		}
		if !over {
			return comps, warn
		}
	}
}

// diffAssignments compares which profile each set belonged to before and
// after, and names what happened to each profile. A set absent from after
// was removed.
func diffAssignments(before, after map[SetHash]string) []Change {
	olds := map[string]map[string]bool{} // new profile -> old profiles of its sets
	news := map[string]map[string]bool{} // old profile -> new profiles of its sets
	add := func(m map[string]map[string]bool, k, v string) {
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		if v != "" {
			m[k][v] = true
		}
	}
	for h, np := range after {
		op := before[h]
		add(olds, np, op)
		if op != "" {
			add(news, op, np)
		}
	}
	for h, op := range before {
		if _, ok := after[h]; !ok && op != "" {
			add(news, op, "")
		}
	}
	var out []Change
	for np, o := range olds {
		from := sortedKeys(o)
		switch {
		case len(from) == 0:
			out = append(out, Change{Kind: Created, Profile: np})
		case len(from) > 1:
			out = append(out, Change{Kind: Merged, Profile: np, From: slices.DeleteFunc(from, func(s string) bool { return s == np })})
		case len(news[from[0]]) > 1:
			out = append(out, Change{Kind: Split, Profile: np, From: from})
		case from[0] != np:
			out = append(out, Change{Kind: Renamed, Profile: np, From: from})
		default:
			out = append(out, Change{Kind: Updated, Profile: np})
		}
	}
	for op, n := range news {
		if _, still := olds[op]; still {
			continue
		}
		absorbed := false
		for _, c := range out {
			if slices.Contains(c.From, op) {
				absorbed = true
			}
		}
		if !absorbed && len(n) == 0 {
			out = append(out, Change{Kind: Removed, Profile: op})
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Profile, b.Profile) })
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// fastJoin handles the common case without re-resolving a component: one
// new identifier set whose linking identifiers are either new or all in the
// one profile of a clean component, with the profile's limits not reached
// and an anchor later than the profile's. Resolving the component again
// would give the same profile with the set and its new identifiers added,
// which is what fastJoin writes. It reports false (and writes nothing) when
// the case does not apply.
func (o *op) fastJoin(res *Result) (bool, error) {
	if len(o.dirty) != 1 || len(o.comps) != 0 || len(o.removed) != 0 {
		return false, nil
	}
	var h SetHash
	for h = range o.dirty {
	}
	s, err := o.set(h)
	if err != nil || s == nil || s.count != 1 || s.comp != 0 {
		return false, err
	}
	var comp uint64
	var pid string
	var fresh []ID
	for _, id := range s.ids {
		is, err := o.ident(id)
		if err != nil {
			return false, err
		}
		if o.g.pol.BlockReason(id) != "" || o.sharedState(id, is) {
			continue
		}
		if is.comp == 0 {
			if is.sets != 1 {
				return false, nil
			}
			fresh = append(fresh, id)
			continue
		}
		if is.profile == "" || (comp != 0 && (is.comp != comp || is.profile != pid)) {
			return false, nil
		}
		comp, pid = is.comp, is.profile
	}
	if comp == 0 {
		return false, nil
	}
	b, err := o.get(o.g.compKeyTo(o.kb, comp))
	if err != nil {
		return false, err
	}
	cs, err := decodeComp(b)
	if err != nil || !cs.clean || len(cs.sets)+1 > o.g.pol.componentCap() {
		return false, err
	}
	b, err = o.get(o.g.profileKeyTo(o.kb, pid))
	if err != nil {
		return false, err
	}
	ps, err := decodeProfile(b)
	if err != nil || s.anchor.Compare(ps.anchor) <= 0 {
		return false, err
	}
	if len(fresh) > 0 {
		counts := map[Type]int{}
		for _, id := range ps.ids {
			counts[id.Type]++
		}
		for _, id := range fresh {
			counts[id.Type]++
			if m := o.g.pol.Policy(id.Type).MaxPerProfile; m > 0 && counts[id.Type] > m {
				return false, nil
			}
		}
	}
	// The join.
	s.comp, s.profile = comp, pid
	if err := o.putSet(h, s); err != nil {
		return false, err
	}
	for _, id := range fresh {
		is, _ := o.ident(id)
		is.comp, is.profile = comp, pid
		i, _ := slices.BinarySearchFunc(ps.ids, id, ID.Compare)
		ps.ids = slices.Insert(ps.ids, i, id)
	}
	i, _ := slices.BinarySearchFunc(ps.sets, h, compareHash)
	ps.sets = slices.Insert(ps.sets, i, h)
	cs.sets = append(cs.sets, h)
	if err := o.put(o.g.compKeyTo(o.kb, comp), cs.appendTo(o.vb)); err != nil {
		return false, err
	}
	if err := o.put(o.g.profileKeyTo(o.kb, pid), ps.appendTo(o.vb)); err != nil {
		return false, err
	}
	res.Changes = []Change{{Kind: Updated, Profile: pid}}
	o.joined = true
	return true, o.writeIdents()
}
