// Package extsort sorts key-value pairs that may not fit in memory. Add
// buffers pairs; when the buffer is full they are sorted and written,
// compressed, to a run file. Merge reads the runs of one or more sorters
// back in key order. Of pairs with equal keys the one added last wins (the
// later sorter, when merging several), as in a store where the later write
// replaces the earlier.
//
// A bulk import uses it to write a whole data set to an empty store in
// key order (store.SortedLoader) without holding the data set in memory:
//
//	s, _ := extsort.New(extsort.Options{Dir: dir})
//	defer s.Close()
//	s.Add(k, v) // many times, from any goroutine
//	for k, v := range extsort.Merge(&err, s) { ... }
package extsort

import (
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"math/bits"
	"os"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
)

// Options configure a Sorter. The zero value buffers 128 MiB and writes
// runs to the system's temporary directory.
type Options struct {
	// Dir is where run files go; "" means os.TempDir().
	Dir string
	// Memory is how many bytes of keys and values are buffered at most;
	// 0 means 128 MiB. A run is written from one half while Add fills the
	// other.
	Memory int
}

// Sorter collects pairs. It is safe for concurrent use by Add; Merge must
// not run concurrently with Add.
type Sorter struct {
	opts Options
	mu   sync.Mutex
	dir  string // created on the first spill
	data []byte
	ents []entry
	runs []run
	err  error
	// writing delivers the outcome of the run being written in the
	// background, with its buffers for reuse; nil when none is.
	writing   chan written
	spareData []byte
	spareEnts []entry
}

type written struct {
	run  run
	err  error
	data []byte
	ents []entry
}

type entry struct {
	off        int
	klen, vlen uint32 // a pair is at most maxPair bytes
	// pfx is for sortEntries: 8 bytes of the key from where it is at.
	pfx uint64
}

func (e entry) key(data []byte) []byte { return data[e.off : e.off+int(e.klen)] }
func (e entry) value(data []byte) []byte {
	return data[e.off+int(e.klen) : e.off+int(e.klen)+int(e.vlen)]
}

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("extsort: sorter closed")

// maxPair is the most bytes of key and value a pair may have: a run's
// blocks are at most 4 GiB.
const maxPair = 1 << 31

// New returns an empty Sorter.
func New(opts Options) *Sorter {
	if opts.Memory <= 0 {
		opts.Memory = 128 << 20
	}
	return &Sorter{opts: opts}
}

// Add adds a pair; the slices are copied.
func (s *Sorter) Add(key, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if len(key)+len(value) > maxPair {
		return fmt.Errorf("extsort: a pair of %d bytes (at most %d)", len(key)+len(value), maxPair)
	}
	half := s.opts.Memory / 2
	if s.data == nil {
		// The whole buffer at once: growing it by appends would copy it
		// over and over and could leave twice the memory asked for.
		s.data = make([]byte, 0, half+len(key)+len(value))
	}
	s.ents = append(s.ents, entry{off: len(s.data), klen: uint32(len(key)), vlen: uint32(len(value))})
	s.data = append(append(s.data, key...), value...)
	if len(s.data) >= half {
		s.err = s.spillBackground()
		return s.err
	}
	return nil
}

// spillBackground writes the buffer as a run in a goroutine and goes on
// with the other buffer: sorting and writing a run no longer stops the
// caller (a 10M import's reading ran at 1.3 of 2 cores while its records
// spilled in line). One run is written at a time, so runs keep the order
// in which they were filled.
func (s *Sorter) spillBackground() error {
	if err := s.settle(); err != nil {
		return err
	}
	name, err := s.nextRun()
	if err != nil {
		return err
	}
	data, ents := s.data, s.ents
	s.data, s.ents = s.spareData[:0], s.spareEnts[:0]
	s.spareData, s.spareEnts = nil, nil
	done := make(chan written, 1)
	s.writing = done
	go func() {
		r, err := writeRun(name, data, sortEntries(data, ents))
		done <- written{r, err, data[:0], ents[:0]}
	}()
	return nil
}

// settle waits for the run being written, if any.
func (s *Sorter) settle() error {
	if s.writing == nil {
		return nil
	}
	w := <-s.writing
	s.writing = nil
	s.spareData, s.spareEnts = w.data, w.ents
	if w.err != nil {
		if s.err == nil {
			s.err = w.err
		}
		return w.err
	}
	s.runs = append(s.runs, w.run)
	return nil
}

