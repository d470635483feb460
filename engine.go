package unify

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/normalize"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/segment"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
)

// Errors of the engine. Errors from the packages below (identity, profile,
// normalize, store) are wrapped, not replaced: match them with errors.Is and
// errors.As too.
var (
	// ErrNotFound: no profile or record matches the query.
	ErrNotFound = errors.New("unify: not found")
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("unify: closed")
	// ErrInvalidRecord: Ingest refused a record; the error also matches
	// profile.ErrInvalid and, with errors.As, *RecordError.
	ErrInvalidRecord = errors.New("unify: invalid record")
	// ErrBadCursor: a timeline cursor that Timeline did not make.
	ErrBadCursor = errors.New("unify: bad timeline cursor")
	// ErrImportPending: the store holds part of a staged import that did
	// not finish (see Staging). Writes other than Import are
	// refused until an Import discards it: they would be discarded with it.
	ErrImportPending = errors.New("unify: an interrupted staged import is pending; run Import first")
)

// Options configure an engine. The zero value is not enough: set Dir or
// Store.
type Options struct {
	// Dir is the directory of the embedded Badger store, created if missing.
	// Used when Store is nil.
	Dir string
	// Store is any store.Store; when set, Dir is ignored and Close does not
	// close the store (its owner does).
	Store store.Store
	// SyncWrites makes every commit to the Badger store in Dir wait for
	// fsync. Off by default: a crash may then lose the last commits (never
	// half of one).
	SyncWrites bool
	// Compression of the Badger store in Dir; the zero value is Snappy.
	// badgerstore.NoCompression makes tables about 1.8 times larger and
	// reads faster: at 1M records, lookups had a p99 of 40 µs against
	// 51-66 µs with Snappy, without a block cache (BENCHMARKS.md).
	Compression badgerstore.Compression
	// Policies of identity resolution; nil means identity.DefaultPolicies().
	Policies *identity.Policies
	// PhoneRegion is the region (ISO 3166-1 alpha-2) of phone numbers
	// written without a country code, for sources without their own in
	// Sources. "" means only international numbers are accepted.
	PhoneRegion string
	// Sources holds per-source settings, by source name.
	Sources map[string]SourceOptions
	// Email configures email normalization; the zero value lower-cases and
	// applies no provider rules.
	Email normalize.EmailOptions
	// IdentifierCase is the case policy of identifier types other than
	// email and phone; types not listed keep their case
	// (normalize.Preserve). Loyalty card numbers also lose the spaces and
	// dashes printed on cards.
	IdentifierCase map[identity.Type]normalize.Case
	// Survivorship chooses which attribute values survive in a profile;
	// the zero value keeps the latest by event time.
	Survivorship profile.Survivorship
	// Segments are evaluated on every profile change; entering and leaving
	// one appends segment_entered and segment_exited entries to the feed,
	// and Profile.Segments lists the current memberships. Segments whose
	// rules depend on time need RefreshSegments.
	Segments []segment.Segment
	// Logger receives the engine's log; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for change times and feed trimming; nil means
	// time.Now.
	Now func() time.Time
}

// SourceOptions are settings of one source system.
type SourceOptions struct {
	// PhoneRegion overrides Options.PhoneRegion for this source: a POS in
	// Finland writes 040 123 4567, a Swedish webstore 070-123 45 67.
	PhoneRegion string
}

// Engine keeps profiles up to date from the records it is given. It is safe
// for concurrent use. Writes are serialized inside one engine; several
// processes may share a store that detects conflicts, and conflicting
// transactions are retried.
type Engine struct {
	opts     Options
	s        store.Store
	owns     bool
	graph    *identity.Graph
	phones   *normalize.PhoneNormalizer
	segments *segment.Set // nil without segments
	log      *slog.Logger
	now      func() time.Time
	seed     maphash.Seed // for traits digests

	wmu sync.Mutex // serializes write transactions
	// loadPending is set while the store holds loadMarkerKey: a staged
	// load is being written, or was interrupted. Guarded by wmu.
	loadPending bool

	// bucketRecords and sortMemory override recordsPerBucket and the
	// staged import's sort buffers (tests).
	bucketRecords, sortMemory int

	mu     sync.Mutex
	closed bool
	notify chan struct{} // closed and replaced on every feed append
}

