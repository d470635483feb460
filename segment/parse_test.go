package segment

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var offsets = regexp.MustCompile(` @\d+\)`)

// TestGolden prints the tree of each expression of testdata/valid.seg:
// its canonical String, its structure and its type. The String parses to
// the same tree.
func TestGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/valid.seg")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range chunks(string(data)) {
		if commentOnly(c.src) {
			continue
		}
		tree, err := Parse(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		checked, err := Check(tree, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		fmt.Fprintf(&b, "src:    %s\nstring: %s\ntree:   %s\ntype:   %s\n\n", c.src, tree, dump(tree.Root), checked.TypeOf(tree.Root))

		again, err := Parse(tree.String())
		if err != nil {
			t.Errorf("%s: String %s does not parse: %v", c.src, tree, err)
			continue
		}
		if diff := cmp.Diff(offsets.ReplaceAllString(dump(tree.Root), ")"), offsets.ReplaceAllString(dump(again.Root), ")")); diff != "" {
			t.Errorf("%s: String %s parses to another tree (-want +got):\n%s", c.src, tree, diff)
		}
	}
	golden := "testdata/valid.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("%s mismatch (-want +got), run go test -update if intended:\n%s", golden, diff)
	}
}

func TestErrorDetail(t *testing.T) {
	_, err := Compile("orders > 3 and\n\t\"x\" in ordrs", Options{})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want ErrorList", err)
	}
	want := "2:9: unknown field ordrs (did you mean orders?)\n  | \t\"x\" in ordrs\n  | \t       ^^^^^"
	if diff := cmp.Diff(want, list.Detail()); diff != "" {
		t.Errorf("Detail (-want +got):\n%s", diff)
	}
	if got, want := err.Error(), "2:9: unknown field ordrs (did you mean orders?)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	// Columns count characters.
	e := &Error{Src: "\"é\" == ordrs", Pos: 8, End: 13, Msg: "m"}
	if line, col := e.Position(); line != 1 || col != 8 {
		t.Errorf("Position = %d:%d, want 1:8", line, col)
	}
}