// sortEntries sorts the entries of data by key and keeps the last of
// equal keys.
func sortEntries(data []byte, ents []entry) []entry {
	sortKeys(data, ents)
	out := ents[:0]
	for i, e := range ents {
		if i+1 < len(ents) && bytes.Equal(e.key(data), ents[i+1].key(data)) {
			continue // a later pair has the same key
		}
		out = append(out, e)
	}
	return out
}

// sortKeys sorts entries by key and equal keys by offset, that is in the
// order they were added: an unstable sort with that tie-break instead of
// a stable sort, whose merges made sorting a large buffer several times
// slower.
//
// Keys share long prefixes (a namespace, a source, an identifier type),
// so comparing them whole reads the same bytes over and over from all
// over the buffer. Instead a group of entries, all of whose keys share
// their first depth bytes, is sorted by 8 bytes of each key cached in the
// entry (pfx), from where the group's keys start to differ; entries with
// equal pfx form smaller groups, sorted the same way further on. Small
// groups are sorted by comparing keys.
func sortKeys(data []byte, ents []entry) {
	type group struct{ lo, hi, depth int }
	byOff := func(a, b entry) int { return cmp.Compare(a.off, b.off) }
	byPfx := func(a, b entry) int { return cmp.Compare(a.pfx, b.pfx) }
	sortSmall := func(es []entry, depth int) {
		slices.SortFunc(es, func(a, b entry) int {
			if c := bytes.Compare(a.key(data)[depth:], b.key(data)[depth:]); c != 0 {
				return c
			}
			return cmp.Compare(a.off, b.off)
		})
	}
	if len(ents) <= smallGroup {
		sortSmall(ents, 0)
		return
	}
	stack := []group{{0, len(ents), 0}}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		es := ents[g.lo:g.hi]
		// How many bytes all keys of the group share.
		k0 := es[0].key(data)
		d := len(k0)
		for _, e := range es[1:] {
			if d = g.depth + commonPrefix(k0[g.depth:d], e.key(data)[g.depth:]); d == g.depth {
				break
			}
		}
		// Keys that end there equal that prefix: they come first.
		n := 0
		for i, e := range es {
			if int(e.klen) == d {
				es[i], es[n] = es[n], es[i]
				n++
			}
		}
		slices.SortFunc(es[:n], byOff)
		rest := es[n:]
		for i := range rest {
			rest[i].pfx = prefix8(rest[i].key(data)[d:])
		}
		slices.SortFunc(rest, byPfx)
		for i := 0; i < len(rest); {
			j := i + 1
			for j < len(rest) && rest[j].pfx == rest[i].pfx {
				j++
			}
			if j-i > smallGroup {
				stack = append(stack, group{g.lo + n + i, g.lo + n + j, d})
			} else if j-i > 1 {
				sortSmall(rest[i:j], d)
			}
			i = j
		}
	}
}

// smallGroup is the most entries sortKeys sorts by comparing keys.
const smallGroup = 16

// prefix8 returns the first 8 bytes of b as a big-endian number, zeros
// for bytes past its end. (A key that ends early gets the pfx of one that
// goes on with zeros; the next round tells them apart.)
func prefix8(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.BigEndian.Uint64(b)
	}
	var x [8]byte
	copy(x[:], b)
	return binary.BigEndian.Uint64(x[:])
}

// nextRun names the next run file, creating the directory on first use.
// The run is added to s.runs once written.
func (s *Sorter) nextRun() (string, error) {
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.opts.Dir, "unify-sort-")
		if err != nil {
			return "", fmt.Errorf("extsort: %w", err)
		}
		s.dir = dir
	}
	return fmt.Sprintf("%s/run-%d", s.dir, len(s.runs)), nil
}

// A run file is a sequence of blocks, each a header (the block's length
// and its CRC-32C, 4 bytes little-endian each) and that many bytes of an
// S2 block (github.com/klauspost/compress/s2).
// A block decodes to whole pairs of ascending keys, each written as three
// uvarints (the bytes its key shares with the previous key of the block,
// the length of the rest of the key, the length of the value) and the
// rest of the key and the value. Blocks of blockSize decoded bytes (more
// only for a pair that big) keep a reader streaming; compressing them
// writes the import's runs in about half the bytes (its records in a
// quarter), and writing fresh file pages is what spilling spent most of
// its time in.
const blockSize = 128 << 10

