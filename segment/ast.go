package segment

import (
	"strconv"
	"strings"
	"time"
)

// Node is a node of the parse tree. Pos returns the offset of its first
// byte in the source, End the offset just past its last byte. String
// returns the node in source form, with only the parentheses the
// precedence rules need: parsing it gives the same tree.
type Node interface {
	Pos() int
	End() int
	String() string
	writeTo(b *strings.Builder)
}

// Tree is a parsed expression.
type Tree struct {
	Root  Node
	Src   string
	Nodes int // nodes in Root
}

// String returns the expression in canonical source form.
func (t *Tree) String() string { return t.Root.String() }

// FieldNode is a field reference: orders, rfm.recency, attr.address.city,
// events["Product Viewed"]. Path holds the parts; a part that is not a
// name was written as a ["string"] index.
type FieldNode struct {
	At, EndAt int
	Path      []string
}

// NumberNode is a number literal.
type NumberNode struct {
	At    int
	Text  string
	Value float64
}

// StringNode is a string literal.
type StringNode struct {
	At     int
	Quoted string // as written
	Value  string
}

// DurationNode is a duration literal: 30d, 12h, 1h30m.
type DurationNode struct {
	At    int
	Text  string
	Value time.Duration
}

// BoolNode is true or false.
type BoolNode struct {
	At    int
	Value bool
}

// NullNode is null.
type NullNode struct{ At int }

// ListNode is a list literal: ["curtains", "rugs"].
type ListNode struct {
	At, EndAt int
	Elems     []Node
}

// UnaryNode is not X or -X.
type UnaryNode struct {
	At int
	Op string // "not" or "-"
	X  Node
}

// BinaryNode is X Op Y; Op is one of and, or, in, not in, == != < <= > >=
// + - * /.
type BinaryNode struct {
	OpAt int // offset of the operator
	Op   string
	X, Y Node
}

// CallNode is a function call: within(last_seen, 30d).
type CallNode struct {
	At, EndAt int
	Func      string
	Args      []Node
}

func (n *FieldNode) Pos() int    { return n.At }
func (n *NumberNode) Pos() int   { return n.At }
func (n *StringNode) Pos() int   { return n.At }
func (n *DurationNode) Pos() int { return n.At }
func (n *BoolNode) Pos() int     { return n.At }
func (n *NullNode) Pos() int     { return n.At }
func (n *ListNode) Pos() int     { return n.At }
func (n *UnaryNode) Pos() int    { return n.At }
func (n *BinaryNode) Pos() int   { return n.X.Pos() }
func (n *CallNode) Pos() int     { return n.At }

func (n *FieldNode) End() int    { return n.EndAt }
func (n *NumberNode) End() int   { return n.At + len(n.Text) }
func (n *StringNode) End() int   { return n.At + len(n.Quoted) }
func (n *DurationNode) End() int { return n.At + len(n.Text) }
func (n *BoolNode) End() int     { return n.At + len(strconv.FormatBool(n.Value)) }
func (n *NullNode) End() int     { return n.At + len("null") }
func (n *ListNode) End() int     { return n.EndAt }
func (n *UnaryNode) End() int    { return n.X.End() }
func (n *BinaryNode) End() int   { return n.Y.End() }
func (n *CallNode) End() int     { return n.EndAt }

func (n *FieldNode) String() string    { return nodeString(n) }
func (n *NumberNode) String() string   { return n.Text }
func (n *StringNode) String() string   { return n.Quoted }
func (n *DurationNode) String() string { return n.Text }
func (n *BoolNode) String() string     { return strconv.FormatBool(n.Value) }
func (n *NullNode) String() string     { return "null" }
func (n *ListNode) String() string     { return nodeString(n) }
func (n *UnaryNode) String() string    { return nodeString(n) }
func (n *BinaryNode) String() string   { return nodeString(n) }
func (n *CallNode) String() string     { return nodeString(n) }

func nodeString(n Node) string {
	var b strings.Builder
	n.writeTo(&b)
	return b.String()
}

// Name returns the path joined with dots: "attr.address.city".
func (n *FieldNode) Name() string { return strings.Join(n.Path, ".") }

func (n *FieldNode) writeTo(b *strings.Builder) {
	for i, p := range n.Path {
		switch {
		case isName(p) && i == 0:
			b.WriteString(p)
		case isName(p):
			b.WriteByte('.')
			b.WriteString(p)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(p))
			b.WriteByte(']')
		}
	}
}

