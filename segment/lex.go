package segment

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// itemType identifies the type of lexical items.
type itemType uint8

const (
	itemError    itemType = iota // error; val is the message
	itemEOF                      // end of input
	itemComment                  // /* ... */ or // ...; emitted only on request
	itemIdent                    // orders, attr, email
	itemNumber                   // 3, 49.90
	itemDuration                 // 30d, 1h30m
	itemString                   // "curtains", quoted
	itemLParen                   // (
	itemRParen                   // )
	itemLBrack                   // [
	itemRBrack                   // ]
	itemComma                    // ,
	itemDot                      // .
	itemOp                       // == != < <= > >= + - * /
	itemKeyword                  // marks the start of keywords
	itemAnd                      // and
	itemOr                       // or
	itemNot                      // not
	itemIn                       // in
	itemTrue                     // true
	itemFalse                    // false
	itemNull                     // null
)

var keywords = map[string]itemType{
	"and":   itemAnd,
	"or":    itemOr,
	"not":   itemNot,
	"in":    itemIn,
	"true":  itemTrue,
	"false": itemFalse,
	"null":  itemNull,
}

var punctuation = map[int]itemType{
	'(': itemLParen, ')': itemRParen, '[': itemLBrack, ']': itemRBrack, ',': itemComma, '.': itemDot,
	'+': itemOp, '-': itemOp, '*': itemOp, '/': itemOp,
}

// item is a token: its type, its offset in the input and its text.
type item struct {
	typ itemType
	pos int
	val string
}

func (i item) String() string {
	switch {
	case i.typ == itemEOF:
		return "end of expression"
	case i.typ == itemError:
		return i.val
	case i.typ > itemKeyword:
		return "keyword " + i.val
	case i.typ == itemString:
		return "string " + i.val
	case i.typ == itemNumber:
		return "number " + i.val
	case i.typ == itemDuration:
		return "duration " + i.val
	case i.typ == itemIdent:
		return "name " + i.val
	}
	return fmt.Sprintf("%q", i.val)
}

const eof = -1

// stateFn is the state of the lexer as a function returning the next state.
type stateFn func(*lexer) stateFn

// lexer holds the state of the scanner. The parser pulls items with
// nextItem, which runs state functions until one emits an item, as
// text/template/parse does. The input is scanned byte by byte: everything
// outside strings and comments is ASCII.
type lexer struct {
	input        string
	start, pos   int  // start of the current item; current position
	item         item // the item emitted by the last state function
	emitComments bool
	errEnd       int // end of the text an error item is about
}

func lex(input string) *lexer { return &lexer{input: input} }

// nextItem returns the next item of the input.
func (l *lexer) nextItem() item {
	l.item = item{itemEOF, len(l.input), ""}
	for state := lexExpr; state != nil; {
		state = state(l)
	}
	return l.item
}

func (l *lexer) next() int {
	if l.pos >= len(l.input) {
		l.pos = len(l.input) + 1 // so that backup undoes it
		return eof
	}
	c := l.input[l.pos]
	l.pos++
	return int(c)
}

func (l *lexer) backup() { l.pos-- }

func (l *lexer) peek() int {
	c := l.next()
	l.backup()
	return c
}

func (l *lexer) emit(t itemType) stateFn {
	l.item = item{t, l.start, l.input[l.start:l.pos]}
	l.start = l.pos
	return nil
}

// errorf emits an error item at the start of the current item and stops
// the scan.
func (l *lexer) errorf(format string, args ...any) stateFn {
	return l.errorAt(l.start, format, args...)
}

func (l *lexer) errorAt(pos int, format string, args ...any) stateFn {
	l.item = item{itemError, pos, fmt.Sprintf(format, args...)}
	l.errEnd = l.pos
	l.start, l.pos = len(l.input), len(l.input)
	return nil
}

func (l *lexer) acceptRun(valid func(int) bool) {
	for valid(l.next()) {
	}
	l.backup()
}

