package extsort

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// buffer lays keys out as Add does, each with a value naming its index,
// padded to pad bytes.
func buffer(keys [][]byte, pad int) ([]byte, []entry) {
	var data []byte
	var ents []entry
	for i, k := range keys {
		v := fmt.Appendf(nil, "%-*d", pad, i)
		ents = append(ents, entry{off: len(data), klen: uint32(len(k)), vlen: uint32(len(v))})
		data = append(append(data, k...), v...)
	}
	return data, ents
}

// storeLikeKeys are keys shaped like a bulk import's: a few namespaces
// and sources as long shared prefixes, then short distinct parts, some
// keys prefixes of others, zero bytes, and repeats.
func storeLikeKeys(rng *rand.Rand, n int) [][]byte {
	prefixes := []string{"\x05g\x00\x02\x05i\x00\x02\x05email\x00\x02", "\x05g\x00\x02\x05t\x00\x02\x04", "\x05r\x00\x02\x05webstore\x00\x02\x05", "\x05r\x00\x02\x05pos\x00\x02\x05", "\x05p\x00\x02"}
	keys := make([][]byte, n)
	for i := range keys {
		k := []byte(prefixes[rng.IntN(len(prefixes))])
		switch rng.IntN(4) {
		case 0:
			k = fmt.Appendf(k, "%d", rng.IntN(n/4+1)) // repeats and prefixes of each other
		case 1:
			k = append(k, byte(rng.IntN(3)), byte(rng.IntN(3)), 0, byte(rng.IntN(256)))
		default:
			k = fmt.Appendf(k, "customer-%08d@example.fi\x00\x02", rng.IntN(n))
		}
		keys[i] = k
	}
	return keys
}

// trickyKeys are keys over a tiny alphabet with zero bytes after a long
// shared prefix: many equal keys, many keys that are prefixes of others
// or differ from them only by trailing zero bytes (which sortEntries's
// zero-padded 8-byte chunks do not tell apart).
func trickyKeys(rng *rand.Rand, n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		k := []byte("\x02g\x00\x01\x02i\x00\x01\x02email\x00\x01")
		if rng.IntN(8) == 0 {
			k = k[:rng.IntN(len(k))]
		}
		for range rng.IntN(20) {
			k = append(k, "\x00\x00\x00\x01a"[rng.IntN(5)])
		}
		keys[i] = k
	}
	return keys
}

func TestSortEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		n    int
		keys func(*rand.Rand, int) [][]byte
	}{{0, storeLikeKeys}, {1, storeLikeKeys}, {2, storeLikeKeys}, {17, storeLikeKeys}, {1000, storeLikeKeys}, {20000, storeLikeKeys}, {20, trickyKeys}, {5000, trickyKeys}, {50000, trickyKeys}} {
		n := tc.n
		keys := tc.keys(rng, n)
		if n > 3 {
			keys[1] = nil // an empty key
			keys[2] = []byte{}
		}
		data, ents := buffer(keys, 0)
		got := sortEntries(data, ents)
		// What a stable sort by whole keys gives, keeping the last of
		// equal keys.
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
		var want []string
		for i, j := range idx {
			if i+1 < len(idx) && bytes.Equal(keys[j], keys[idx[i+1]]) {
				continue
			}
			want = append(want, fmt.Sprintf("%q=%d", keys[j], j))
		}
		var have []string
		for _, e := range got {
			have = append(have, fmt.Sprintf("%q=%s", e.key(data), bytes.TrimSpace(e.value(data))))
		}
		if d := cmp.Diff(want, have); d != "" {
			t.Fatalf("%d keys (-want +got):\n%s", n, d)
		}
	}
}

// BenchmarkSortEntries sorts the half of a sort buffer a run is written
// from (32 MiB) of import-like keys: records (330-byte values) and
// derived keys (20-byte values).
//
//	go test -run XXX -bench SortEntries -benchmem ./internal/extsort
func BenchmarkSortEntries(b *testing.B) {
	for _, bc := range []struct {
		name string
		n    int
		pad  int
	}{{"records", 90_000, 330}, {"derived", 500_000, 20}} {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			data, ents := buffer(storeLikeKeys(rng, bc.n), bc.pad)
			work := make([]entry, len(ents))
			for b.Loop() {
				copy(work, ents)
				sortEntries(data, work)
			}
		})
	}
}
