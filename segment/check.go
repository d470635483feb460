package segment

import (
	"errors"
	"fmt"

	"github.com/unifycdp/unify/profile"
)

// Checked is a type-checked tree, ready to compile with NewProgram. It is
// immutable.
type Checked struct {
	tree   *Tree
	env    *Env
	types  map[Node]Type
	fields map[*FieldNode]fieldRef
	money  map[Node]profile.Money // number constants used as money
	names  map[*CallNode]string   // the identifier type or purpose of has and consent
}

type fieldRef struct {
	def *fieldDef
	key string
}

// Tree returns the checked tree.
func (c *Checked) Tree() *Tree { return c.tree }

// TypeOf returns the type of a node of the tree, TypeInvalid for others.
func (c *Checked) TypeOf(n Node) Type { return c.types[n] }

// Check type-checks tree against env (nil means DefaultEnv()): every field
// must exist, every operator and function must get operands of its types,
// and the expression must be a condition (bool, or dyn: attr.<name>). It
// reports up to MaxErrors errors in an ErrorList.
func Check(tree *Tree, env *Env) (_ *Checked, err error) {
	if tree == nil || tree.Root == nil {
		return nil, ErrorList{{Msg: "empty tree"}}
	}
	if env == nil {
		env = DefaultEnv()
	}
	c := &checker{Checked: &Checked{
		tree:   tree,
		env:    env,
		types:  make(map[Node]Type, tree.Nodes),
		fields: make(map[*FieldNode]fieldRef),
		money:  make(map[Node]profile.Money),
		names:  make(map[*CallNode]string),
	}}
	defer func() {
		if e := recover(); e != nil {
			if e != errTooMany {
				c.errs = append(c.errs, &Error{Src: tree.Src, Pos: tree.Root.Pos(), Msg: fmt.Sprintf("internal error: %v", e)})
			}
			err = c.errs
		}
	}()
	if t := c.check(tree.Root); t != TypeInvalid && t != TypeBool && t != TypeDyn {
		c.errorf(tree.Root, "expression is %s, want a condition (bool), such as orders > 0", t)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return c.Checked, nil
}

type checker struct {
	*Checked
	errs ErrorList
}

var errTooMany = errors.New("too many errors")

func (c *checker) errorAt(pos, end int, format string, args ...any) {
	if len(c.errs) == MaxErrors {
		c.errs = append(c.errs, &Error{Src: c.tree.Src, Pos: pos, End: end, Msg: "too many errors"})
		panic(errTooMany)
	}
	c.errs = append(c.errs, &Error{Src: c.tree.Src, Pos: pos, End: end, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) errorf(n Node, format string, args ...any) {
	c.errorAt(n.Pos(), n.End(), format, args...)
}

func (c *checker) check(n Node) Type {
	t := c.check1(n)
	c.types[n] = t
	return t
}

func (c *checker) check1(n Node) Type {
	switch n := n.(type) {
	case *NumberNode:
		return TypeNumber
	case *StringNode:
		return TypeString
	case *DurationNode:
		return TypeDuration
	case *BoolNode:
		return TypeBool
	case *NullNode:
		return TypeNull
	case *FieldNode:
		d, key, msg := c.env.lookup(n.Path)
		if d == nil {
			c.errorf(n, "%s", msg)
			return TypeInvalid
		}
		c.fields[n] = fieldRef{d, key}
		return d.Type
	case *ListNode:
		return c.list(n)
	case *UnaryNode:
		t := c.check(n.X)
		if n.Op == "not" {
			c.condition(n.X, t, "not")
			return TypeBool
		}
		switch t {
		case TypeNumber, TypeMoney, TypeDuration, TypeDyn, TypeInvalid:
			return t
		}
		c.errorf(n, "invalid operation: -%s", t)
		return TypeInvalid
	case *BinaryNode:
		return c.binary(n)
	case *CallNode:
		return c.call(n)
	}
	panic(fmt.Sprintf("unexpected node %T", n))
}

// condition reports an operand of and, or, not that is not a condition.
func (c *checker) condition(n Node, t Type, op string) {
	if t != TypeBool && t != TypeDyn && t != TypeInvalid {
		c.errorf(n, "operand of %s is %s, want bool", op, t)
	}
}

// isConst reports whether n is a number constant: 3, -3.
func isConst(n Node) bool {
	if u, ok := n.(*UnaryNode); ok && u.Op == "-" {
		n = u.X
	}
	_, ok := n.(*NumberNode)
	return ok
}

// toMoney makes the number constant n a money constant.
func (c *checker) toMoney(n Node) Type {
	m, err := profile.ParseMoney(n.String())
	if err != nil {
		c.errorf(n, "%s is not an amount of money: at most two decimals", n)
		return TypeInvalid
	}
	c.money[n] = m
	c.types[n] = TypeMoney
	return TypeMoney
}

// operands checks both operands of n, making a number constant money when
// the other operand is money (when money is true).
func (c *checker) operands(n *BinaryNode, money bool) (x, y Type) {
	x, y = c.check(n.X), c.check(n.Y)
	if money && x == TypeMoney && y == TypeNumber && isConst(n.Y) {
		y = c.toMoney(n.Y)
	}
	if money && y == TypeMoney && x == TypeNumber && isConst(n.X) {
		x = c.toMoney(n.X)
	}
	return x, y
}

func (c *checker) opError(n *BinaryNode, format string, args ...any) Type {
	c.errorAt(n.OpAt, n.OpAt+len(n.Op), format, args...)
	return TypeInvalid
}

func (c *checker) binary(n *BinaryNode) Type {
	switch n.Op {
	case "and", "or":
		x, y := c.check(n.X), c.check(n.Y)
		c.condition(n.X, x, n.Op)
		c.condition(n.Y, y, n.Op)
		return TypeBool
	case "in", "not in":
		return c.member(n)
	case "+", "-", "*", "/":
		return c.arith(n)
	}
	x, y := c.operands(n, true)
	if x == TypeInvalid || y == TypeInvalid {
		return TypeBool
	}
	ordered := n.Op != "==" && n.Op != "!="
	ok := false
	switch {
	case x.isList() || y.isList():
		return c.opError(n, "cannot compare lists: use in or any")
	case x == TypeNull || y == TypeNull:
		other := x
		if other == TypeNull {
			other = y
		}
		if ordered {
			return c.opError(n, "cannot use %s with null: only == and != apply", n.Op)
		}
		ok = other == TypeDyn || other == TypeTime || other == TypeNull
	case x == y:
		ok = !ordered || x != TypeBool
	case x == TypeDyn || y == TypeDyn:
		other := x
		if other == TypeDyn {
			other = y
		}
		ok = other != TypeDuration && (!ordered || other != TypeBool)
	}
	if !ok {
		if x == y {
			return c.opError(n, "cannot order %s values with %s", x, n.Op)
		}
		return c.opError(n, "cannot compare %s with %s", x, y)
	}
	return TypeBool
}

// member checks x in y and x not in y.
func (c *checker) member(n *BinaryNode) Type {
	x, y := c.check(n.X), c.check(n.Y)
	if x == TypeInvalid || y == TypeInvalid {
		return TypeBool
	}
	var want Type
	switch y {
	case TypeStringList, TypeNumberList:
		want = y.elem()
	case TypeString, TypeDyn:
		want = TypeString // substring
	default:
		return c.opError(n, "%s needs a list or a string on the right, not %s", n.Op, y)
	}
	if x != want && x != TypeDyn {
		return c.opError(n, "cannot look for %s in %s", x, y)
	}
	return TypeBool
}

// arith checks + - * /.
func (c *checker) arith(n *BinaryNode) Type {
	x, y := c.operands(n, n.Op == "+" || n.Op == "-")
	if x == TypeInvalid || y == TypeInvalid {
		return TypeInvalid
	}
	if t := arithType(n.Op, x, y); t != TypeInvalid {
		return t
	}
	return c.opError(n, "invalid operation: %s %s %s", x, n.Op, y)
}

// arithType returns the type of x op y, TypeInvalid if not defined.
func arithType(op string, x, y Type) Type {
	type k struct{ x, y Type }
	switch op {
	case "+", "-":
		switch (k{x, y}) {
		case k{TypeNumber, TypeNumber}, k{TypeMoney, TypeMoney}, k{TypeDuration, TypeDuration}:
			return x
		case k{TypeTime, TypeDuration}:
			return TypeTime
		case k{TypeDuration, TypeTime}:
			if op == "+" {
				return TypeTime
			}
		case k{TypeTime, TypeTime}:
			if op == "-" {
				return TypeDuration
			}
		}
	case "*":
		switch (k{x, y}) {
		case k{TypeNumber, TypeNumber}, k{TypeMoney, TypeNumber}, k{TypeDuration, TypeNumber}:
			return x
		case k{TypeNumber, TypeMoney}, k{TypeNumber, TypeDuration}:
			return y
		}
	case "/":
		switch (k{x, y}) {
		case k{TypeNumber, TypeNumber}, k{TypeMoney, TypeMoney}, k{TypeDuration, TypeDuration}:
			return TypeNumber
		case k{TypeMoney, TypeNumber}, k{TypeDuration, TypeNumber}:
			return x
		}
	}
	if x == TypeDyn && (y == TypeNumber || y == TypeDyn) || y == TypeDyn && x == TypeNumber {
		return TypeDyn
	}
	return TypeInvalid
}

// list checks a list literal: constants of one type.
func (c *checker) list(n *ListNode) Type {
	if len(n.Elems) == 0 {
		c.errorf(n, "empty list")
		return TypeInvalid
	}
	var elem Type
	for _, e := range n.Elems {
		t := c.check(e)
		switch {
		case t == TypeInvalid:
			return TypeInvalid
		case t == TypeString && isString(e), t == TypeNumber && isConst(e):
		default:
			c.errorf(e, "list elements must be string or number constants")
			return TypeInvalid
		}
		if elem == TypeInvalid {
			elem = t
		} else if t != elem {
			c.errorf(e, "list mixes %s and %s", elem, t)
			return TypeInvalid
		}
	}
	if elem == TypeString {
		return TypeStringList
	}
	return TypeNumberList
}

func isString(n Node) bool {
	_, ok := n.(*StringNode)
	return ok
}

func (c *checker) call(n *CallNode) Type {
	sig, ok := functions[n.Func]
	if !ok {
		names := make([]string, 0, len(functions))
		for name := range functions {
			names = append(names, name)
		}
		msg := "unknown function " + n.Func
		if _, isField := c.env.fields[n.Func]; isField {
			msg = n.Func + " is a field, not a function"
		} else if s := suggest(n.Func, names); s != "" {
			msg += " (did you mean " + s + "?)"
		}
		c.errorAt(n.At, n.At+len(n.Func), "%s", msg)
		return TypeInvalid
	}
	want := 2
	switch n.Func {
	case "has", "consent", "lower", "len":
		want = 1
	}
	if len(n.Args) != want {
		c.errorf(n, "%s takes %d argument%s, got %d: %s", n.Func, want, map[bool]string{true: "s"}[want > 1], len(n.Args), sig)
		return TypeInvalid
	}
	switch n.Func {
	case "has":
		return c.named(n, builtinIDTypes, "an", "identifier type")
	case "consent":
		return c.named(n, builtinPurposes, "a", "purpose")
	}
	args := make([]Type, len(n.Args))
	for i, a := range n.Args {
		args[i] = c.check(a)
		if args[i] == TypeInvalid {
			return TypeInvalid
		}
	}
	bad := func(i int) Type {
		c.errorf(n.Args[i], "cannot use %s as argument %d of %s", args[i], i+1, sig)
		return TypeInvalid
	}
	stringy := func(t Type) bool { return t == TypeString || t == TypeDyn }
	switch n.Func {
	case "within":
		if args[0] != TypeTime && args[0] != TypeDyn {
			return bad(0)
		}
		if args[1] != TypeDuration {
			return bad(1)
		}
		return TypeBool
	case "any":
		if !args[0].isList() {
			return bad(0)
		}
		if args[1] != args[0] {
			return bad(1)
		}
		return TypeBool
	case "startswith", "endswith":
		for i, t := range args {
			if !stringy(t) {
				return bad(i)
			}
		}
		return TypeBool
	case "lower":
		if !stringy(args[0]) {
			return bad(0)
		}
		return args[0]
	case "len":
		if !stringy(args[0]) && !args[0].isList() {
			return bad(0)
		}
		return TypeNumber
	}
	panic("unhandled function " + n.Func)
}

// named checks the argument of has or consent: a name (email, or
// "email"), or for has an attribute (attr.tier).
func (c *checker) named(n *CallNode, builtins []string, article, what string) Type {
	var name string
	switch a := n.Args[0].(type) {
	case *StringNode:
		name = a.Value
	case *FieldNode:
		if n.Func == "has" && a.Path[0] == "attr" {
			if c.check(a) == TypeInvalid {
				return TypeInvalid
			}
			return TypeBool
		}
		if len(a.Path) == 1 {
			name = a.Path[0]
		}
		if _, isField := c.env.fields[name]; isField {
			c.errorf(a, "%s takes %s %s, not the field %s", n.Func, article, what, name)
			return TypeInvalid
		}
	}
	if name == "" {
		c.errorf(n.Args[0], "%s takes %s %s such as %s", n.Func, article, what, builtins[0])
		return TypeInvalid
	}
	if !isTypeName(name) {
		c.errorf(n.Args[0], "invalid %s %q: lower-case letters, digits and underscores", what, name)
		return TypeInvalid
	}
	if s := suggest(name, builtins); s != "" && s != name {
		c.errorf(n.Args[0], "unknown %s %s (did you mean %s?)", what, name, s)
		return TypeInvalid
	}
	c.names[n] = name
	return TypeBool
}
