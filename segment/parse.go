package segment

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Default limits; see Options.
const (
	DefaultMaxLength = 16 << 10
	DefaultMaxDepth  = 64
	DefaultMaxNodes  = 2000
	DefaultMaxCost   = 100_000
)

// Parse parses an expression with the default limits of Options.
func Parse(src string) (*Tree, error) { return parse(src, Options{}.withDefaults()) }

// parser holds the state of one parse. Errors abort the parse with a panic
// of *Error that parse recovers, as text/template/parse does.
type parser struct {
	src   string
	lex   *lexer
	tok   item // current token
	depth int
	nodes int
	opts  *Options
}

func parse(src string, opts Options) (t *Tree, err error) {
	if len(src) > opts.MaxLength {
		return nil, ErrorList{{Src: src, Pos: opts.MaxLength, Msg: fmt.Sprintf("expression is %d bytes, longer than the limit of %d", len(src), opts.MaxLength), Err: ErrTooLong}}
	}
	p := &parser{src: src, lex: lex(src), opts: &opts}
	defer p.recover(&err)
	p.next()
	root := p.parseExpr()
	if p.tok.typ != itemEOF {
		p.unexpected("after the expression")
	}
	return &Tree{Root: root, Src: src, Nodes: p.nodes}, nil
}

// recover turns a panic of *Error into the returned error; any other panic
// (a bug) too, rather than crashing the caller.
func (p *parser) recover(errp *error) {
	e := recover()
	if e == nil {
		return
	}
	perr, ok := e.(*Error)
	if !ok {
		perr = &Error{Src: p.src, Pos: p.tok.pos, Msg: fmt.Sprintf("internal error: %v", e)}
	}
	*errp = ErrorList{perr}
}