func (n *NumberNode) writeTo(b *strings.Builder)   { b.WriteString(n.Text) }
func (n *StringNode) writeTo(b *strings.Builder)   { b.WriteString(n.Quoted) }
func (n *DurationNode) writeTo(b *strings.Builder) { b.WriteString(n.Text) }
func (n *BoolNode) writeTo(b *strings.Builder)     { b.WriteString(n.String()) }
func (n *NullNode) writeTo(b *strings.Builder)     { b.WriteString("null") }

func (n *ListNode) writeTo(b *strings.Builder) {
	b.WriteByte('[')
	writeList(b, n.Elems)
	b.WriteByte(']')
}

func (n *CallNode) writeTo(b *strings.Builder) {
	b.WriteString(n.Func)
	b.WriteByte('(')
	writeList(b, n.Args)
	b.WriteByte(')')
}

func writeList(b *strings.Builder, nodes []Node) {
	for i, e := range nodes {
		if i > 0 {
			b.WriteString(", ")
		}
		e.writeTo(b)
	}
}

func (n *UnaryNode) writeTo(b *strings.Builder) {
	b.WriteString(n.Op)
	if n.Op == "not" {
		b.WriteByte(' ')
	}
	writeOperand(b, n.X, nodePrecedence(n), false)
}

func (n *BinaryNode) writeTo(b *strings.Builder) {
	p := precedence[n.Op]
	writeOperand(b, n.X, p, false)
	b.WriteByte(' ')
	b.WriteString(n.Op)
	b.WriteByte(' ')
	writeOperand(b, n.Y, p, true)
}

// writeOperand writes x, an operand of an operator of precedence p, in
// parentheses when it binds less tightly, or as tightly on the right
// (operators are left-associative; comparisons do not chain).
func writeOperand(b *strings.Builder, x Node, p int, right bool) {
	xp := nodePrecedence(x)
	if xp < p || xp == p && (right || p == precCompare) {
		b.WriteByte('(')
		x.writeTo(b)
		b.WriteByte(')')
		return
	}
	x.writeTo(b)
}

// Operator precedences, loosest first.
const (
	precOr = 1 + iota
	precAnd
	precNot
	precCompare
	precAdd
	precMul
	precUnary
	precPrimary
)

var precedence = map[string]int{
	"or": precOr, "and": precAnd,
	"==": precCompare, "!=": precCompare, "<": precCompare, "<=": precCompare, ">": precCompare, ">=": precCompare,
	"in": precCompare, "not in": precCompare,
	"+": precAdd, "-": precAdd, "*": precMul, "/": precMul,
}

func nodePrecedence(n Node) int {
	switch n := n.(type) {
	case *BinaryNode:
		return precedence[n.Op]
	case *UnaryNode:
		if n.Op == "not" {
			return precNot
		}
		return precUnary
	}
	return precPrimary
}

// isName reports whether s is written as a bare name in a field path.
func isName(s string) bool {
	if s == "" || !isLetter(int(s[0])) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdent(int(s[i])) {
			return false
		}
	}
	_, kw := keywords[s]
	return !kw
}

// dump returns the tree as an S-expression with node kinds and offsets,
// for golden tests.
func dump(n Node) string {
	var b strings.Builder
	var walk func(Node)
	walk = func(n Node) {
		b.WriteByte('(')
		switch n := n.(type) {
		case *FieldNode:
			b.WriteString("field")
			for _, p := range n.Path {
				b.WriteString(" " + strconv.Quote(p))
			}
		case *NumberNode:
			b.WriteString("number " + n.Text)
		case *StringNode:
			b.WriteString("string " + n.Quoted)
		case *DurationNode:
			b.WriteString("duration " + n.Value.String())
		case *BoolNode, *NullNode:
			b.WriteString(n.String())
		case *ListNode:
			b.WriteString("list")
			for _, e := range n.Elems {
				b.WriteByte(' ')
				walk(e)
			}
		case *UnaryNode:
			b.WriteString(n.Op + " ")
			walk(n.X)
		case *BinaryNode:
			b.WriteString(strconv.Quote(n.Op) + " ")
			walk(n.X)
			b.WriteByte(' ')
			walk(n.Y)
		case *CallNode:
			b.WriteString("call " + n.Func)
			for _, e := range n.Args {
				b.WriteByte(' ')
				walk(e)
			}
		}
		b.WriteString(" @" + strconv.Itoa(n.Pos()) + ")")
	}
	walk(n)
	return b.String()
}
