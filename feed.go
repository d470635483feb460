package unify

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/store"
)

// ChangeKind names an entry of the change feed.
type ChangeKind string

// Change kinds.
const (
	ProfileCreated ChangeKind = "profile_created"
	ProfileUpdated ChangeKind = "profile_updated"
	ProfileMerged  ChangeKind = "profile_merged"  // Profile absorbed From; From are aliases now
	ProfileSplit   ChangeKind = "profile_split"   // Profile is one part of From[0]
	ProfileRenamed ChangeKind = "profile_renamed" // From[0] lost the record that named it
	ProfileRemoved ChangeKind = "profile_removed" // its last record was deleted
	ProfileErased  ChangeKind = "profile_erased"  // erased on request (GDPR)
	SegmentEntered ChangeKind = "segment_entered" // Profile now belongs to Segment
	SegmentExited  ChangeKind = "segment_exited"  // Profile no longer belongs to Segment
)

// Change is one entry of the durable change feed. It holds no personal
// data, only profile IDs and record keys, so a feed can be kept and shipped.
type Change struct {
	Seq     uint64     `json:"seq"`
	Time    time.Time  `json:"time"` // when the change committed
	Kind    ChangeKind `json:"kind"`
	Profile string     `json:"profile"`
	From    []string   `json:"from,omitempty"`
	Record  string     `json:"record,omitempty"`  // "source/id" of the record that caused it
	Segment string     `json:"segment,omitempty"` // for segment entries
}

func changeKind(k identity.ChangeKind) ChangeKind {
	switch k {
	case identity.Created:
		return ProfileCreated
	case identity.Merged:
		return ProfileMerged
	case identity.Split:
		return ProfileSplit
	case identity.Renamed:
		return ProfileRenamed
	case identity.Removed:
		return ProfileRemoved
	}
	return ProfileUpdated
}

var feedSeqKey = store.AppendString(store.AppendString(nil, "m"), "feed-seq")

func feedKey(seq uint64) []byte {
	return store.AppendUint64(store.AppendString(make([]byte, 0, 16), "f"), seq)
}

// appendChanges writes changes to the feed inside tx, numbering them.
func (e *Engine) appendChanges(tx store.Tx, cs []Change) error {
	if len(cs) == 0 {
		return nil
	}
	var seq uint64
	b, err := tx.Get(feedSeqKey)
	switch {
	case err == nil && len(b) == 8:
		seq = binary.BigEndian.Uint64(b)
	case err == nil:
		return fmt.Errorf("unify: corrupt feed sequence")
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	now := e.now().UTC()
	for i := range cs {
		seq++
		cs[i].Seq, cs[i].Time = seq, now
		if err := tx.Set(feedKey(seq), appendChangeJSON(nil, &cs[i])); err != nil {
			return err
		}
	}
	return tx.Set(feedSeqKey, binary.BigEndian.AppendUint64(nil, seq))
}

// wake tells watchers that the feed grew.
func (e *Engine) wake() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		close(e.notify)
		e.notify = make(chan struct{})
	}
}

func (e *Engine) waitChan() (<-chan struct{}, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.notify, e.closed
}

// Changes reads the feed from sequence number from (inclusive), up to what
// has committed now. Sequence numbers start at 1 and survive restarts, so a
// consumer stores the last Seq it handled and resumes at Seq+1.
func (e *Engine) Changes(ctx context.Context, from uint64) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		for {
			batch, err := e.readFeed(ctx, from, 256)
			if err != nil {
				yield(Change{}, err)
				return
			}
			for _, c := range batch {
				if !yield(c, nil) {
					return
				}
				from = c.Seq + 1
			}
			if len(batch) < 256 {
				return
			}
		}
	}
}

func (e *Engine) readFeed(ctx context.Context, from uint64, max int) ([]Change, error) {
	var out []Change
	err := e.view(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{Prefix: store.AppendString(nil, "f"), Start: feedKey(from)})
		defer it.Close()
		for len(out) < max && it.Next() {
			v, err := it.Value()
			if err != nil {
				return err
			}
			var c Change
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("unify: corrupt feed entry: %w", err)
			}
			out = append(out, c)
		}
		return it.Err()
	})
	return out, err
}

// Watch is Changes that does not stop at the end of the feed: it waits for
// new commits and yields them as they come, until ctx is done or the engine
// closes. Either ends the iteration without an error: a consumer that must
// tell them apart checks ctx.Err(). This is how a host pushes
// webhooks: it keeps the last Seq delivered and watches from the next.
func (e *Engine) Watch(ctx context.Context, from uint64) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		for {
			wait, closed := e.waitChan() // before reading, so no commit is missed
			if closed {
				return
			}
			batch, err := e.readFeed(ctx, from, 256)
			if err != nil {
				if !errors.Is(err, ErrClosed) {
					yield(Change{}, err)
				}
				return
			}
			for _, c := range batch {
				if ctx.Err() != nil || !yield(c, nil) {
					return
				}
				from = c.Seq + 1
			}
			if len(batch) == 256 {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-wait:
			}
		}
	}
}

// TrimFeed deletes feed entries that committed before cutoff and returns
// how many it deleted. Sequence numbers are never reused.
func (e *Engine) TrimFeed(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := e.update(ctx, func(tx store.Tx) error {
			n = 0
			it := tx.Iterate(store.IterOptions{Prefix: store.AppendString(nil, "f")})
			var dead [][]byte
			for it.Next() && len(dead) < 1000 {
				v, err := it.Value()
				if err != nil {
					it.Close()
					return err
				}
				var c Change
				if err := json.Unmarshal(v, &c); err != nil {
					it.Close()
					return err
				}
				if !c.Time.Before(cutoff) {
					break
				}
				dead = append(dead, store.Copy(it.Key()))
			}
			err := it.Err()
			it.Close()
			if err != nil {
				return err
			}
			for _, k := range dead {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			n = len(dead)
			return nil
		})
		total += n
		if err != nil || n < 1000 {
			return total, err
		}
	}
}

// appendChangeJSON encodes c as encoding/json would, without reflection:
// the feed is written on every ingest.
func appendChangeJSON(b []byte, c *Change) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, c.Seq, 10)
	b = append(b, `,"time":"`...)
	b = c.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","kind":`...)
	b = strconv.AppendQuote(b, string(c.Kind))
	b = append(b, `,"profile":`...)
	b = strconv.AppendQuote(b, c.Profile)
	if len(c.From) > 0 {
		b = append(b, `,"from":[`...)
		for i, f := range c.From {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, f)
		}
		b = append(b, ']')
	}
	if c.Record != "" {
		b = append(b, `,"record":`...)
		b = appendJSONString(b, c.Record)
	}
	if c.Segment != "" {
		b = append(b, `,"segment":`...)
		b = appendJSONString(b, c.Segment)
	}
	return append(b, '}')
}

// appendJSONString quotes s as JSON (strconv.Quote's escapes are not all
// JSON: \x.. and \U........ are not).
func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		// What encoding/json escapes: controls, quotes, backslashes, the
		// HTML characters, and everything not ASCII is left to it.
		plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	v, _ := json.Marshal(s)
	return append(b, v...)
}
