package segment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The files testdata/*.seg hold expressions separated by blank lines, with
// the errors they must produce written next to the offending text, as in
// go/parser's error_test.go:
//
//	ordrs /* ERROR "unknown field ordrs" */ > 3
//
// The error is expected at the start of the token just before the comment
// (a dotted field or a number counts as one token), or with ERROR HERE at
// the first token after the comment (the end of the expression for an
// unexpected end). The pattern is a regular expression the message must
// match. Every expected error must be reported, and no other. An
// expression without markers must compile.

var errorMarker = regexp.MustCompile(`/\* ERROR (HERE )?"((?:[^"\\]|\\.)*)" \*/`)

type chunk struct {
	offset int // in the file
	src    string
}

// chunks splits a file at blank lines.
func chunks(data string) []chunk {
	var cs []chunk
	off := 0
	for _, part := range strings.Split(data, "\n\n") {
		if s := strings.TrimRight(part, " \t\n"); strings.TrimSpace(s) != "" {
			lead := len(s) - len(strings.TrimLeft(s, "\n"))
			cs = append(cs, chunk{off + lead, s[lead:]})
		}
		off += len(part) + 2
	}
	return cs
}

// tokenStart returns the start of the token that ends just before end.
func tokenStart(src string, end int) int {
	i := end
	for i > 0 && isSpace(int(src[i-1])) {
		i--
	}
	if i == 0 {
		return 0
	}
	in := func(set string) bool { return strings.IndexByte(set, src[i-1]) >= 0 }
	switch c := int(src[i-1]); {
	case c == '"':
		i--
		for i > 0 && !(src[i-1] == '"' && (i < 2 || src[i-2] != '\\')) {
			i--
		}
		return max(i-1, 0)
	case isIdent(c) || c == '.':
		for i > 0 && (isIdent(int(src[i-1])) || src[i-1] == '.') {
			i--
		}
	case in("=!<>&|"):
		for i > 0 && in("=!<>&|") {
			i--
		}
	default:
		i--
	}
	return i
}

// expectedErrors returns the expected errors of src by offset.
func expectedErrors(t *testing.T, src string) map[int]*regexp.Regexp {
	want := make(map[int]*regexp.Regexp)
	for _, m := range errorMarker.FindAllStringSubmatchIndex(src, -1) {
		pos := tokenStart(src, m[0])
		if m[2] >= 0 { // HERE
			pos = m[1]
			for pos < len(src) && isSpace(int(src[pos])) {
				pos++
			}
		}
		rx, err := regexp.Compile(strings.ReplaceAll(src[m[4]:m[5]], `\"`, `"`))
		if err != nil {
			t.Fatalf("bad pattern %q: %v", src[m[4]:m[5]], err)
		}
		want[pos] = rx
	}
	return want
}

func TestErrorFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.seg")
	if len(files) == 0 {
		t.Fatal("no testdata/*.seg files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range chunks(string(data)) {
				if commentOnly(c.src) {
					continue
				}
				checkChunk(t, file, string(data), c)
			}
		})
	}
}

func checkChunk(t *testing.T, file, data string, c chunk) {
	t.Helper()
	where := func(pos int) string {
		e := &Error{Src: data, Pos: c.offset + pos}
		line, col := e.Position()
		return fmt.Sprintf("%s:%d:%d", file, line, col)
	}
	want := expectedErrors(t, c.src)
	_, err := Compile(c.src, Options{})
	var list ErrorList
	if err != nil && !errors.As(err, &list) {
		t.Errorf("%s: error is %T, want ErrorList: %v", where(0), err, err)
		return
	}
	for _, e := range list {
		rx, ok := want[e.Pos]
		switch {
		case !ok:
			t.Errorf("%s: unexpected error: %s\n%s", where(e.Pos), e.Msg, e.Detail())
		case !rx.MatchString(e.Msg):
			t.Errorf("%s: error %q does not match %q", where(e.Pos), e.Msg, rx)
		}
		delete(want, e.Pos)
	}
	for pos, rx := range want {
		t.Errorf("%s: missing error matching %q", where(pos), rx)
	}
}

func commentOnly(src string) bool {
	for line := range strings.Lines(src) {
		if !strings.HasPrefix(strings.TrimSpace(line), "//") {
			return false
		}
	}
	return true
}
