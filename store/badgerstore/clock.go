package badgerstore

import (
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// clock keeps the timestamps of Badger's managed mode, which Badger's
// oracle keeps in its normal mode with two watermarks: each transaction's
// start and end, and each commit's, is a channel send to a watermark
// goroutine (a fifth of an ingest's CPU went to those sends and the
// wake-ups they cause). Here they are a mutex and a map.
//
// What the clock guarantees, and how:
//   - A transaction reads at readTs, the timestamp of the last commit
//     Badger applied, so it sees every commit that returned before it
//     began. Commits take their timestamps and reach Badger's write queue
//     in one order (commitMu), and Badger applies its queue in order, so
//     once a commit is applied so is every commit below it.
//   - Conflicts: Badger checks a commit against the commits above the
//     transaction's read timestamp that it still remembers; it forgets
//     those at or below the discard timestamp, which stays at or below the
//     read timestamp of every open transaction.
//   - Old versions: compaction drops versions shadowed at or below the
//     discard timestamp, so no open transaction loses what it reads.
type clock struct {
	db *badger.DB

	// commitMu is held while a commit takes its timestamp and is handed to
	// Badger: commits enter Badger's write queue in timestamp order.
	commitMu sync.Mutex
	next     uint64 // the next commit timestamp; guarded by commitMu

	mu      sync.Mutex
	readTs  uint64         // every commit at or below it has been applied
	active  map[uint64]int // open transactions, by read timestamp
	discard uint64         // the last timestamp given to SetDiscardTs
}

// init starts the clock above every version the database holds, whether
// written in managed mode or not.
func (c *clock) init(db *badger.DB) {
	c.db = db
	c.readTs = db.MaxVersion()
	c.next = c.readTs + 1
	c.active = map[uint64]int{}
	c.discard = c.readTs
	if c.discard > 0 {
		db.SetDiscardTs(c.discard)
	}
}

// begin registers a transaction and returns its read timestamp; end must
// follow, once the transaction is discarded.
func (c *clock) begin() uint64 {
	c.mu.Lock()
	ts := c.readTs
	c.active[ts]++
	c.mu.Unlock()
	return ts
}

func (c *clock) end(readTs uint64) {
	c.mu.Lock()
	if n := c.active[readTs]; n > 1 {
		c.active[readTs] = n - 1
	} else {
		delete(c.active, readTs)
	}
	c.mu.Unlock()
}

// commit commits txn, which holds writes, and waits until Badger has
// applied it. Concurrent commits wait for one another (no group commit).
func (c *clock) commit(txn *badger.Txn) error {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	ts := c.next
	c.next++
	if err := txn.CommitAt(ts, nil); err != nil {
		return err
	}
	c.applied(ts)
	return nil
}

// commitAsync hands txn, which holds writes, to Badger and returns; done
// runs once Badger has applied it (or failed to), on another goroutine.
func (c *clock) commitAsync(txn *badger.Txn, done func(error)) {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	ts := c.next
	c.next++
	// CommitAt with a callback checks conflicts and queues the write
	// before it returns: the queue's order is the timestamps'.
	_ = txn.CommitAt(ts, func(err error) {
		if err == nil {
			c.applied(ts)
		}
		done(err)
	})
}

// loaded records that versions up to ts were written outside commits (by
// a StreamWriter): new transactions see them, commits go above them.
func (c *clock) loaded(ts uint64) {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	c.next = max(c.next, ts+1)
	c.applied(ts)
}

// applied records that the commit at ts was applied, and with it every
// commit below it, and moves the discard timestamp up to the oldest read
// timestamp still in use.
func (c *clock) applied(ts uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readTs = max(c.readTs, ts)
	d := c.readTs
	for r := range c.active {
		d = min(d, r)
	}
	if d > c.discard {
		c.discard = d
		c.db.SetDiscardTs(d)
	}
}