func (p *parser) errorAt(pos, end int, format string, args ...any) {
	panic(&Error{Src: p.src, Pos: pos, End: end, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) limit(err error, format string, args ...any) {
	panic(&Error{Src: p.src, Pos: p.tok.pos, End: p.tok.pos + len(p.tok.val), Msg: fmt.Sprintf(format, args...), Err: err})
}

func (p *parser) next() {
	p.tok = p.lex.nextItem()
	if p.tok.typ == itemError {
		p.errorAt(p.tok.pos, p.lex.errEnd, "%s", p.tok.val)
	}
}

func (p *parser) unexpected(context string) {
	t := p.tok
	msg := "unexpected " + t.String() + " " + context
	if t.typ == itemIdent {
		switch t.val {
		case "AND", "OR", "NOT", "IN", "TRUE", "FALSE", "NULL", "And", "Or", "Not":
			msg += " (keywords are lower-case)"
		}
	}
	p.errorAt(t.pos, t.pos+len(t.val), "%s", msg)
}

func (p *parser) expect(typ itemType, context string) item {
	t := p.tok
	if t.typ != typ {
		p.unexpected(context)
	}
	p.next()
	return t
}

// node counts a new node against MaxNodes.
func (p *parser) node() {
	p.nodes++
	if p.nodes > p.opts.MaxNodes {
		p.limit(ErrTooComplex, "expression has more than %d nodes", p.opts.MaxNodes)
	}
}

// enter and leave count nesting against MaxDepth.
func (p *parser) enter() {
	p.depth++
	if p.depth > p.opts.MaxDepth {
		p.limit(ErrTooDeep, "expression nested more than %d levels deep", p.opts.MaxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// Expr = AndExpr { "or" AndExpr } .
func (p *parser) parseExpr() Node {
	x := p.parseAnd()
	for p.tok.typ == itemOr {
		x = p.binary(x, p.parseAnd)
	}
	return x
}

// AndExpr = NotExpr { "and" NotExpr } .
func (p *parser) parseAnd() Node {
	x := p.parseNot()
	for p.tok.typ == itemAnd {
		x = p.binary(x, p.parseNot)
	}
	return x
}

// binary builds x op y for the current operator token, y from operand.
func (p *parser) binary(x Node, operand func() Node) Node {
	op := p.tok
	p.next()
	p.node()
	return &BinaryNode{OpAt: op.pos, Op: op.val, X: x, Y: operand()}
}

// NotExpr = "not" NotExpr | CmpExpr .
func (p *parser) parseNot() Node {
	if p.tok.typ != itemNot {
		return p.parseCompare()
	}
	return p.unary(p.parseNot)
}

// unary builds a unary node for the current operator token.
func (p *parser) unary(operand func() Node) Node {
	op := p.tok
	p.next()
	p.node()
	p.enter()
	defer p.leave()
	return &UnaryNode{At: op.pos, Op: op.val, X: operand()}
}

func isCompareOp(t item) bool {
	if t.typ == itemIn {
		return true
	}
	if t.typ != itemOp {
		return false
	}
	switch t.val {
	case "==", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// CmpExpr = AddExpr [ ( CmpOp | "in" | "not" "in" ) AddExpr ] .
func (p *parser) parseCompare() Node {
	x := p.parseAdd()
	op := p.tok
	switch {
	case op.typ == itemNot:
		p.next()
		if p.tok.typ != itemIn {
			p.unexpected("after not (want not in)")
		}
		op.val = "not in"
	case !isCompareOp(op):
		return x
	}
	p.next()
	p.node()
	b := &BinaryNode{OpAt: op.pos, Op: op.val, X: x, Y: p.parseAdd()}
	if t := p.tok; isCompareOp(t) || t.typ == itemNot {
		p.errorAt(t.pos, t.pos+len(t.val), "comparisons do not chain: use and, or parentheses")
	}
	return b
}

// AddExpr = MulExpr { ( "+" | "-" ) MulExpr } .
func (p *parser) parseAdd() Node {
	x := p.parseMul()
	for p.tok.typ == itemOp && (p.tok.val == "+" || p.tok.val == "-") {
		x = p.binary(x, p.parseMul)
	}
	return x
}

// MulExpr = Unary { ( "*" | "/" ) Unary } .
func (p *parser) parseMul() Node {
	x := p.parseUnary()
	for p.tok.typ == itemOp && (p.tok.val == "*" || p.tok.val == "/") {
		x = p.binary(x, p.parseUnary)
	}
	return x
}

// Unary = "-" Unary | Primary .
func (p *parser) parseUnary() Node {
	if p.tok.typ != itemOp || p.tok.val != "-" {
		return p.parsePrimary()
	}
	return p.unary(p.parseUnary)
}

// Primary = Literal | Field | Call | List | "(" Expr ")" .
func (p *parser) parsePrimary() Node {
	t := p.tok
	switch t.typ {
	case itemNumber:
		p.next()
		p.node()
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil || math.IsInf(f, 0) {
			p.errorAt(t.pos, t.pos+len(t.val), "number %s out of range", t.val)
		}
		return &NumberNode{At: t.pos, Text: t.val, Value: f}
	case itemDuration:
		p.next()
		p.node()
		d, err := parseDuration(t.val)
		if err != nil {
			p.errorAt(t.pos, t.pos+len(t.val), "duration %s: %v", t.val, err)
		}
		return &DurationNode{At: t.pos, Text: t.val, Value: d}
	case itemString:
		p.next()
		p.node()
		s, err := strconv.Unquote(t.val)
		if err != nil {
			p.errorAt(t.pos, t.pos+len(t.val), "malformed string %s", t.val)
		}
		return &StringNode{At: t.pos, Quoted: t.val, Value: s}
	case itemTrue, itemFalse:
		p.next()
		p.node()
		return &BoolNode{At: t.pos, Value: t.typ == itemTrue}
	case itemNull:
		p.next()
		p.node()
		return &NullNode{At: t.pos}
	case itemLParen:
		p.next()
		p.enter()
		x := p.parseExpr()
		p.leave()
		p.expect(itemRParen, "in parentheses (want ))")
		return x
	case itemLBrack:
		p.next()
		p.node()
		p.enter()
		elems := p.parseList(itemRBrack, "in list")
		p.leave()
		end := p.expect(itemRBrack, "in list (want , or ])")
		return &ListNode{At: t.pos, EndAt: end.pos + 1, Elems: elems}
	case itemIdent:
		p.next()
		p.node()
		if p.tok.typ == itemLParen {
			p.next()
			p.enter()
			args := p.parseList(itemRParen, "in arguments")
			p.leave()
			end := p.expect(itemRParen, "in arguments (want , or ))")
			return &CallNode{At: t.pos, EndAt: end.pos + 1, Func: t.val, Args: args}
		}
		return p.parseField(t)
	}
	p.unexpected("(want a value, a field or a parenthesized expression)")
	return nil
}

// parseList parses comma-separated expressions up to the closing token,
// which it leaves; a trailing comma is allowed.
func (p *parser) parseList(closing itemType, context string) []Node {
	var list []Node
	for p.tok.typ != closing {
		list = append(list, p.parseExpr())
		if p.tok.typ != itemComma {
			break
		}
		p.next()
	}
	return list
}

// Field = name { "." name | "[" string "]" } .
func (p *parser) parseField(first item) Node {
	f := &FieldNode{At: first.pos, EndAt: first.pos + len(first.val), Path: []string{first.val}}
	for {
		switch p.tok.typ {
		case itemDot:
			p.next()
			t := p.tok
			if t.typ != itemIdent && t.typ < itemKeyword {
				p.unexpected("after . (want a name)")
			}
			p.next()
			f.Path = append(f.Path, t.val)
			f.EndAt = t.pos + len(t.val)
		case itemLBrack:
			p.next()
			t := p.expect(itemString, "in [ ] after a field (want a string)")
			s, err := strconv.Unquote(t.val)
			if err != nil {
				p.errorAt(t.pos, t.pos+len(t.val), "malformed string %s", t.val)
			}
			end := p.expect(itemRBrack, "after the name (want ])")
			f.Path = append(f.Path, s)
			f.EndAt = end.pos + 1
		default:
			return f
		}
	}
}

var durationUnits = map[string]time.Duration{
	"w":  7 * 24 * time.Hour,
	"d":  24 * time.Hour,
	"h":  time.Hour,
	"m":  time.Minute,
	"s":  time.Second,
	"ms": time.Millisecond,
}

// parseDuration parses what lexNumber accepted as a duration: numbers each
// followed by a unit.
func parseDuration(s string) (time.Duration, error) {
	var total float64
	for s != "" {
		i := 0
		for i < len(s) && (isDigit(int(s[i])) || s[i] == '.') {
			i++
		}
		j := i
		for j < len(s) && isLetter(int(s[j])) {
			j++
		}
		f, err := strconv.ParseFloat(s[:i], 64)
		unit, ok := durationUnits[s[i:j]]
		if err != nil || !ok {
			return 0, fmt.Errorf("malformed")
		}
		total += f * float64(unit)
		s = s[j:]
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("out of range")
	}
	return time.Duration(math.Round(total)), nil
}