const hdrSize = 8 // a block's header

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// run is a run file written by writeRun.
type run struct {
	name string
	// blocks is how many blocks it has, maxBlock the largest one's
	// decoded size: a reader trusts no larger length read from the file.
	blocks, maxBlock int
}

// writeRun writes sorted entries of data to a new run file.
func writeRun(name string, data []byte, ents []entry) (run, error) {
	r := run{name: name}
	f, err := os.Create(name)
	if err != nil {
		return r, fmt.Errorf("extsort: %w", err)
	}
	blk := make([]byte, 0, blockSize+64)
	var z []byte
	flush := func() error {
		if n := hdrSize + s2.MaxEncodedLen(len(blk)); cap(z) < n {
			z = make([]byte, n)
		}
		c := s2.Encode(z[hdrSize:cap(z)], blk)
		binary.LittleEndian.PutUint32(z, uint32(len(c)))
		binary.LittleEndian.PutUint32(z[4:], crc32.Checksum(c, castagnoli))
		r.maxBlock = max(r.maxBlock, len(blk))
		r.blocks++
		blk = blk[:0]
		_, err := f.Write(z[:hdrSize+len(c)])
		return err
	}
	var prev []byte
	for _, e := range ents {
		k := e.key(data)
		shared := 0
		if len(blk) > 0 {
			shared = commonPrefix(prev, k)
		}
		blk = binary.AppendUvarint(blk, uint64(shared))
		blk = binary.AppendUvarint(blk, uint64(len(k)-shared))
		blk = binary.AppendUvarint(blk, uint64(e.vlen))
		blk = append(append(blk, k[shared:]...), e.value(data)...)
		prev = k
		if len(blk) >= blockSize {
			if err = flush(); err != nil {
				break
			}
		}
	}
	if err == nil && len(blk) > 0 {
		err = flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return r, fmt.Errorf("extsort: writing a run: %w", err)
	}
	return r, nil
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// spill writes what is buffered as a run, in line.
func (s *Sorter) spill() error {
	if err := s.settle(); err != nil {
		return err
	}
	if len(s.ents) == 0 {
		return nil
	}
	name, err := s.nextRun()
	if err != nil {
		return err
	}
	r, err := writeRun(name, s.data, sortEntries(s.data, s.ents))
	if err != nil {
		return err
	}
	s.runs = append(s.runs, r)
	s.data, s.ents = s.data[:0], s.ents[:0]
	return nil
}

// Spill writes what is buffered as a run and releases the buffer: for a
// Sorter that will take no more pairs for a while, so that its memory does
// not wait for Merge. Adding after Spill is allowed.
func (s *Sorter) Spill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.err = s.spill(); s.err != nil {
		return s.err
	}
	s.data, s.ents, s.spareData, s.spareEnts = nil, nil, nil, nil
	return nil
}

// Close removes the run files; the Sorter cannot be used after.
func (s *Sorter) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	s.err = ErrClosed
	s.data, s.ents, s.runs, s.spareData, s.spareEnts = nil, nil, nil, nil, nil
	if s.dir != "" {
		return os.RemoveAll(s.dir)
	}
	return nil
}