func isSpace(c int) bool  { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func isDigit(c int) bool  { return '0' <= c && c <= '9' }
func isLetter(c int) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isIdent(c int) bool  { return isLetter(c) || isDigit(c) }

// lexExpr scans the next item.
func lexExpr(l *lexer) stateFn {
	l.acceptRun(isSpace)
	l.start = l.pos
	c := l.next()
	switch {
	case c == eof:
		l.backup()
		return nil // the EOF item set by nextItem
	case isLetter(c):
		return lexIdent
	case isDigit(c):
		return lexNumber
	case c == '"':
		return lexString
	case c == '/' && (l.peek() == '/' || l.peek() == '*'):
		return lexComment
	}
	if t, ok := punctuation[c]; ok {
		return l.emit(t)
	}
	switch c {
	case '<', '>':
		if l.peek() == '=' {
			l.next()
		}
		return l.emit(itemOp)
	case '=', '!':
		if l.peek() == '=' {
			l.next()
			return l.emit(itemOp)
		}
		if c == '=' {
			return l.errorf("unexpected = (use == to compare)")
		}
		return l.errorf("unexpected ! (use not)")
	case '&', '|':
		if l.peek() == c {
			l.next()
			return l.errorf("unexpected %c%c (use %s)", c, c, map[int]string{'&': "and", '|': "or"}[c])
		}
	case '\'':
		return l.errorf("unexpected ' (strings are written in double quotes)")
	}
	l.backup()
	r, size := utf8.DecodeRuneInString(l.input[l.pos:])
	if r == utf8.RuneError && size == 1 {
		return l.errorf("invalid UTF-8 byte %#x", l.input[l.pos])
	}
	l.pos += size
	return l.errorf("unexpected character %q", r)
}

// lexComment scans a // or /* */ comment; the leading / is consumed.
func lexComment(l *lexer) stateFn {
	if l.next() == '/' {
		if i := strings.IndexByte(l.input[l.pos:], '\n'); i >= 0 {
			l.pos += i
		} else {
			l.pos = len(l.input)
		}
	} else {
		i := strings.Index(l.input[l.pos:], "*/")
		if i < 0 {
			return l.errorf("comment not terminated")
		}
		l.pos += i + 2
	}
	if l.emitComments {
		return l.emit(itemComment)
	}
	return lexExpr
}

// lexIdent scans a name or a keyword.
func lexIdent(l *lexer) stateFn {
	l.acceptRun(isIdent)
	if t, ok := keywords[l.input[l.start:l.pos]]; ok {
		return l.emit(t)
	}
	return l.emit(itemIdent)
}

// lexNumber scans a number (3, 49.90) or a duration: one or more numbers
// each followed by a unit (30d, 1h30m, 1.5h).
func lexNumber(l *lexer) stateFn {
	isDuration := false
	for {
		l.acceptRun(isDigit)
		if l.peek() == '.' {
			l.next()
			if !isDigit(l.peek()) {
				return l.errorf("malformed number %s: digits expected after the decimal point", l.input[l.start:l.pos])
			}
			l.acceptRun(isDigit)
		}
		if !isLetter(l.peek()) {
			if isDuration {
				return l.errorf("malformed duration %s: unit expected after the last number", l.input[l.start:l.pos])
			}
			return l.emit(itemNumber)
		}
		unit := l.pos
		l.acceptRun(isLetter)
		if _, ok := durationUnits[l.input[unit:l.pos]]; !ok {
			l.acceptRun(isIdent)
			return l.errorf("malformed number %s: unknown duration unit %q (use w, d, h, m, s or ms)", l.input[l.start:l.pos], l.input[unit:l.pos])
		}
		isDuration = true
		if !isDigit(l.peek()) {
			return l.emit(itemDuration)
		}
	}
}

// lexString scans a double-quoted string; the opening quote is consumed.
func lexString(l *lexer) stateFn {
	for {
		switch l.next() {
		case '\\':
			if c := l.next(); c != eof && c != '\n' {
				break
			}
			fallthrough
		case eof, '\n':
			return l.errorf("string not terminated")
		case '"':
			return l.emit(itemString)
		}
	}
}
