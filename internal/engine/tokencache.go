package engine

import (
	"sync"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// A token record names the run and hook that hold the token and the hook's settings (schema,
// webhook configuration, signature spec), none of which change while the token is live. So
// a warm client keeps the records it looked up for a while, and a delivery to a token it
// knows costs no read before its write. Liveness is not cached: the delivery's write is
// conditioned on the token being live for that run and hook. When the write finds it gone,
// the entry is dropped; a hook's token can be claimed again by another run (custom tokens),
// so a resume then looks the token up afresh and tries once more. A webhook request refused
// for its signature is answered 404 rather than 401 when counting the refusal finds the token
// gone. What the cache can still do for a minute after a webhook closes, and only in a
// process that looked it up before: answer a sender's handshake.

// Bounds of the token cache.
const (
	tokenCacheTTL  = time.Minute
	tokenCacheSize = 4096
)

type cachedToken struct {
	tok  backend.Token
	data TokenData
	at   time.Time
}

// tokenCache is a bounded map of recently looked-up token records.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken
	now     func() time.Time
}

func newTokenCache(now func() time.Time) *tokenCache {
	return &tokenCache{entries: map[string]cachedToken{}, now: now}
}

// get returns the cached record of token, if it is fresh.
func (c *tokenCache) get(token string) (backend.Token, TokenData, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[token]
	if !ok {
		return backend.Token{}, TokenData{}, false
	}
	if c.now().Sub(e.at) > tokenCacheTTL {
		delete(c.entries, token)
		return backend.Token{}, TokenData{}, false
	}
	return e.tok, e.data, true
}

// put keeps a record, making room by dropping any one entry when full.
func (c *tokenCache) put(tok backend.Token, data TokenData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[tok.Token]; !ok && len(c.entries) >= tokenCacheSize {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[tok.Token] = cachedToken{tok: tok, data: data, at: c.now()}
}

// drop forgets token.
func (c *tokenCache) drop(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, token)
}
