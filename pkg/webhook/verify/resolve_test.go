package verify_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

func TestEnvResolver(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GITHUB_WEBHOOK_SECRET": "gh-value", "EMPTY": ""}
	r := verify.EnvResolver{Getenv: func(k string) string { return env[k] }}
	ctx := context.Background()

	v, err := r.Resolve(ctx, "env:GITHUB_WEBHOOK_SECRET")
	require.NoError(t, err)
	require.Equal(t, []byte("gh-value"), v)

	_, err = r.Resolve(ctx, "env:MISSING")
	require.EqualError(t, err, "verify: environment variable MISSING is unset or empty")
	_, err = r.Resolve(ctx, "env:EMPTY")
	require.EqualError(t, err, "verify: environment variable EMPTY is unset or empty")

	_, err = r.Resolve(ctx, "ssm:/hookflow/x")
	require.EqualError(t, err, "verify: ssm:/hookflow/x is a ssm reference: it needs the ssm resolver, not the env one")
	_, err = r.Resolve(ctx, "secretsmanager:x")
	require.ErrorContains(t, err, "needs the secretsmanager resolver")
	_, err = r.Resolve(ctx, "GITHUB_WEBHOOK_SECRET")
	require.ErrorContains(t, err, "malformed secret reference")
}

// EnvResolver without Getenv reads the process environment. (Not parallel: it sets a variable.)
func TestEnvResolverProcessEnvironment(t *testing.T) {
	t.Setenv("HOOKFLOW_VERIFY_TEST_SECRET", "from-env")
	v, err := verify.EnvResolver{}.Resolve(context.Background(), "env:HOOKFLOW_VERIFY_TEST_SECRET")
	require.NoError(t, err)
	require.Equal(t, []byte("from-env"), v)
}

// resolverFunc adapts a function to SecretResolver.
type resolverFunc func(ctx context.Context, ref string) ([]byte, error)

func (f resolverFunc) Resolve(ctx context.Context, ref string) ([]byte, error) { return f(ctx, ref) }

func TestMultiResolver(t *testing.T) {
	t.Parallel()
	named := func(scheme string) verify.SecretResolver {
		return resolverFunc(func(_ context.Context, ref string) ([]byte, error) { return []byte(scheme + "|" + ref), nil })
	}
	m := verify.MultiResolver{"env": verify.EnvResolver{Getenv: func(string) string { return "e" }}, "ssm": named("ssm"), "secretsmanager": named("sm")}
	ctx := context.Background()

	v, err := m.Resolve(ctx, "env:X")
	require.NoError(t, err)
	require.Equal(t, []byte("e"), v)
	v, err = m.Resolve(ctx, "ssm:/a/b")
	require.NoError(t, err)
	require.Equal(t, []byte("ssm|ssm:/a/b"), v)
	v, err = m.Resolve(ctx, "secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:x")
	require.NoError(t, err)
	require.Equal(t, []byte("sm|secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:x"), v)

	_, err = verify.MultiResolver{"env": verify.EnvResolver{}}.Resolve(ctx, "ssm:/a")
	require.EqualError(t, err, "verify: no resolver for ssm references (ssm:/a)")
	_, err = m.Resolve(ctx, "vault:x")
	require.ErrorContains(t, err, `unknown scheme "vault"`)
	_, err = m.Resolve(ctx, "no-scheme")
	require.ErrorContains(t, err, "malformed secret reference")
}

// counting is a resolver that counts its calls and fails on demand.
type counting struct {
	calls atomic.Int64
	fail  atomic.Bool
	delay time.Duration
}

