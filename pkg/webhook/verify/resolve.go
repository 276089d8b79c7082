package verify

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// DefaultCacheTTL is how long a CachingResolver keeps a value when given no TTL.
const DefaultCacheTTL = 5 * time.Minute

// SecretResolver turns a secret reference ("scheme:name", as in Spec.Secrets) into its value.
// Its errors name the reference, never a value.
type SecretResolver interface {
	Resolve(ctx context.Context, ref string) ([]byte, error)
}

// EnvResolver resolves "env:NAME" references from the process environment. A missing or empty
// variable is an error naming it; a reference of another scheme is an error saying which
// resolver it needs.
type EnvResolver struct {
	// Getenv reads a variable; nil means os.Getenv.
	Getenv func(string) string
}

// Resolve returns the value of the environment variable ref names.
func (e EnvResolver) Resolve(_ context.Context, ref string) ([]byte, error) {
	name, err := refName(ref, SchemeEnv)
	if err != nil {
		return nil, err
	}
	getenv := e.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	v := getenv(name)
	if v == "" {
		return nil, fmt.Errorf("verify: environment variable %s is unset or empty", name)
	}
	return []byte(v), nil
}

// refName is the name in ref, which must be of scheme want.
func refName(ref, want string) (string, error) {
	scheme, name, err := parseRef(ref)
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	if scheme != want {
		return "", fmt.Errorf("verify: %s:%s is a %s reference: it needs the %s resolver, not the %s one", scheme, name, scheme, scheme, want)
	}
	return name, nil
}

// MultiResolver dispatches a reference to the resolver of its scheme, e.g.
// MultiResolver{"env": EnvResolver{}, "ssm": SSMResolver{…}, "secretsmanager": SecretsManagerResolver{…}}.
// A scheme with no resolver is an error naming it.
type MultiResolver map[string]SecretResolver

// Resolve resolves ref with the resolver of its scheme.
func (m MultiResolver) Resolve(ctx context.Context, ref string) ([]byte, error) {
	scheme, name, err := parseRef(ref)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	r := m[scheme]
	if r == nil {
		return nil, fmt.Errorf("verify: no resolver for %s references (%s:%s)", scheme, scheme, name)
	}
	return r.Resolve(ctx, ref)
}

// CachingResolver wraps a resolver with a cache of the values it returns, each kept for a TTL.
// Errors are not cached: the next call asks again. Concurrent calls for a reference that is
// not cached share one call to the wrapped resolver (a waiting caller still honours its own
// context). It is safe for concurrent use.
type CachingResolver struct {
	next SecretResolver
	ttl  time.Duration
	now  func() time.Time

	mu       sync.Mutex
	entries  map[string]cacheEntry
	inflight map[string]*resolveCall
}

type cacheEntry struct {
	value   []byte
	expires time.Time
}

// resolveCall is a call to the wrapped resolver that other callers wait for.
type resolveCall struct {
	done  chan struct{}
	value []byte
	err   error
}

// NewCachingResolver wraps r with a cache whose values are kept for ttl (DefaultCacheTTL, 5
// minutes, when ttl <= 0), as measured by now (time.Now when nil).
func NewCachingResolver(r SecretResolver, ttl time.Duration, now func() time.Time) *CachingResolver {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	if now == nil {
		now = time.Now
	}
	return &CachingResolver{
		next:     r,
		ttl:      ttl,
		now:      now,
		entries:  map[string]cacheEntry{},
		inflight: map[string]*resolveCall{},
	}
}

// Resolve returns the cached value of ref while it is fresh, and otherwise resolves it with the
// wrapped resolver, caching a value and not an error. The slice returned is the caller's own.
func (c *CachingResolver) Resolve(ctx context.Context, ref string) ([]byte, error) {
	c.mu.Lock()
	if e, ok := c.entries[ref]; ok && c.now().Before(e.expires) {
		c.mu.Unlock()
		return clone(e.value), nil
	}
	call, waiting := c.inflight[ref]
	if !waiting {
		call = &resolveCall{done: make(chan struct{})}
		c.inflight[ref] = call
	}
	c.mu.Unlock()

	if waiting {
		select {
		case <-call.done:
			if call.err != nil {
				return nil, call.err
			}
			return clone(call.value), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}

	value, err := c.fetch(ctx, ref, call)
	if err != nil {
		return nil, err
	}
	return clone(value), nil
}

// fetch makes the shared call for ref, caches its value, and hands its outcome to the callers
// waiting for it, even if the wrapped resolver panics.
func (c *CachingResolver) fetch(ctx context.Context, ref string, call *resolveCall) (value []byte, err error) {
	returned := false
	defer func() {
		if !returned {
			value, err = nil, fmt.Errorf("verify: the resolver for %s panicked", ref)
		}
		c.mu.Lock()
		if err == nil {
			c.entries[ref] = cacheEntry{value: clone(value), expires: c.now().Add(c.ttl)}
		}
		delete(c.inflight, ref)
		c.mu.Unlock()
		call.value, call.err = value, err
		close(call.done)
	}()
	value, err = c.next.Resolve(ctx, ref)
	returned = true
	return value, err
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
