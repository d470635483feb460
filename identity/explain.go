package identity

import (
	"errors"
	"fmt"

	"github.com/unifycdp/unify/store"
)

// Step is one link in an explanation: Record carried both From and To.
type Step struct {
	From   ID
	To     ID
	Record RecordKey
}

// Explanation is the chain of records that puts two identifiers in one
// profile, shortest first.
type Explanation struct {
	Profile string
	Steps   []Step
}

// Explain returns the chain of records that links a and b. If they are in
// different profiles (or none), the error matches ErrNotLinked or
// ErrNotFound; ExplainID then tells more about each.
func (g *Graph) Explain(tx store.Tx, a, b ID) (*Explanation, error) {
	pa, err := g.Lookup(tx, a)
	if err != nil {
		return nil, err
	}
	pb, err := g.Lookup(tx, b)
	if err != nil {
		return nil, err
	}
	if pa != pb {
		return nil, fmt.Errorf("%w: %s is in %s, %s is in %s", ErrNotLinked, a.Type, pa, b.Type, pb)
	}
	ex := &Explanation{Profile: pa}
	if a == b {
		return ex, nil
	}
	o := g.newOp(tx)
	is, err := o.ident(a)
	if err != nil {
		return nil, err
	}
	part, err := o.tracePartition(is.comp)
	if err != nil {
		return nil, err
	}
	// Breadth-first search over the links made, from a to b.
	adj := map[ID][]Step{}
	for _, e := range part.edges {
		adj[e.a] = append(adj[e.a], Step{e.a, e.b, e.record})
		adj[e.b] = append(adj[e.b], Step{e.b, e.a, e.record})
	}
	prev := map[ID]Step{a: {}}
	queue := []ID{a}
	for len(queue) > 0 && prev[b] == (Step{}) {
		cur := queue[0]
		queue = queue[1:]
		for _, st := range adj[cur] {
			if _, seen := prev[st.To]; !seen {
				prev[st.To] = st
				queue = append(queue, st.To)
			}
		}
	}
	if _, ok := prev[b]; !ok {
		return nil, fmt.Errorf("%w: no chain of links found inside profile %s", errCorrupt, pa)
	}
	for cur := b; cur != a; cur = prev[cur].From {
		ex.Steps = append([]Step{prev[cur]}, ex.Steps...)
	}
	return ex, nil
}

// tracePartition re-resolves one stored component with tracing on.
func (o *op) tracePartition(comp uint64) (*partition, error) {
	b, err := o.tx.Get(o.g.compKey(comp))
	if err != nil {
		return nil, fmt.Errorf("component %d: %w", comp, err)
	}
	cs, err := decodeComp(b)
	if err != nil {
		return nil, err
	}
	inputs := make([]setInput, 0, len(cs.sets))
	for _, h := range cs.sets {
		s, err := o.set(h)
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, fmt.Errorf("%w: component lists a missing set", errCorrupt)
		}
		inputs = append(inputs, setInput{hash: h, ids: s.ids, anchor: s.anchor})
	}
	rv := &resolver{pol: &o.g.pol, trace: true, shared: func(id ID) bool {
		is, err := o.ident(id)
		return err == nil && o.sharedState(id, is)
	}}
	return rv.partition(inputs), nil
}

// IDStatus says where an identifier stands and why.
type IDStatus struct {
	ID      ID
	Profile string // "" when in no profile
	Sets    int    // distinct identifier sets (records with the same identifiers count once) carrying it
	// Blocked is the reason the value never links, or "".
	Blocked string
	// Shared is true when the value was seen with too many stronger values;
	// StrongerSeen counts them by type (capped at the threshold plus one).
	Shared       bool
	StrongerSeen map[Type]int `json:",omitempty"`
	// Capped is true when the value was unlinked to keep a component under
	// the size cap.
	Capped bool
	// Refused lists links resolution did not make for the value.
	Refused []Refusal `json:",omitempty"`
}

// ExplainID reports an identifier's status: its profile, or why it is in
// none (blocked, shared, capped or refused by a limit).
func (g *Graph) ExplainID(tx store.Tx, id ID) (*IDStatus, error) {
	o := g.newOp(tx)
	b, err := tx.Get(g.identKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: identifier %s", ErrNotFound, id.Type)
	}
	if err != nil {
		return nil, err
	}
	is, err := decodeIdent(b)
	if err != nil {
		return nil, err
	}
	st := &IDStatus{ID: id, Profile: is.profile, Sets: int(is.sets), Blocked: g.pol.BlockReason(id),
		Capped: is.capped, Shared: sharedByRefs(&g.pol, id.Type, is.stronger)}
	for _, r := range is.stronger {
		if st.StrongerSeen == nil {
			st.StrongerSeen = map[Type]int{}
		}
		st.StrongerSeen[r.typ]++
	}
	// Refusals live in the components of the sets that carry the value.
	hs, err := o.setsOf(id)
	if err != nil {
		return nil, err
	}
	done := map[uint64]bool{}
	for _, h := range hs {
		s, err := o.set(h)
		if err != nil {
			return nil, err
		}
		if s == nil || s.comp == 0 || done[s.comp] {
			continue
		}
		done[s.comp] = true
		part, err := o.tracePartition(s.comp)
		if err != nil {
			return nil, err
		}
		for _, r := range part.refusals {
			if r.ID == id || r.From == id {
				st.Refused = append(st.Refused, r)
			}
		}
	}
	return st, nil
}
