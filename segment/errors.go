package segment

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limit errors. Parse, Check, Compile and NewSet report the first three
// inside an *Error (with the position where the limit was hit); Eval returns
// ErrCostExceeded wrapped. Match them with errors.Is.
var (
	ErrTooLong      = errors.New("segment: expression too long")
	ErrTooDeep      = errors.New("segment: expression nested too deeply")
	ErrTooComplex   = errors.New("segment: expression too complex")
	ErrCostExceeded = errors.New("segment: evaluation cost exceeded")
)

// ErrNilProfile is returned by Eval and Evaluate for a nil profile.
var ErrNilProfile = errors.New("segment: nil profile")

// MaxErrors is the most errors an ErrorList holds for one expression; a
// further error is replaced by a last "too many errors".
const MaxErrors = 10

// Error is a syntax, type or limit error in an expression. Pos and End are
// byte offsets into Src; the line and column are computed when printed.
type Error struct {
	Segment string // the segment's name, when compiled in a Set
	Src     string // the expression
	Pos     int    // offset of the offending text
	End     int    // offset just past it; End <= Pos marks one character
	Msg     string
	Err     error // ErrTooLong, ErrTooDeep or ErrTooComplex for limit errors, else nil
}

// Position returns the 1-based line and column of e.Pos; the column counts
// characters (runes), not bytes.
func (e *Error) Position() (line, col int) {
	pos := min(max(e.Pos, 0), len(e.Src))
	start := strings.LastIndexByte(e.Src[:pos], '\n') + 1
	return 1 + strings.Count(e.Src[:start], "\n"), 1 + utf8.RuneCountInString(e.Src[start:pos])
}

// Error returns `segment "name": line:col: msg`, without the segment part
// outside a Set.
func (e *Error) Error() string {
	line, col := e.Position()
	s := fmt.Sprintf("%d:%d: %s", line, col, e.Msg)
	if e.Segment != "" {
		s = fmt.Sprintf("segment %q: %s", e.Segment, s)
	}
	return s
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Detail returns the error on a first line, then the source line and a
// caret under the offending text:
//
//	1:7: unknown field ordrs (did you mean orders?)
//	  | ordrs > 3
//	  | ^^^^^
func (e *Error) Detail() string {
	var b strings.Builder
	b.WriteString(e.Error())
	pos := min(max(e.Pos, 0), len(e.Src))
	start := strings.LastIndexByte(e.Src[:pos], '\n') + 1
	end := strings.IndexByte(e.Src[pos:], '\n')
	if end < 0 {
		end = len(e.Src)
	} else {
		end += pos
	}
	line := e.Src[start:end]
	b.WriteString("\n  | ")
	b.WriteString(line)
	b.WriteString("\n  | ")
	for _, r := range e.Src[start:pos] {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	n := 1
	if e.End > pos {
		n = max(1, utf8.RuneCountInString(e.Src[pos:min(e.End, end)]))
	}
	b.WriteString(strings.Repeat("^", n))
	return b.String()
}

// ErrorList is a list of *Errors, in source order, for one expression or
// for the segments of a Set.
type ErrorList []*Error

// Error returns the first error and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Detail returns the Detail of every error, one after another.
func (l ErrorList) Detail() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Detail())
	}
	return b.String()
}

// err returns l as an error: nil if empty.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
