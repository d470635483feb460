package normalize

import (
	"errors"
	"regexp/syntax"
	"slices"
	"strings"
)

// A digitDFA is a regular expression of Go's regexp package compiled to a
// deterministic automaton over the ASCII digits, for matching strings of
// ASCII digits only (the caller guarantees that). It answers exactly what
// the regexp answers for such strings, because it is built from the very
// program regexp compiles (syntax.Parse with syntax.Perl, Simplify,
// syntax.Compile) by the subset construction: a state is the set of
// program threads alive after a prefix of the input, so it accepts
// precisely the strings the program's NFA accepts. It answers whether a
// match exists and where matches starting at offset 0 may end; it does
// not know which one regexp's leftmost-first rule would prefer, so
// callers that need a match's end use it only when that end is unique.
type digitDFA struct {
	// next[s*10+d] is the state after reading digit d in state s. State 0
	// is dead (no match possible any more), state 1 is the start.
	next  []int32
	flags []uint8
}

const (
	dfaMatch    = 1 << iota // a match ends here if more input follows
	dfaMatchEnd             // a match ends here at the end of the input
)

// maxDFAStates bounds the size of one automaton; a pattern that needs more
// is not compiled and its metadata is left to phonenumbers.
const maxDFAStates = 4096

var errDFA = errors.New("pattern not supported by the digit automaton")

// compileDigitDFA compiles expr as regexp.Compile does and builds its
// automaton over the digits. It supports the empty-width assertions ^ and
// $ at the text's edges (as phonenumbers' anchored patterns use them) and
// no others.
func compileDigitDFA(expr string) (*digitDFA, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	b := &dfaBuilder{
		prog:  prog,
		seen:  make([]bool, len(prog.Inst)),
		index: make(map[string]int32),
		dfa:   &digitDFA{next: make([]int32, 10), flags: []uint8{0}},
		sets:  [][]uint32{nil},
		start: []bool{false},
	}
	clear(b.seen)
	startSet := b.add(nil, uint32(prog.Start), true)
	b.intern(startSet, true)
	for s := 1; s < len(b.sets) && b.err == nil; s++ {
		for d := range 10 {
			var set []uint32
			clear(b.seen)
			for _, pc := range b.sets[s] {
				in := &prog.Inst[pc]
				if isRuneInst(in.Op) && in.MatchRune(rune('0'+d)) {
					set = b.add(set, in.Out, false)
				}
			}
			b.dfa.next[s*10+d] = b.intern(set, false)
		}
	}
	if b.err != nil {
		return nil, b.err
	}
	return b.dfa, nil
}

func isRuneInst(op syntax.InstOp) bool {
	switch op {
	case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		return true
	}
	return false
}

type dfaBuilder struct {
	prog  *syntax.Prog
	seen  []bool
	index map[string]int32
	dfa   *digitDFA
	sets  [][]uint32 // the threads of each state
	start []bool     // whether the state is the start (at the beginning of text)
	err   error
}

// add appends to set the threads reached from pc without reading input,
// at the beginning of the text or not, before its end. A thread waiting
// for the end of the text stays in the set as its empty-width instruction.
func (b *dfaBuilder) add(set []uint32, pc uint32, begin bool) []uint32 {
	if b.seen[pc] {
		return set
	}
	b.seen[pc] = true
	in := &b.prog.Inst[pc]
	switch in.Op {
	case syntax.InstFail:
	case syntax.InstAlt, syntax.InstAltMatch:
		set = b.add(set, in.Out, begin)
		set = b.add(set, in.Arg, begin)
	case syntax.InstCapture, syntax.InstNop:
		set = b.add(set, in.Out, begin)
	case syntax.InstEmptyWidth:
		op := syntax.EmptyOp(in.Arg)
		switch {
		case op&^(syntax.EmptyBeginText|syntax.EmptyEndText) != 0:
			b.err = errDFA
		case op&syntax.EmptyBeginText != 0 && !begin:
			// Dead: the beginning of the text is behind.
		case op&syntax.EmptyEndText != 0:
			set = append(set, pc)
		default:
			set = b.add(set, in.Out, begin)
		}
	case syntax.InstMatch:
		set = append(set, pc)
	default:
		if !isRuneInst(in.Op) {
			b.err = errDFA
			break
		}
		set = append(set, pc)
	}
	return set
}

