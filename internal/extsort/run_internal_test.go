package extsort

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// testRun writes a run of n sorted pairs and returns it with its file's
// bytes and the offsets of its blocks' headers.
func testRun(t *testing.T, n int) (run, []byte, []int) {
	t.Helper()
	var keys [][]byte
	for i := range n {
		keys = append(keys, fmt.Appendf(nil, "\x02g\x00\x01\x02i\x00\x01\x02email\x00\x01customer-%08d@example.fi", i))
	}
	data, ents := buffer(keys, 50)
	r, err := writeRun(filepath.Join(t.TempDir(), "run"), data, sortEntries(data, ents))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(r.name)
	if err != nil {
		t.Fatal(err)
	}
	var hdrs []int
	for off := 0; off < len(b); off += hdrSize + int(binary.LittleEndian.Uint32(b[off:])) {
		hdrs = append(hdrs, off)
	}
	if len(hdrs) != r.blocks || r.blocks < 3 {
		t.Fatalf("%d blocks, %d headers found", r.blocks, len(hdrs))
	}
	return r, b, hdrs
}

// readRun reads a run to the end and returns how many pairs it has.
func readRun(r run) (n int, err error) {
	c, closer, err := fileCursor(r, 0)
	if err != nil {
		return 0, err
	}
	defer closer()
	for {
		ok, err := c.next()
		if !ok || err != nil {
			return n, err
		}
		n++
	}
}

func TestRunRoundTrip(t *testing.T) {
	r, _, _ := testRun(t, 10000)
	c, closer, err := fileCursor(r, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closer()
	for i := range 10000 {
		ok, err := c.next()
		if !ok || err != nil {
			t.Fatalf("pair %d: %v, %v", i, ok, err)
		}
		want := fmt.Sprintf("\x02g\x00\x01\x02i\x00\x01\x02email\x00\x01customer-%08d@example.fi", i)
		if string(c.key) != want || string(c.value) != fmt.Sprintf("%-50d", i) {
			t.Fatalf("pair %d: %q=%q", i, c.key, c.value)
		}
	}
	if ok, err := c.next(); ok || err != nil {
		t.Errorf("after the last pair: %v, %v", ok, err)
	}
}

// A corrupt run is an error: a changed byte anywhere fails a block's
// checksum or length, and a file cut at a block's end is short of blocks.
func TestCorruptRun(t *testing.T) {
	r, b, hdrs := testRun(t, 10000)
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		i := rng.IntN(len(b))
		bad := append([]byte(nil), b...)
		bad[i] ^= byte(1 + rng.IntN(255))
		if err := os.WriteFile(r.name, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readRun(r); err == nil {
			t.Fatalf("byte %d of %d changed: no error", i, len(b))
		}
	}
	for _, h := range hdrs {
		if err := os.WriteFile(r.name, b[:h], 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readRun(r); err == nil {
			t.Errorf("cut at block %d: no error", h)
		}
	}
}

// A block whose checksum holds but whose contents do not decode, or
// decode to nonsense, is an error or a pair, never a panic.
func TestCorruptBlockNoPanic(t *testing.T) {
	r, b, hdrs := testRun(t, 10000)
	rng := rand.New(rand.NewPCG(7, 8))
	errs := 0
	for range 2000 {
		bad := append([]byte(nil), b...)
		h := hdrs[rng.IntN(len(hdrs))]
		blk := bad[h+hdrSize : h+hdrSize+int(binary.LittleEndian.Uint32(bad[h:]))]
		for range 1 + rng.IntN(3) {
			blk[rng.IntN(len(blk))] = byte(rng.IntN(256))
		}
		binary.LittleEndian.PutUint32(bad[h+4:], crc32.Checksum(blk, castagnoli))
		if err := os.WriteFile(r.name, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readRun(r); err != nil {
			errs++
			if errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
		}
	}
	if errs == 0 {
		t.Error("no corruption found")
	}
}
