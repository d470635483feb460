package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRun runs every quick scenario on a small data set, so that the
// benchmark program cannot rot between the long runs.
func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"-n", "3000", "-samples", "50", "-dir", t.TempDir(),
		"-scenarios", "floor,import,memory,ingest,lookup,scan,onebyone"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"floor", "import into Badger", "import into memory", "lookup by identifier",
		"scan all profiles (memory)", "scan all profiles (badger)", "ingest one record (badger, sync on", "record by record vs bulk"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
