package segment

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/unifycdp/unify/profile"
)

// FuzzCompile compiles any input: it must not panic, errors must be an
// ErrorList of positioned *Errors (limit errors among them matching the
// sentinels), a valid program's canonical String must parse to the same
// String, and the program must evaluate without panic or any error other
// than ErrCostExceeded.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.seg")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, c := range chunks(string(data)) {
			f.Add(c.src)
		}
	}
	for _, s := range benchSegments {
		f.Add(s.Expr)
	}
	profiles := []*profile.Profile{shopper(), anonymous(), {}}
	f.Fuzz(func(t *testing.T, src string) {
		prog, err := Compile(src, Options{MaxCost: 5000})
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Compile(%q) error %T %v, want a non-empty ErrorList", src, err, err)
			}
			for _, e := range list {
				if e == nil || e.Pos < 0 || e.Pos > len(src) || e.Src != src || e.Msg == "" {
					t.Fatalf("Compile(%q): bad error %#v", src, e)
				}
				if e.Err != nil && !errors.Is(e, ErrTooLong) && !errors.Is(e, ErrTooDeep) && !errors.Is(e, ErrTooComplex) {
					t.Fatalf("Compile(%q): unexpected wrapped error %v", src, e.Err)
				}
				_ = e.Detail()
			}
			_ = list.Error()
			return
		}
		tree, err := Parse(src)
		if err != nil {
			t.Fatalf("Compile(%q) succeeded but Parse failed: %v", src, err)
		}
		canon := tree.String()
		again, err := parse(canon, Options{MaxLength: 4 * len(canon)}.withDefaults())
		if err != nil {
			t.Fatalf("String of %q = %q does not parse: %v", src, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("String of %q = %q, reparsed %q", src, canon, again.String())
		}
		if _, err := Check(again, nil); err != nil {
			t.Fatalf("String of %q = %q does not check: %v", src, canon, err)
		}
		for _, p := range profiles {
			if _, err := prog.Eval(p, now); err != nil && !errors.Is(err, ErrCostExceeded) {
				t.Fatalf("Eval(%q): %v", src, err)
			}
		}
	})
}
