package profile

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestUvarintMatchesBinary checks the reader's unrolled uvarint against
// encoding/binary on canonical, redundant, truncated and overlong input.
func TestUvarintMatchesBinary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs [][]byte
	for _, v := range []uint64{0, 1, 127, 128, 1<<28 - 1, 1 << 28, 1<<35 - 1, 1 << 35, 1<<42 - 1, 1 << 42, 1<<63 + 5, ^uint64(0)} {
		inputs = append(inputs, binary.AppendUvarint(nil, v))
	}
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.Uint32())
			if rng.IntN(4) > 0 {
				b[i] |= 0x80
			}
		}
		inputs = append(inputs, b)
		inputs = append(inputs, binary.AppendUvarint(nil, rng.Uint64()>>rng.IntN(64)))
	}
	for _, b := range inputs {
		for cut := 0; cut <= len(b); cut++ {
			in := b[:cut]
			want, n := binary.Uvarint(in)
			r := reader{b: in}
			got := r.uvarint()
			if n <= 0 {
				if r.err == nil {
					t.Fatalf("%x: got %d, want an error", in, got)
				}
				continue
			}
			if r.err != nil || got != want || r.off != n {
				t.Fatalf("%x: got %d at %d (%v), want %d at %d", in, got, r.off, r.err, want, n)
			}
		}
	}
}
