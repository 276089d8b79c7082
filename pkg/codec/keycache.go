package codec

import (
	"container/list"
	"slices"
	"sync"
	"time"
)

// keyCache holds decrypted data keys by their reference, each until it expires, at most size
// of them: the least recently used goes first when a new one comes.
type keyCache struct {
	mu    sync.Mutex
	size  int
	order *list.List               // of *cacheEntry, most recently used first
	byRef map[string]*list.Element // of order
}

type cacheEntry struct {
	ref     string
	key     []byte
	expires time.Time
}

func newKeyCache(size int) *keyCache {
	return &keyCache{size: size, order: list.New(), byRef: make(map[string]*list.Element, size)}
}

// get returns a copy of the key cached for ref, if it has not expired at now.
func (c *keyCache) get(ref string, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byRef[ref]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.byRef, ref)
		return nil, false
	}
	c.order.MoveToFront(el)
	return slices.Clone(e.key), true
}

// put caches key for ref until expires, evicting the least recently used key when full.
func (c *keyCache) put(ref string, key []byte, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byRef[ref]; ok {
		e := el.Value.(*cacheEntry)
		e.key, e.expires = slices.Clone(key), expires
		c.order.MoveToFront(el)
		return
	}
	for c.order.Len() >= c.size && c.order.Len() > 0 {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byRef, oldest.Value.(*cacheEntry).ref)
	}
	c.byRef[ref] = c.order.PushFront(&cacheEntry{ref: ref, key: slices.Clone(key), expires: expires})
}

// len returns how many keys are cached, expired ones included.
func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