func (c *counting) Resolve(ctx context.Context, ref string) ([]byte, error) {
	n := c.calls.Add(1)
	if c.delay > 0 {
		select {
		case <-time.After(c.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.fail.Load() {
		return nil, errors.New("backend down")
	}
	return fmt.Appendf(nil, "%s#%d", ref, n), nil
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCachingResolverTTL(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: t0}
	next := &counting{}
	c := verify.NewCachingResolver(next, time.Minute, clock.Now)
	ctx := context.Background()

	v, err := c.Resolve(ctx, "env:A")
	require.NoError(t, err)
	require.Equal(t, "env:A#1", string(v))
	clock.Advance(59 * time.Second)
	v, err = c.Resolve(ctx, "env:A")
	require.NoError(t, err)
	require.Equal(t, "env:A#1", string(v), "fresh: from the cache")
	require.EqualValues(t, 1, next.calls.Load())

	v, err = c.Resolve(ctx, "env:B")
	require.NoError(t, err)
	require.Equal(t, "env:B#2", string(v), "each reference has its own entry")

	clock.Advance(time.Second)
	v, err = c.Resolve(ctx, "env:A")
	require.NoError(t, err)
	require.Equal(t, "env:A#3", string(v), "expired at the TTL: resolved again")

	v[0] = 'X' // the caller's copy
	v, err = c.Resolve(ctx, "env:A")
	require.NoError(t, err)
	require.Equal(t, "env:A#3", string(v))
}

func TestCachingResolverDefaultTTL(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: t0}
	next := &counting{}
	c := verify.NewCachingResolver(next, 0, clock.Now)
	ctx := context.Background()
	_, err := c.Resolve(ctx, "env:A")
	require.NoError(t, err)
	clock.Advance(verify.DefaultCacheTTL - time.Second)
	_, err = c.Resolve(ctx, "env:A")
	require.NoError(t, err)
	require.EqualValues(t, 1, next.calls.Load())
	clock.Advance(time.Second)
	_, err = c.Resolve(ctx, "env:A")
	require.NoError(t, err)
	require.EqualValues(t, 2, next.calls.Load())

	// A nil clock is time.Now.
	real := verify.NewCachingResolver(&counting{}, 0, nil)
	a, err := real.Resolve(ctx, "env:A")
	require.NoError(t, err)
	b, err := real.Resolve(ctx, "env:A")
	require.NoError(t, err)
	require.Equal(t, a, b)
}

func TestCachingResolverDoesNotCacheErrors(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: t0}
	next := &counting{}
	next.fail.Store(true)
	c := verify.NewCachingResolver(next, time.Minute, clock.Now)
	ctx := context.Background()

	_, err := c.Resolve(ctx, "env:A")
	require.EqualError(t, err, "backend down")
	_, err = c.Resolve(ctx, "env:A")
	require.EqualError(t, err, "backend down")
	require.EqualValues(t, 2, next.calls.Load(), "every call asks again")

	next.fail.Store(false)
	v, err := c.Resolve(ctx, "env:A")
	require.NoError(t, err)
	require.Equal(t, "env:A#3", string(v))
}

// Concurrent callers share one call per reference and all get its value; run under -race.
func TestCachingResolverConcurrent(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: t0}
	next := &counting{delay: 20 * time.Millisecond}
	c := verify.NewCachingResolver(next, time.Minute, clock.Now)
	ctx := context.Background()

	var wg sync.WaitGroup
	refs := []string{"env:A", "ssm:/b", "secretsmanager:c"}
	got := make([][]string, len(refs))
	for i := range refs {
		got[i] = make([]string, 50)
	}
	for i, ref := range refs {
		for j := range 50 {
			wg.Go(func() {
				v, err := c.Resolve(ctx, ref)
				if err != nil {
					got[i][j] = "error: " + err.Error()
					return
				}
				got[i][j] = string(v)
				if j%10 == 0 {
					clock.Advance(time.Millisecond)
				}
			})
		}
	}
	wg.Wait()
	for i, ref := range refs {
		for _, v := range got[i] {
			require.Contains(t, v, ref+"#")
			require.Equal(t, got[i][0], v, "one value per reference")
		}
	}
	require.EqualValues(t, len(refs), next.calls.Load(), "one call per reference")
}

// A caller waiting for another's call still honours its own context.
func TestCachingResolverWaiterContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{})
	next := resolverFunc(func(context.Context, string) ([]byte, error) {
		close(started)
		<-release
		return []byte("v"), nil
	})
	c := verify.NewCachingResolver(next, time.Minute, nil)

	done := make(chan error, 1)
	go func() { _, err := c.Resolve(context.Background(), "env:A"); done <- err }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Resolve(ctx, "env:A")
	require.ErrorIs(t, err, context.Canceled)
	close(release)
	require.NoError(t, <-done)
	v, err := c.Resolve(context.Background(), "env:A")
	require.NoError(t, err)
	require.Equal(t, []byte("v"), v)
}

// A resolver that panics does not leave waiters hanging, and nothing is cached.
func TestCachingResolverPanic(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	next := resolverFunc(func(context.Context, string) ([]byte, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return []byte("v"), nil
	})
	c := verify.NewCachingResolver(next, time.Minute, nil)
	require.Panics(t, func() { _, _ = c.Resolve(context.Background(), "env:A") })
	v, err := c.Resolve(context.Background(), "env:A")
	require.NoError(t, err)
	require.Equal(t, []byte("v"), v)
}

// The resolvers compose: a cache over a MultiResolver, feeding Verify.
func TestResolveThenVerify(t *testing.T) {
	t.Parallel()
	spec := verify.Spec{Kind: verify.KindGitHub, Secrets: []string{"env:NEW", "env:OLD"}}
	r := presets[0].base()
	signGitHub([]byte("old-value"), &r, t0)
	env := map[string]string{"NEW": "new-value", "OLD": "old-value"}
	resolver := verify.NewCachingResolver(verify.MultiResolver{
		"env": verify.EnvResolver{Getenv: func(k string) string { return env[k] }},
	}, 0, nil)
	var secrets [][]byte
	for _, ref := range spec.Secrets {
		v, err := resolver.Resolve(context.Background(), ref)
		require.NoError(t, err)
		secrets = append(secrets, v)
	}
	require.NoError(t, verify.Verify(spec, secrets, r, t0))
}
