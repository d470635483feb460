package unify

import (
	"context"
	"slices"

	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
)

// evaluateSegments sets p.Segments to the segments p belongs to now and
// returns a feed entry for every segment entered or exited since the
// memberships p.Segments held. A segment whose evaluation fails keeps the
// membership it had, and the failure is logged.
func (e *Engine) evaluateSegments(p *profile.Profile) []Change {
	if e.segments == nil {
		return nil
	}
	old := p.Segments
	now, err := e.segments.Evaluate(p, e.now())
	if err != nil {
		e.log.Warn("unify: segment evaluation failed", "profile", p.ID, "err", err)
	}
	p.Segments = now
	var cs []Change
	for _, s := range now {
		if _, found := slices.BinarySearch(old, s); !found {
			cs = append(cs, Change{Kind: SegmentEntered, Profile: p.ID, Segment: s})
		}
	}
	for _, s := range old {
		if _, found := slices.BinarySearch(now, s); !found {
			cs = append(cs, Change{Kind: SegmentExited, Profile: p.ID, Segment: s})
		}
	}
	return cs
}

// RefreshSegments evaluates every profile's segments again at the current
// time and reports the entries it appended to the feed. Segments that
// depend on time ("last_order > now - 90d") change without any record
// arriving: a host calls RefreshSegments periodically, say hourly.
func (e *Engine) RefreshSegments(ctx context.Context) (int, error) {
	if e.segments == nil {
		return 0, nil
	}
	total := 0
	prefix := store.AppendString(nil, "p")
	start := prefix
	for {
		n, last := 0, []byte(nil)
		var cs []Change
		err := e.update(ctx, func(tx store.Tx) error {
			n, last, cs = 0, nil, nil
			type item struct {
				key []byte
				p   *profile.Profile
			}
			var batch []item
			it := tx.Iterate(store.IterOptions{Prefix: prefix, Start: start})
			for len(batch) < 500 && it.Next() {
				v, err := it.Value()
				if err != nil {
					it.Close()
					return err
				}
				p := new(profile.Profile)
				if err := p.UnmarshalBinary(v); err != nil {
					it.Close()
					return err
				}
				batch = append(batch, item{store.Copy(it.Key()), p})
			}
			err := it.Err()
			it.Close()
			if err != nil {
				return err
			}
			for _, b := range batch {
				segs := e.evaluateSegments(b.p)
				if len(segs) > 0 {
					if _, err := e.saveProfile(tx, b.p); err != nil {
						return err
					}
					cs = append(cs, segs...)
				}
				last = b.key
			}
			n = len(batch)
			return e.appendChanges(tx, cs)
		})
		if err != nil {
			return total, err
		}
		total += len(cs)
		if len(cs) > 0 {
			e.wake()
		}
		if n < 500 {
			return total, nil
		}
		start = append(last, 0)
	}
}
