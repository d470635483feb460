package segment

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

// Options set the limits of parsing and evaluation, and how fields are
// computed. The zero Options are the defaults; a zero or negative limit
// means its default. Limits cannot be turned off, only raised.
type Options struct {
	MaxLength int   // bytes of source; default DefaultMaxLength (16 KiB) → ErrTooLong
	MaxDepth  int   // nesting of parentheses, lists, calls, not and -; default DefaultMaxDepth (64) → ErrTooDeep
	MaxNodes  int   // nodes of the tree; default DefaultMaxNodes (2000) → ErrTooComplex
	MaxCost   int64 // cost of one Eval; default DefaultMaxCost (100,000) → ErrCostExceeded

	// RFM are the thresholds of rfm.recency, rfm.frequency and
	// rfm.monetary; zero arrays mean profile.DefaultRFMThresholds.
	RFM profile.RFMThresholds
}

func (o Options) withDefaults() Options {
	if o.MaxLength <= 0 {
		o.MaxLength = DefaultMaxLength
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxNodes <= 0 {
		o.MaxNodes = DefaultMaxNodes
	}
	if o.MaxCost <= 0 {
		o.MaxCost = DefaultMaxCost
	}
	return o
}

// Program is a compiled expression. It is immutable and safe for
// concurrent use by many goroutines.
type Program struct {
	src     string
	nodes   int64 // the cost of evaluating every node once
	root    evalFn
	maxCost int64
	rfm     profile.RFMThresholds
}

// Compile parses, checks against DefaultEnv and compiles src. Errors are an
// ErrorList; limit errors in it match ErrTooLong, ErrTooDeep and
// ErrTooComplex with errors.Is.
func Compile(src string, opts Options) (*Program, error) {
	opts = opts.withDefaults()
	tree, err := parse(src, opts)
	if err != nil {
		return nil, err
	}
	c, err := Check(tree, nil)
	if err != nil {
		return nil, err
	}
	return NewProgram(c, opts)
}

// NewProgram compiles a checked tree with opts (only MaxCost and RFM
// matter here).
func NewProgram(c *Checked, opts Options) (prog *Program, err error) {
	if c == nil {
		return nil, ErrorList{{Msg: "nil Checked"}}
	}
	opts = opts.withDefaults()
	defer func() {
		if e := recover(); e != nil {
			prog, err = nil, ErrorList{{Src: c.tree.Src, Msg: fmt.Sprintf("internal error: %v", e)}}
		}
	}()
	return &Program{src: c.tree.Src, nodes: int64(c.tree.Nodes), root: (&compiler{c}).compile(c.tree.Root), maxCost: opts.MaxCost, rfm: opts.RFM}, nil
}

// String returns the source of the program.
func (p *Program) String() string { return p.src }

// Eval reports whether profile pr satisfies the program at time now (the
// value of now, and the reference of within and rfm.recency). It is pure:
// it reads pr and nothing else, and writes nothing. It returns an error
// wrapping ErrCostExceeded when the evaluation costs more than MaxCost,
// and ErrNilProfile for a nil pr.
func (p *Program) Eval(pr *profile.Profile, now time.Time) (bool, error) {
	if pr == nil {
		return false, ErrNilProfile
	}
	s := newState(pr, now, &p.rfm)
	defer s.release()
	return s.run(p)
}

var states = sync.Pool{New: func() any { return new(state) }}

// newState returns a state from the pool, to be released after use.
func newState(p *profile.Profile, now time.Time, th *profile.RFMThresholds) *state {
	s := states.Get().(*state)
	*s = state{p: p, now: now, th: th}
	return s
}

func (s *state) release() {
	*s = state{}
	states.Put(s)
}

// state is one evaluation. Every node costs 1, charged up front (the
// nodes of a tree are evaluated at most once: the language has no loops);
// list operations charge their elements as they go.
type state struct {
	p      *profile.Profile
	now    time.Time
	cost   int64
	budget int64
	th     *profile.RFMThresholds
	rfm    profile.RFM
	rfmOK  bool
	known  int8 // 0 not computed, 1 false, 2 true
}

func (s *state) run(p *Program) (bool, error) {
	s.cost, s.budget = p.nodes, p.maxCost
	v := p.root(s)
	if s.cost > s.budget {
		return false, fmt.Errorf("%w: more than %d", ErrCostExceeded, s.budget)
	}
	return v.k == kBool && v.b, nil
}

// charge adds n to the cost and reports whether the budget still holds.
func (s *state) charge(n int) bool {
	s.cost += int64(n)
	return s.cost <= s.budget
}

type kind uint8

const (
	kNull kind = iota
	kBool
	kNum
	kMoney
	kStr
	kTime
	kDur
	kStrs
	kNums
)

// val is a run-time value.
type val struct {
	k kind
	b bool
	i int64 // money in cents, duration
	n float64
	s string
	t time.Time
	l []string
	f []float64
}

var null val

type evalFn func(*state) val

type compiler struct{ *Checked }

func (c *compiler) compile(n Node) evalFn {
	if m, ok := c.money[n]; ok {
		return constant(val{k: kMoney, i: int64(m)})
	}
	switch n := n.(type) {
	case *NumberNode:
		return constant(val{k: kNum, n: n.Value})
	case *StringNode:
		return constant(val{k: kStr, s: n.Value})
	case *DurationNode:
		return constant(val{k: kDur, i: int64(n.Value)})
	case *BoolNode:
		return constant(val{k: kBool, b: n.Value})
	case *NullNode:
		return constant(null)
	case *ListNode:
		return constant(c.listConst(n))
	case *FieldNode:
		return c.field(c.fields[n])
	case *UnaryNode:
		x := c.compile(n.X)
		if n.Op == "not" {
			return func(s *state) val {
				v := x(s)
				return val{k: kBool, b: !(v.k == kBool && v.b)}
			}
		}
		return func(s *state) val {
			return neg(x(s))
		}
	case *BinaryNode:
		return c.binary(n)
	case *CallNode:
		return c.call(n)
	}
	panic(fmt.Sprintf("unexpected node %T", n))
}

func constant(v val) evalFn {
	return func(*state) val { return v }
}

// listConst returns a list literal, sorted for binary search.
func (c *compiler) listConst(n *ListNode) val {
	if c.types[n] == TypeStringList {
		l := make([]string, len(n.Elems))
		for i, e := range n.Elems {
			l[i] = e.(*StringNode).Value
		}
		slices.Sort(l)
		return val{k: kStrs, l: slices.Compact(l)}
	}
	f := make([]float64, len(n.Elems))
	for i, e := range n.Elems {
		if u, ok := e.(*UnaryNode); ok {
			f[i] = -u.X.(*NumberNode).Value
		} else {
			f[i] = e.(*NumberNode).Value
		}
	}
	slices.Sort(f)
	return val{k: kNums, f: slices.Compact(f)}
}

func num(n int) val             { return val{k: kNum, n: float64(n)} }
func money(m profile.Money) val { return val{k: kMoney, i: int64(m)} }
func strs(l []string) val       { return val{k: kStrs, l: l} }
func boolean(b bool) val        { return val{k: kBool, b: b} }
func timeVal(t time.Time) val {
	if t.IsZero() {
		return null
	}
	return val{k: kTime, t: t}
}

// field compiles a field read.
func (c *compiler) field(f fieldRef) evalFn {
	key := f.key
	switch f.def.id {
	case fRecords:
		return func(s *state) val { return num(s.p.Records) }
	case fFirstSeen:
		return func(s *state) val { return timeVal(s.p.FirstSeen) }
	case fLastSeen:
		return func(s *state) val { return timeVal(s.p.LastSeen) }
	case fLastActive:
		return func(s *state) val { return timeVal(s.p.Traits.LastSeen) }
	case fOrders:
		return func(s *state) val { return num(s.p.Traits.OrderCount) }
	case fReturns:
		return func(s *state) val { return num(s.p.Traits.Returns) }
	case fCurrency:
		return func(s *state) val { return val{k: kStr, s: s.p.Traits.Currency} }
	case fSpend:
		return func(s *state) val { return money(s.p.Traits.TotalSpend) }
	case fAOV:
		return func(s *state) val { return money(s.p.Traits.AverageOrderValue) }
	case fFirstOrder:
		return func(s *state) val { return timeVal(s.p.Traits.FirstOrder) }
	case fLastOrder:
		return func(s *state) val { return timeVal(s.p.Traits.LastOrder) }
	case fFavouriteStore:
		return func(s *state) val { return val{k: kStr, s: s.p.Traits.FavouriteStore} }
	case fChannels:
		return func(s *state) val { return strs(s.p.Traits.Channels) }
	case fCategoriesBought:
		return func(s *state) val { return strs(s.p.Traits.CategoriesBought) }
	case fCategoriesBrowsed:
		return func(s *state) val { return strs(s.p.Traits.CategoriesBrowsed) }
	case fCoupons:
		return func(s *state) val { return strs(s.p.Traits.Coupons) }
	case fTickets:
		return func(s *state) val { return num(s.p.Traits.Tickets) }
	case fKnown:
		return func(s *state) val { return boolean(s.isKnown()) }
	case fNow:
		return func(s *state) val { return val{k: kTime, t: s.now} }
	case fRecency:
		return func(s *state) val { return num(s.scores().Recency) }
	case fFrequency:
		return func(s *state) val { return num(s.scores().Frequency) }
	case fMonetary:
		return func(s *state) val { return num(s.scores().Monetary) }
	case fEvents:
		return func(s *state) val { return num(get(s.p.Traits.EventCounts, key)) }
	case fSpendByChannel:
		return func(s *state) val { return money(get(s.p.Traits.SpendByChannel, key)) }
	case fOrdersByChannel:
		return func(s *state) val { return num(get(s.p.Traits.OrderCountByChannel, key)) }
	case fOrdersByStore:
		return func(s *state) val { return num(get(s.p.Traits.OrderCountByStore, key)) }
	case fRecordsByKind:
		k := profile.Kind(key)
		return func(s *state) val { return num(get(s.p.Traits.RecordsByKind, k)) }
	case fAttr:
		return func(s *state) val { return dyn(get(s.p.Attributes, key).Value) }
	}
	panic(fmt.Sprintf("unhandled field %s", f.def.Name))
}

// get returns the value of k in t, the zero value if absent.
func get[K ~string, V any](t profile.Table[K, V], k K) V {
	v, _ := t.Get(k)
	return v
}

// dyn converts an attribute value.
func dyn(v profile.Value) val {
	switch v.Kind() {
	case profile.ValueString:
		return val{k: kStr, s: v.String()}
	case profile.ValueNumber:
		return val{k: kNum, n: v.Number()}
	case profile.ValueBool:
		return boolean(v.Bool())
	}
	return null
}

func (s *state) scores() profile.RFM {
	if !s.rfmOK {
		s.rfm, s.rfmOK = s.p.Traits.RFM(s.now, *s.th), true
	}
	return s.rfm
}

// isKnown reports whether the profile has an identifier of a type that
// names a person.
func (s *state) isKnown() bool {
	if s.known == 0 {
		s.known = 1
		s.cost += int64(len(s.p.Identifiers))
		for _, id := range s.p.Identifiers {
			switch id.ID.Type {
			case identity.TypeEmail, identity.TypePhone, identity.TypeCustomerID, identity.TypeLoyaltyCard:
				s.known = 2
			}
		}
	}
	return s.known == 2
}

// coerce compiles n converted to type want where n is dyn: a number to
// money, a string to a time.
func (c *compiler) coerce(n Node, want Type) evalFn {
	f := c.compile(n)
	if c.types[n] != TypeDyn {
		return f
	}
	switch want {
	case TypeMoney:
		return func(s *state) val {
			v := f(s)
			if v.k != kNum || math.Abs(v.n) >= 9e16 {
				return null
			}
			return val{k: kMoney, i: int64(math.Round(v.n * 100))}
		}
	case TypeTime:
		return func(s *state) val {
			v := f(s)
			if v.k != kStr {
				return null
			}
			for _, layout := range [...]string{time.RFC3339Nano, time.DateTime, time.DateOnly} {
				if t, err := time.Parse(layout, v.s); err == nil {
					return val{k: kTime, t: t}
				}
			}
			return null
		}
	}
	return f
}

// operands compiles the operands of a binary node, converting a dyn
// operand to the other's type.
func (c *compiler) operands(n *BinaryNode) (x, y evalFn) {
	return c.coerce(n.X, c.types[n.Y]), c.coerce(n.Y, c.types[n.X])
}

func (c *compiler) binary(n *BinaryNode) evalFn {
	switch n.Op {
	case "and", "or":
		return c.logical(n)
	case "in", "not in":
		return c.member(n)
	case "+", "-", "*", "/":
		x, y := c.operands(n)
		op := n.Op[0]
		return func(s *state) val {
			return arith(op, x(s), y(s))
		}
	}
	x, y := c.operands(n)
	var test func(c int) bool
	switch n.Op {
	case "==":
		test = func(c int) bool { return c == 0 }
	case "!=":
		return func(s *state) val {
			c, ok := compare(x(s), y(s), false)
			return boolean(!ok || c != 0)
		}
	case "<":
		test = func(c int) bool { return c < 0 }
	case "<=":
		test = func(c int) bool { return c <= 0 }
	case ">":
		test = func(c int) bool { return c > 0 }
	case ">=":
		test = func(c int) bool { return c >= 0 }
	}
	ordered := n.Op != "=="
	return func(s *state) val {
		c, ok := compare(x(s), y(s), ordered)
		return boolean(ok && test(c))
	}
}

// logical compiles a chain of and or of or, flattened.
func (c *compiler) logical(n *BinaryNode) evalFn {
	var ops []evalFn
	var flatten func(x Node)
	flatten = func(x Node) {
		if b, ok := x.(*BinaryNode); ok && b.Op == n.Op {
			flatten(b.X)
			flatten(b.Y)
			return
		}
		ops = append(ops, c.compile(x))
	}
	flatten(n)
	stop := n.Op == "or" // the value that ends the chain
	return func(s *state) val {
		for _, f := range ops {
			v := f(s)
			if (v.k == kBool && v.b) == stop {
				return boolean(stop)
			}
		}
		return boolean(!stop)
	}
}

// compare compares two values of the same kind; ok is false for values of
// different kinds (but null equals null), NaNs, and bools when ordered.
func compare(a, b val, ordered bool) (c int, ok bool) {
	if a.k != b.k {
		return 0, false
	}
	switch a.k {
	case kNull:
		return 0, !ordered
	case kBool:
		if ordered {
			return 0, false
		}
		if a.b == b.b {
			return 0, true
		}
		return 1, true
	case kNum:
		if math.IsNaN(a.n) || math.IsNaN(b.n) {
			return 0, false
		}
		return cmp.Compare(a.n, b.n), true
	case kMoney, kDur:
		return cmp.Compare(a.i, b.i), true
	case kStr:
		return strings.Compare(a.s, b.s), true
	case kTime:
		return a.t.Compare(b.t), true
	}
	return 0, false
}

func neg(v val) val {
	switch v.k {
	case kNum:
		v.n = -v.n
	case kMoney, kDur:
		v.i = -v.i
	default:
		return null
	}
	return v
}

// arith computes a op b; mismatched kinds, division by zero and overflow of
// money and durations give null.
func arith(op byte, a, b val) val {
	switch {
	case a.k == kNum && b.k == kNum:
		switch op {
		case '+':
			return val{k: kNum, n: a.n + b.n}
		case '-':
			return val{k: kNum, n: a.n - b.n}
		case '*':
			return val{k: kNum, n: a.n * b.n}
		}
		if b.n == 0 {
			return null
		}
		return val{k: kNum, n: a.n / b.n}
	case a.k == b.k && (a.k == kMoney || a.k == kDur):
		switch op {
		case '+':
			return checkedInt(a.k, float64(a.i)+float64(b.i), a.i+b.i)
		case '-':
			return checkedInt(a.k, float64(a.i)-float64(b.i), a.i-b.i)
		}
		if b.i == 0 {
			return null
		}
		return val{k: kNum, n: float64(a.i) / float64(b.i)}
	case (a.k == kMoney || a.k == kDur) && b.k == kNum:
		if op == '/' {
			if b.n == 0 {
				return null
			}
			return scaled(a.k, float64(a.i)/b.n)
		}
		return scaled(a.k, float64(a.i)*b.n)
	case a.k == kNum && (b.k == kMoney || b.k == kDur):
		return scaled(b.k, a.n*float64(b.i))
	case a.k == kTime && b.k == kDur:
		d := time.Duration(b.i)
		if op == '-' {
			if d == math.MinInt64 {
				return null
			}
			d = -d
		}
		return val{k: kTime, t: a.t.Add(d)}
	case a.k == kDur && b.k == kTime:
		return val{k: kTime, t: b.t.Add(time.Duration(a.i))}
	case a.k == kTime && b.k == kTime:
		return val{k: kDur, i: int64(a.t.Sub(b.t))}
	}
	return null
}

// checkedInt returns an integer result, null if it overflowed (f is the
// result computed in floating point).
func checkedInt(k kind, f float64, i int64) val {
	if math.Abs(f-float64(i)) > 1e6 {
		return null
	}
	return val{k: k, i: i}
}

// scaled returns money or a duration computed in floating point, rounded;
// null when out of range.
func scaled(k kind, f float64) val {
	f = math.Round(f)
	if math.IsNaN(f) || math.Abs(f) >= 9.2e18 {
		return null
	}
	return val{k: k, i: int64(f)}
}

// member compiles in and not in.
func (c *compiler) member(n *BinaryNode) evalFn {
	x, y := c.compile(n.X), c.compile(n.Y)
	negate := n.Op == "not in"
	var in func(s *state, a, b val) bool
	if l, ok := n.Y.(*ListNode); ok {
		set := c.listConst(l)
		in = func(s *state, a, _ val) bool { return s.charge(1) && contains(set, a) }
		y = func(*state) val { return null }
	} else {
		in = func(s *state, a, b val) bool {
			switch {
			case b.k == kStrs && a.k == kStr:
				return s.charge(len(b.l)) && slices.Contains(b.l, a.s)
			case b.k == kStr && a.k == kStr:
				return s.charge(1+len(b.s)/64) && strings.Contains(b.s, a.s)
			}
			return false
		}
	}
	return func(s *state) val {
		return boolean(in(s, x(s), y(s)) != negate)
	}
}

// contains reports whether a is in the sorted constant list set.
func contains(set, a val) bool {
	switch {
	case set.k == kStrs && a.k == kStr:
		_, ok := slices.BinarySearch(set.l, a.s)
		return ok
	case set.k == kNums && a.k == kNum:
		_, ok := slices.BinarySearch(set.f, a.n)
		return ok
	}
	return false
}

func (c *compiler) call(n *CallNode) evalFn {
	if name, ok := c.names[n]; ok {
		if n.Func == "has" {
			t := identity.Type(name)
			return func(s *state) val {
				s.cost += 1 + int64(len(s.p.Identifiers))
				return boolean(slices.ContainsFunc(s.p.Identifiers, func(id profile.IdentifierInfo) bool { return id.ID.Type == t }))
			}
		}
		purpose := consent.Purpose(name)
		return func(s *state) val {
			s.cost += 2
			return boolean(s.p.Consents.Allowed(purpose, nil))
		}
	}
	if n.Func == "has" { // has(attr.<name>)
		key := c.fields[n.Args[0].(*FieldNode)].key
		return func(s *state) val {
			a, ok := s.p.Attributes.Get(key)
			return boolean(ok && !a.Value.IsEmpty())
		}
	}
	switch n.Func {
	case "within":
		t, d := c.coerce(n.Args[0], TypeTime), c.compile(n.Args[1])
		return func(s *state) val {
			tv, dv := t(s), d(s)
			return boolean(tv.k == kTime && !tv.t.Before(s.now.Add(-time.Duration(dv.i))))
		}
	case "any":
		return c.anyOf(n)
	case "startswith", "endswith":
		x, y := c.compile(n.Args[0]), c.compile(n.Args[1])
		f := strings.HasPrefix
		if n.Func == "endswith" {
			f = strings.HasSuffix
		}
		return func(s *state) val {
			a, b := x(s), y(s)
			return boolean(a.k == kStr && b.k == kStr && f(a.s, b.s))
		}
	case "lower":
		x := c.compile(n.Args[0])
		return func(s *state) val {
			v := x(s)
			if v.k != kStr {
				return null
			}
			s.cost += int64(len(v.s) / 64)
			return val{k: kStr, s: strings.ToLower(v.s)}
		}
	case "len":
		x := c.compile(n.Args[0])
		return func(s *state) val {
			switch v := x(s); v.k {
			case kStrs:
				return num(len(v.l))
			case kNums:
				return num(len(v.f))
			case kStr:
				return num(utf8.RuneCountInString(v.s))
			}
			return null
		}
	}
	panic("unhandled function " + n.Func)
}

// anyOf compiles any(a, b): whether a and b share an element. A constant
// list is searched in O(log n); two field lists cost the product of their
// lengths.
func (c *compiler) anyOf(n *CallNode) evalFn {
	a, b := n.Args[0], n.Args[1]
	if _, ok := a.(*ListNode); ok {
		a, b = b, a
	}
	x := c.compile(a)
	if l, ok := b.(*ListNode); ok {
		set := c.listConst(l)
		return func(s *state) val {
			v := x(s)
			if !s.charge(len(v.l) + len(v.f)) {
				return null
			}
			for _, e := range v.l {
				if contains(set, val{k: kStr, s: e}) {
					return boolean(true)
				}
			}
			for _, e := range v.f {
				if contains(set, val{k: kNum, n: e}) {
					return boolean(true)
				}
			}
			return boolean(false)
		}
	}
	y := c.compile(b)
	return func(s *state) val {
		u, v := x(s), y(s)
		if !s.charge(len(u.l) * len(v.l)) {
			return null
		}
		for _, e := range u.l {
			if slices.Contains(v.l, e) {
				return boolean(true)
			}
		}
		return boolean(false)
	}
}