// Open opens an engine on opts.Store, or on a Badger store in opts.Dir.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	e := &Engine{opts: opts, s: opts.Store, log: opts.Logger, now: opts.Now, notify: make(chan struct{}), seed: maphash.MakeSeed()}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	var err error
	e.phones, err = normalize.NewPhoneNormalizer(normalize.PhoneOptions{DefaultRegion: opts.PhoneRegion})
	if err != nil {
		return nil, fmt.Errorf("unify: PhoneRegion: %w", err)
	}
	for name, so := range opts.Sources {
		if so.PhoneRegion != "" {
			if _, err := normalize.NewPhoneNormalizer(normalize.PhoneOptions{DefaultRegion: so.PhoneRegion, CacheSize: -1}); err != nil {
				return nil, fmt.Errorf("unify: Sources[%q].PhoneRegion: %w", name, err)
			}
		}
	}
	if len(opts.Segments) > 0 {
		if e.segments, err = segment.NewSet(opts.Segments, segment.Options{}); err != nil {
			return nil, fmt.Errorf("unify: Segments: %w", err)
		}
	}
	e.graph = identity.New(identity.Options{Policies: opts.Policies, Prefix: store.AppendString(nil, "g")})
	if e.s == nil {
		if opts.Dir == "" {
			return nil, errors.New("unify: Options need a Dir or a Store")
		}
		// Larger memtables and block cache than badgerstore's defaults: fewer
		// flushes and compactions during imports, more blocks kept decoded
		// for lookups. About 450 MiB at most.
		bs, err := badgerstore.Open(ctx, badgerstore.Options{Dir: opts.Dir, SyncWrites: opts.SyncWrites, Logger: opts.Logger,
			MemTableSize: 64 << 20, NumMemtables: 3, BlockCacheSize: 256 << 20, Compression: opts.Compression})
		if err != nil {
			return nil, fmt.Errorf("unify: %w", err)
		}
		e.s, e.owns = bs, true
		removeImportLeftovers(opts.Dir, e.log)
	}
	err = e.s.View(ctx, func(tx store.Tx) error {
		_, err := tx.Get(loadMarkerKey)
		e.loadPending = err == nil
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		if e.owns {
			e.s.Close()
		}
		return nil, fmt.Errorf("unify: %w", err)
	}
	return e, nil
}

// Close closes the engine and, when it opened it, the store. Watchers end.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.notify)
	e.mu.Unlock()
	e.wmu.Lock() // wait for writes in flight
	defer e.wmu.Unlock()
	if e.owns {
		return e.s.Close()
	}
	return nil
}

func (e *Engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.s }

// Graph returns the engine's identity graph, for tools that inspect it.
func (e *Engine) Graph() *identity.Graph { return e.graph }

// update runs fn in a write transaction, serialized with the engine's other
// writers and retried on conflicts with other processes.
func (e *Engine) update(ctx context.Context, fn func(tx store.Tx) error) error {
	if e.isClosed() {
		return ErrClosed
	}
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if e.loadPending {
		return ErrImportPending
	}
	return e.updateLocked(ctx, fn)
}

// updateLocked is update for a caller that holds wmu.
func (e *Engine) updateLocked(ctx context.Context, fn func(tx store.Tx) error) error {
	return store.Retry(ctx, e.s, fn, store.RetryOptions{})
}

func (e *Engine) view(ctx context.Context, fn func(tx store.Tx) error) error {
	if e.isClosed() {
		return ErrClosed
	}
	return e.s.View(ctx, fn)
}

// Keys of the engine's own data.
func recordKey(source, id string) []byte {
	// Room for the tags and terminators of three parts: one allocation.
	b := make([]byte, 0, 12+len(source)+len(id))
	return store.AppendString(store.AppendString(store.AppendString(b, "r"), source), id)
}

// decodeRecordKey inverts recordKey.
func decodeRecordKey(k []byte) (source, id string, err error) {
	r := store.NewKeyReader(k)
	_, err1 := r.String() // "r"
	source, err2 := r.String()
	id, err3 := r.String()
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", "", fmt.Errorf("unify: corrupt record key: %w", err)
	}
	return source, id, nil
}

func profileKey(pid string) []byte {
	return store.AppendString(store.AppendString(make([]byte, 0, 8+len(pid)), "p"), pid)
}

func (e *Engine) profileOptions(linked func(identity.ID) bool) profile.Options {
	return profile.Options{Survivorship: e.opts.Survivorship, Linked: linked}
}

// removeImportLeftovers removes the temporary files that an import
// interrupted by a crash left in dir (bulk imports spill there; see
// ImportBulk). The store is open, so no import of another engine is
// running in it.
func removeImportLeftovers(dir string, log *slog.Logger) {
	for _, pattern := range []string{"unify-import-*", "unify-sort-*"} {
		names, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, name := range names {
			if err := os.RemoveAll(name); err != nil {
				log.Warn("unify: removing an interrupted import's temporary files", "path", name, "err", err)
			}
		}
	}
}
