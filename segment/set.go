package segment

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/unifycdp/unify/profile"
)

// Segment is a named expression.
type Segment struct {
	Name string
	Expr string
}

// Set is a compiled set of segments, evaluated together against a profile.
// It is immutable and safe for concurrent use.
type Set struct {
	names []string // sorted
	progs []*Program
	rfm   profile.RFMThresholds
}

// NewSet compiles segments with opts. Names must be unique and not empty.
// Errors are an ErrorList holding the errors of every segment that failed
// (up to MaxErrors each), each with its segment's name.
func NewSet(segments []Segment, opts Options) (*Set, error) {
	opts = opts.withDefaults()
	sorted := slices.Clone(segments)
	slices.SortStableFunc(sorted, func(a, b Segment) int { return cmp.Compare(a.Name, b.Name) })
	s := &Set{rfm: opts.RFM}
	var errs ErrorList
	for i, seg := range sorted {
		if seg.Name == "" || i > 0 && sorted[i-1].Name == seg.Name {
			msg := "duplicate segment name"
			if seg.Name == "" {
				msg = "segment without a name"
			}
			errs = append(errs, &Error{Segment: seg.Name, Src: seg.Expr, Msg: msg})
			continue
		}
		p, err := Compile(seg.Expr, opts)
		var list ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				e.Segment = seg.Name
			}
			errs = append(errs, list...)
			continue
		}
		s.names = append(s.names, seg.Name)
		s.progs = append(s.progs, p)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// Names returns the names of the segments, sorted.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Evaluate returns the names of the segments profile p belongs to at time
// now, sorted. A segment whose evaluation fails (ErrCostExceeded) is left
// out and its error, naming the segment, is joined into the error
// returned with the names of the others.
func (s *Set) Evaluate(p *profile.Profile, now time.Time) ([]string, error) {
	return s.AppendMatches(nil, p, now)
}

// AppendMatches is Evaluate appending the names to dst, to reuse a buffer.
func (s *Set) AppendMatches(dst []string, p *profile.Profile, now time.Time) ([]string, error) {
	if p == nil {
		return dst, ErrNilProfile
	}
	st := newState(p, now, &s.rfm)
	defer st.release()
	var errs []error
	for i, prog := range s.progs {
		ok, err := st.run(prog)
		if err != nil {
			errs = append(errs, fmt.Errorf("segment %q: %w", s.names[i], err))
		}
		if ok {
			dst = append(dst, s.names[i])
		}
	}
	return dst, errors.Join(errs...)
}