// matchAtEnd reports whether the program matches from pc at the end of the
// text, at its beginning too if begin. visited marks the instructions
// already explored.
func (b *dfaBuilder) matchAtEnd(pc uint32, begin bool, visited []bool) bool {
	if visited[pc] {
		return false
	}
	visited[pc] = true
	in := &b.prog.Inst[pc]
	switch in.Op {
	case syntax.InstMatch:
		return true
	case syntax.InstAlt, syntax.InstAltMatch:
		return b.matchAtEnd(in.Out, begin, visited) || b.matchAtEnd(in.Arg, begin, visited)
	case syntax.InstCapture, syntax.InstNop:
		return b.matchAtEnd(in.Out, begin, visited)
	case syntax.InstEmptyWidth:
		if syntax.EmptyOp(in.Arg)&syntax.EmptyBeginText != 0 && !begin {
			return false
		}
		return b.matchAtEnd(in.Out, begin, visited)
	}
	return false
}

// intern returns the state of the thread set, creating it if new.
func (b *dfaBuilder) intern(set []uint32, start bool) int32 {
	if len(set) == 0 {
		return 0
	}
	slices.Sort(set)
	var k strings.Builder
	if start {
		k.WriteByte(1)
	} else {
		k.WriteByte(0)
	}
	for _, pc := range set {
		k.WriteByte(byte(pc))
		k.WriteByte(byte(pc >> 8))
		k.WriteByte(byte(pc >> 16))
	}
	if s, ok := b.index[k.String()]; ok {
		return s
	}
	if len(b.sets) >= maxDFAStates || len(b.prog.Inst) >= 1<<24 {
		b.err = errDFA
		return 0
	}
	var f uint8
	for _, pc := range set {
		switch b.prog.Inst[pc].Op {
		case syntax.InstMatch:
			f |= dfaMatch | dfaMatchEnd
		case syntax.InstEmptyWidth:
			if b.matchAtEnd(pc, start, make([]bool, len(b.prog.Inst))) {
				f |= dfaMatchEnd
			}
		}
	}
	s := int32(len(b.sets))
	b.index[k.String()] = s
	b.sets = append(b.sets, set)
	b.start = append(b.start, start)
	b.dfa.flags = append(b.dfa.flags, f)
	b.dfa.next = append(b.dfa.next, make([]int32, 10)...)
	return s
}

// full reports whether the whole of s, a string of ASCII digits, matches.
func (d *digitDFA) full(s string) bool {
	st := int32(1)
	for i := 0; i < len(s); i++ {
		if st = d.next[int(st)*10+int(s[i]-'0')]; st == 0 {
			return false
		}
	}
	return d.flags[st]&dfaMatchEnd != 0
}

// prefix reports where matches of s, a string of ASCII digits, that start
// at offset 0 end: n is their number (0, 1, or 2 for two or more) and end
// the shortest.
func (d *digitDFA) prefix(s string) (end, n int) {
	st := int32(1)
	for i := 0; ; i++ {
		f := uint8(dfaMatch)
		if i == len(s) {
			f = dfaMatchEnd
		}
		if d.flags[st]&f != 0 {
			if n == 0 {
				end = i
			}
			if n++; n == 2 {
				return end, n
			}
		}
		if i == len(s) {
			return end, n
		}
		if st = d.next[int(st)*10+int(s[i]-'0')]; st == 0 {
			return end, n
		}
	}
}

// hasPrefix reports whether a match of s, a string of ASCII digits, starts
// at offset 0.
func (d *digitDFA) hasPrefix(s string) bool {
	_, n := d.prefix(s)
	return n > 0
}
