package badgerstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/unifycdp/unify/store"
)

// LoadSorted writes kvs into the empty store with Badger's StreamWriter,
// which builds tables directly in the LSM tree instead of going through
// memtables and compactions: about four times as fast as a batch for a
// large load. See store.SortedLoader.
//
// Badger's StreamWriter drops whatever the database holds when it starts,
// so LoadSorted first checks that the store holds no key. It must not run
// alongside other writers.
//
// The load is all or nothing. Badger registers each table as it is built,
// several at once and in no fixed order, so a load that stops early (an
// error, a crash) would leave some of its keys, not necessarily the first
// ones. LoadSorted therefore marks the directory with a file
// (loadPendingFile) before it starts and removes it when the load is
// complete; if it fails it empties the store, and if the process dies,
// the next Open finds the file and empties the store.
func (s *Store) LoadSorted(ctx context.Context, kvs iter.Seq2[[]byte, []byte]) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if err := s.checkEmpty(); err != nil {
		return err
	}
	if s.inMemory {
		// The StreamWriter writes table files; an in-memory Badger has none.
		return s.loadByBatch(ctx, kvs)
	}
	if err := s.markLoad(); err != nil {
		return err
	}
	if err := s.streamLoad(ctx, kvs); err != nil {
		// Nothing of it stays. If even that fails, the mark stays for
		// the next Open.
		if derr := s.db.DropAll(); derr == nil {
			s.unmarkLoad()
		}
		return err
	}
	// The tables hold version loadVersion, which transactions must see.
	s.clock.loaded(loadVersion)
	return s.unmarkLoad()
}

// streamLoad writes kvs with a StreamWriter.
func (s *Store) streamLoad(ctx context.Context, kvs iter.Seq2[[]byte, []byte]) error {
	sw := s.db.NewStreamWriter()
	defer sw.Cancel()
	if err := sw.Prepare(); err != nil {
		return translate("load", err)
	}
	buf := z.NewBuffer(64<<20, "badgerstore.LoadSorted")
	defer buf.Release()
	err := store.EachSorted(kvs, func(k, v []byte) error {
		if err := s.checkValue(v); err != nil {
			return err
		}
		appendKV(buf, k, v)
		if buf.LenNoPadding() < 32<<20 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		defer buf.Reset()
		return translate("load", sw.Write(buf))
	})
	if err != nil {
		return err
	}
	if buf.LenNoPadding() > 0 {
		if err := sw.Write(buf); err != nil {
			return translate("load", err)
		}
	}
	return translate("load", sw.Flush())
}

// loadPendingFile, in the store's directory, marks a LoadSorted under way.
const loadPendingFile = "UNIFY-LOAD-PENDING"

// markLoad creates loadPendingFile, durably, before a load begins.
func (s *Store) markLoad() error {
	name := filepath.Join(s.dir, loadPendingFile)
	f, err := os.Create(name)
	if err == nil {
		_, err = f.WriteString("a sorted load into this Badger directory was interrupted; badgerstore.Open empties the store\n")
		err = errors.Join(err, f.Sync(), f.Close())
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		return fmt.Errorf("badgerstore: load: mark the directory: %w", err)
	}
	return nil
}

// unmarkLoad removes loadPendingFile, durably.
func (s *Store) unmarkLoad() error {
	err := os.Remove(filepath.Join(s.dir, loadPendingFile))
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		return fmt.Errorf("badgerstore: load: unmark the directory: %w", err)
	}
	return nil
}

// discardInterruptedLoad empties a store whose last LoadSorted did not
// finish (its directory holds loadPendingFile): what the load left is some
// of its keys, in no order that could be completed.
func (s *Store) discardInterruptedLoad(opts Options) error {
	if s.dir == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(s.dir, loadPendingFile)); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("badgerstore: open %s: %w", s.dir, err)
	}
	if opts.ReadOnly {
		return fmt.Errorf("badgerstore: open %s: %w", s.dir, ErrLoadInterrupted)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("badgerstore: emptying the store: a sorted load into it was interrupted", "dir", s.dir)
	if err := s.db.DropAll(); err != nil {
		return fmt.Errorf("badgerstore: open %s: empty an interrupted load: %v", s.dir, err)
	}
	return s.unmarkLoad()
}

// ErrLoadInterrupted is returned by a read-only Open of a store whose last
// LoadSorted was interrupted: a read-write Open empties it.
var ErrLoadInterrupted = errors.New("badgerstore: a sorted load into the store was interrupted; open it read-write to empty it")

// syncDir makes the directory's entries durable (where directories can be
// synced).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// loadVersion is the version of the keys LoadSorted writes. The store is
// empty, so the lowest will do: nothing it holds can shadow them.
const loadVersion = 1

// appendKV adds the protobuf encoding of pb.KV{Key: k, Value: v,
// Version: loadVersion} to buf, as badger.KVToBuffer does, without building a pb.KV
// and going through the protobuf runtime: that was a fifth of a sorted
// load's time outside Badger (0.9 s of CPU for the 6M keys of 1M records).
// TestAppendKV checks the bytes against proto.Marshal.
func appendKV(buf *z.Buffer, k, v []byte) {
	n := 1 + uvarintLen(uint64(len(k))) + len(k) + 2 // key; version 1
	if len(v) > 0 {
		n += 1 + uvarintLen(uint64(len(v))) + len(v)
	}
	b := buf.SliceAllocate(n)[:0]
	b = append(b, 1<<3|2) // field 1 (key), length-delimited
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	if len(v) > 0 { // proto3 leaves empty bytes out
		b = append(b, 2<<3|2) // field 2 (value)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	_ = append(b, 4<<3|0, loadVersion) // field 4 (version), a one-byte varint
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// checkEmpty returns store.ErrNotEmpty unless the store holds no key.
func (s *Store) checkEmpty() error {
	empty := true
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	if err != nil {
		return translate("load", err)
	}
	if !empty {
		return store.ErrNotEmpty
	}
	return nil
}

// loadByBatch is LoadSorted through a write batch.
func (s *Store) loadByBatch(ctx context.Context, kvs iter.Seq2[[]byte, []byte]) error {
	b := s.newBatch()
	defer b.cancel() // after flush, a no-op
	n := 0
	err := store.EachSorted(kvs, func(k, v []byte) error {
		if err := s.checkValue(v); err != nil {
			return err
		}
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k, v = bytes.Clone(k), bytes.Clone(v)
		return translate("load", b.add(func(txn *badger.Txn) error { return txn.SetEntry(badger.NewEntry(k, v)) }))
	})
	if err != nil {
		return err
	}
	return translate("load", b.flush())
}