// cursor reads one sorted source: a run file or a sorted buffer.
type cursor struct {
	rank  int // later sources win ties
	key   []byte
	value []byte
	next  func() (bool, error)
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].rank > h[j].rank
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// fileCursor reads a run file written by writeRun.
func fileCursor(r run, rank int) (*cursor, func(), error) {
	f, err := os.Open(r.name)
	if err != nil {
		return nil, nil, fmt.Errorf("extsort: %w", err)
	}
	c := &cursor{rank: rank}
	corrupt := func(what string) error {
		return fmt.Errorf("extsort: reading %s: %s", r.name, what)
	}
	// z holds a compressed block and the header of the next, read
	// together; next is that header. buf holds the decoded block, blk what
	// is left of it to read.
	var z, buf, blk []byte
	var next struct{ len, crc uint32 }
	left := r.blocks
	parse := func(h []byte) {
		next.len = binary.LittleEndian.Uint32(h)
		next.crc = binary.LittleEndian.Uint32(h[4:])
	}
	if left > 0 {
		var hdr [hdrSize]byte
		if _, err := io.ReadFull(f, hdr[:]); err != nil {
			f.Close()
			return nil, nil, corrupt(io.ErrUnexpectedEOF.Error())
		}
		parse(hdr[:])
	}
	maxZ := s2.MaxEncodedLen(r.maxBlock)
	// load reads and decodes the next block into blk.
	load := func() error {
		if next.len == 0 || int64(next.len) > int64(maxZ) {
			return corrupt("bad block length")
		}
		crc, n := next.crc, int(next.len)
		if left--; left > 0 {
			n += hdrSize
		}
		z = slices.Grow(z[:0], n)[:n]
		if _, err := io.ReadFull(f, z); err != nil {
			return corrupt(io.ErrUnexpectedEOF.Error())
		}
		if left > 0 {
			parse(z[n-hdrSize:])
			z = z[:n-hdrSize]
		}
		if crc32.Checksum(z, castagnoli) != crc {
			return corrupt("checksum mismatch")
		}
		if dlen, err := s2.DecodedLen(z); err != nil || dlen > r.maxBlock {
			return corrupt("corrupt block")
		}
		var err error
		if buf, err = s2.Decode(buf[:cap(buf)], z); err != nil {
			return corrupt("corrupt block")
		}
		blk = buf
		c.key = c.key[:0]
		return nil
	}
	c.next = func() (bool, error) {
		if len(blk) == 0 {
			if left == 0 {
				return false, nil
			}
			if err := load(); err != nil {
				return false, err
			}
		}
		shared, n1 := binary.Uvarint(blk)
		rest, n2 := binary.Uvarint(blk[max(n1, 0):])
		vlen, n3 := binary.Uvarint(blk[max(n1, 0)+max(n2, 0):])
		if n1 <= 0 || n2 <= 0 || n3 <= 0 {
			return false, corrupt("corrupt block")
		}
		blk = blk[n1+n2+n3:]
		if shared > uint64(len(c.key)) || rest > uint64(len(blk)) || vlen > uint64(len(blk))-rest {
			return false, corrupt("corrupt block")
		}
		c.key = append(c.key[:shared], blk[:rest]...)
		c.value = blk[rest : rest+vlen : rest+vlen]
		blk = blk[rest+vlen:]
		return true, nil
	}
	return c, func() { f.Close() }, nil
}

func (s *Sorter) bufferCursor(rank int) *cursor {
	s.ents = sortEntries(s.data, s.ents)
	i := 0
	c := &cursor{rank: rank}
	c.next = func() (bool, error) {
		if i == len(s.ents) {
			return false, nil
		}
		c.key, c.value = s.ents[i].key(s.data), s.ents[i].value(s.data)
		i++
		return true, nil
	}
	return c
}

// Merge yields the pairs of the sorters in key order, each key once: of
// equal keys, the one added last to the last sorter that has it. The
// slices are valid until the next iteration. It stops at the first error,
// which it stores in *errp. The sorters must not be added to meanwhile.
func Merge(errp *error, sorters ...*Sorter) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		*errp = nil
		var h cursorHeap
		var closers []func()
		defer func() {
			for _, c := range closers {
				c()
			}
		}()
		add := func(c *cursor) error {
			ok, err := c.next()
			if ok {
				h = append(h, c)
			}
			return err
		}
		rank := 0
		for _, s := range sorters {
			s.mu.Lock()
			s.settle()
			err := s.err
			s.mu.Unlock()
			if err != nil {
				*errp = err
				return
			}
			for _, r := range s.runs {
				c, closer, err := fileCursor(r, rank)
				rank++
				if err != nil {
					*errp = err
					return
				}
				closers = append(closers, closer)
				if err := add(c); err != nil {
					*errp = err
					return
				}
			}
			if err := add(s.bufferCursor(rank)); err != nil {
				*errp = err
				return
			}
			rank++
		}
		heap.Init(&h)
		var last []byte
		first := true
		for h.Len() > 0 {
			c := h[0]
			if first || !bytes.Equal(c.key, last) {
				if !yield(c.key, c.value) {
					return
				}
				last = append(last[:0], c.key...)
				first = false
			}
			ok, err := c.next()
			if err != nil {
				*errp = err
				return
			}
			if ok {
				heap.Fix(&h, 0)
			} else {
				heap.Pop(&h)
			}
		}
	}
}
