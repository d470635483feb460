package normalize

import (
	"hash/maphash"
	"sync"
)

// phoneCache is a bounded, sharded cache from compact phone keys to
// results. Each shard keeps two generations of at most limit entries: new
// entries go to the current one; when it is full it becomes the previous
// one and the old previous one is dropped; a hit in the previous
// generation is copied to the current one. So recently used keys stay and
// the cache never holds more than 2×limit entries a shard.
type phoneCache struct {
	seed   maphash.Seed
	limit  int
	shards []phoneShard
}

type phoneShard struct {
	mu        sync.Mutex
	cur, prev map[string]phoneResult
}

// newPhoneCache returns a cache of at most about size entries.
func newPhoneCache(size int) *phoneCache {
	n := 16
	for n > 1 && size < 2*n*64 {
		n /= 2
	}
	limit := max(1, size/(2*n))
	c := &phoneCache{seed: maphash.MakeSeed(), limit: limit, shards: make([]phoneShard, n)}
	for i := range c.shards {
		c.shards[i].cur = make(map[string]phoneResult)
	}
	return c
}

func (c *phoneCache) shard(key []byte) *phoneShard {
	return &c.shards[maphash.Bytes(c.seed, key)&uint64(len(c.shards)-1)]
}

// get returns the result cached for key.
func (c *phoneCache) get(key []byte) (phoneResult, bool) {
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if r, ok := sh.cur[string(key)]; ok {
		return r, true
	}
	r, ok := sh.prev[string(key)]
	if ok {
		c.add(sh, string(key), r)
	}
	return r, ok
}

// put caches r for key.
func (c *phoneCache) put(key string, r phoneResult) {
	sh := &c.shards[maphash.String(c.seed, key)&uint64(len(c.shards)-1)]
	sh.mu.Lock()
	c.add(sh, key, r)
	sh.mu.Unlock()
}

// add stores r in the current generation of sh, which must be locked.
func (c *phoneCache) add(sh *phoneShard, key string, r phoneResult) {
	if len(sh.cur) >= c.limit {
		sh.prev, sh.cur = sh.cur, make(map[string]phoneResult, c.limit)
	}
	sh.cur[key] = r
}

// len returns the number of entries held, for tests.
func (c *phoneCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.cur) + len(sh.prev)
		sh.mu.Unlock()
	}
	return n
}
