package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

type Approval struct {
	Approved bool   `json:"approved"`
	Comment  string `json:"comment"`
}

// onlyHook returns the token of the single open hook of a run.
func onlyHook(t *testing.T, env *workflowtest.Env, runID string) string {
	t.Helper()
	env.WaitIdle()
	hooks, err := env.Client().ListHooks(t.Context(), workflow.HookFilter{RunID: runID})
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	return hooks[0].Token
}

var approvalFlow = workflow.Define("approval", func(ctx workflow.Context, doc string) (string, error) {
	hook, err := workflow.CreateHook[Approval](ctx, workflow.HookOptions{Metadata: map[string]string{"doc": doc}})
	if err != nil {
		return "", err
	}
	defer hook.Dispose(ctx)
	a, err := hook.Receive(ctx)
	if err != nil {
		return "", err
	}
	if !a.Approved {
		return "rejected: " + a.Comment, nil
	}
	return "approved: " + a.Comment, nil
})

func TestScenarioHookResolvesOnResume(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		env := newEnv(approvalFlow)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, approvalFlow, "doc-7")
		require.NoError(t, err)
		token := onlyHook(t, env, run.ID())
		require.Len(t, token, 26, "a random token: 130 bits, base32")

		info, err := c.GetHookByToken(ctx, token)
		require.NoError(t, err)
		require.Equal(t, run.ID(), info.RunID)
		require.False(t, info.Webhook)
		require.JSONEq(t, `{"doc":"doc-7"}`, string(info.Metadata))
		require.Zero(t, info.Deliveries)

		res, err := c.ResumeHook(ctx, token, Approval{Approved: true, Comment: "ship it"})
		require.NoError(t, err)
		require.Equal(t, run.ID(), res.RunID)
		require.Equal(t, info.HookID, res.HookID)
		require.NotEmpty(t, res.DeliveryID)
		require.False(t, res.Duplicate)

		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "approved: ship it", out)
		require.Equal(t, []string{"run_created", "hook_created", "hook_received", "hook_disposed", "run_completed"}, env.EventTypes(run.ID()))
		_, err = c.GetHookByToken(ctx, token)
		require.ErrorIs(t, err, workflow.ErrHookNotFound, "the run disposed its hook")
		env.RequireReplay(approvalFlow, run.ID())
	})
}

var collect = workflow.Define("collect", func(ctx workflow.Context, _ struct{}) ([]int, error) {
	type value struct {
		Value int  `json:"value"`
		Done  bool `json:"done,omitempty"`
	}
	hook, err := workflow.CreateHook[value](ctx, workflow.HookOptions{})
	if err != nil {
		return nil, err
	}
	defer hook.Dispose(ctx)
	var values []int
	for v, err := range hook.All(ctx) {
		if err != nil {
			return nil, err
		}
		values = append(values, v.Value)
		if v.Done {
			break
		}
	}
	return values, nil
})

func TestScenarioSeveralPayloadsInOrderThroughAll(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		env := newEnv(collect)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, collect, struct{}{})
		require.NoError(t, err)
		token := onlyHook(t, env, run.ID())
		for i := 1; i <= 5; i++ {
			_, err := c.ResumeHook(ctx, token, map[string]any{"value": i * 10, "done": i == 5})
			require.NoError(t, err)
			env.WaitIdle() // each payload is received as it comes
		}
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, []int{10, 20, 30, 40, 50}, out)
		env.RequireReplay(collect, run.ID())
	})
}

func TestScenarioPayloadsBeforeTheAwaitAreBufferedFIFO(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		wf := workflow.Define("late-reader", func(ctx workflow.Context, _ struct{}) ([]string, error) {
			hook, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: "orders:" + workflow.RunID(ctx)})
			if err != nil {
				return nil, err
			}
			if err := workflow.Sleep(ctx, time.Hour); err != nil { // payloads arrive meanwhile
				return nil, err
			}
			var got []string
			for range 3 {
				s, err := hook.Receive(ctx)
				if err != nil {
					return nil, err
				}
				got = append(got, s)
			}
			return got, nil
		})
		env := newEnv(wf)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, wf, struct{}{}, workflow.WithRunID("r-late"))
		require.NoError(t, err)
		env.WaitIdle()
		for _, s := range []string{"first", "second", "third"} {
			_, err := c.ResumeHook(ctx, "orders:r-late", s)
			require.NoError(t, err)
			env.AdvanceTime(time.Minute)
		}
		require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))
		info, err := c.GetHookByToken(ctx, "orders:r-late")
		require.NoError(t, err)
		require.Equal(t, 3, info.Deliveries)
		env.AdvanceTime(time.Hour)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"first", "second", "third"}, out)
		require.Equal(t, []string{
			"run_created", "hook_created", "timer_created",
			"hook_received", "hook_received", "hook_received", "timer_fired", "run_completed",
		}, env.EventTypes(run.ID()))
		env.RequireReplay(wf, run.ID())
	})
}

type SlackMessage struct {
	User string `json:"user"`
	Text string `json:"text"`
}

// channelBot follows the Workflow DevKit's Slack example: one run per channel, resumed by a
// token the Slack handler can rebuild from the channel ID.
func channelBot(processed *sync.Map) *workflow.Workflow[string, int] {
	return workflow.Define("slack-channel-bot", func(ctx workflow.Context, channel string) (int, error) {
		hook, err := workflow.CreateHook[SlackMessage](ctx, workflow.HookOptions{Token: "slack_messages:" + channel})
		if err != nil {
			return 0, err
		}
		defer hook.Dispose(ctx)
		n := 0
		for msg, err := range hook.All(ctx) {
			if err != nil {
				return n, err
			}
			if msg.Text == "/stop" {
				break
			}
			if _, err := workflow.Step(ctx, "process", func(context.Context) (bool, error) {
				processed.Store(channel+"/"+msg.Text, true)
				return true, nil
			}); err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	})
}

func TestScenarioCustomTokenAcrossRuns(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		var processed sync.Map
		bot := channelBot(&processed)
		env := newEnv(bot)
		ctx, c := t.Context(), env.Client()
		send := func(channel, text string) error {
			_, err := c.ResumeHook(ctx, "slack_messages:"+channel, SlackMessage{User: "ada", Text: text})
			return err
		}

		first, err := workflow.Start(ctx, c, bot, "C123")
		require.NoError(t, err)
		env.WaitIdle()
		require.NoError(t, send("C123", "hello"))
		require.NoError(t, send("C123", "deploy"))
		require.NoError(t, send("C123", "/stop"))
		n, err := first.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.ErrorIs(t, send("C123", "anyone?"), workflow.ErrHookNotFound, "the run ended and released the token")

		second, err := workflow.Start(ctx, c, bot, "C123") // a new run claims the same token
		require.NoError(t, err)
		env.WaitIdle()
		require.NoError(t, send("C123", "back again"))
		require.NoError(t, send("C123", "/stop"))
		n, err = second.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		for _, k := range []string{"C123/hello", "C123/deploy", "C123/back again"} {
			_, ok := processed.Load(k)
			require.True(t, ok, k)
		}
		env.RequireReplay(bot, first.ID())
		env.RequireReplay(bot, second.ID())
	})
}

func TestScenarioSecondRunOnALiveTokenConflicts(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		var processed sync.Map
		bot := channelBot(&processed)
		env := newEnv(bot)
		ctx, c := t.Context(), env.Client()
		first, err := workflow.Start(ctx, c, bot, "C9")
		require.NoError(t, err)
		env.WaitIdle()

		second, err := workflow.Start(ctx, c, bot, "C9")
		require.NoError(t, err)
		_, err = second.Result(ctx)
		var conflict *workflow.HookConflictError
		require.ErrorAs(t, err, &conflict, "CreateHook fails at once, not at the next await")
		require.Equal(t, first.ID(), conflict.RunID)
		require.Equal(t, "slack_messages:C9", conflict.Token)
		require.Equal(t, []string{"run_created", "hook_conflict", "run_failed"}, env.EventTypes(second.ID()))
		env.RequireReplay(bot, second.ID())

		info, err := c.GetHookByToken(ctx, "slack_messages:C9")
		require.NoError(t, err)
		require.Equal(t, first.ID(), info.RunID, "the first run keeps its token")
	})
}

var handoff = workflow.Define("handoff", func(ctx workflow.Context, channel string) (string, error) {
	hook, err := workflow.CreateHook[SlackMessage](ctx, workflow.HookOptions{Token: "channel:" + channel})
	if err != nil {
		return "", err
	}
	msg, err := hook.Receive(ctx)
	if err != nil {
		return "", err
	}
	if err := hook.Dispose(ctx); err != nil { // released now; the run goes on
		return "", err
	}
	if err := hook.Dispose(ctx); err != nil { // idempotent
		return "", err
	}
	if _, err := hook.Receive(ctx); !errors.Is(err, workflow.ErrHookDisposed) {
		return "", fmt.Errorf("receive after dispose: %v", err)
	}
	if err := workflow.Sleep(ctx, time.Hour); err != nil {
		return "", err
	}
	return "handed off after " + msg.Text, nil
})

func TestScenarioTokenReusableAfterDisposeWhileRunContinues(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		env := newEnv(handoff)
		ctx, c := t.Context(), env.Client()
		first, err := workflow.Start(ctx, c, handoff, "C1")
		require.NoError(t, err)
		env.WaitIdle()
		_, err = c.ResumeHook(ctx, "channel:C1", SlackMessage{Text: "over to you"})
		require.NoError(t, err)
		env.WaitIdle()
		require.Equal(t, workflow.StatusWaiting, env.Status(first.ID()), "the first run sleeps on")

		_, err = c.ResumeHook(ctx, "channel:C1", SlackMessage{Text: "too late"})
		require.ErrorIs(t, err, workflow.ErrHookNotFound, "resume after dispose")

		second, err := workflow.Start(ctx, c, handoff, "C1")
		require.NoError(t, err)
		env.WaitIdle()
		info, err := c.GetHookByToken(ctx, "channel:C1")
		require.NoError(t, err)
		require.Equal(t, second.ID(), info.RunID, "the second run holds the token while the first still runs")

		env.AdvanceTime(time.Hour)
		out, err := first.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "handed off after over to you", out)
		env.RequireReplay(handoff, first.ID())
		require.NoError(t, c.CancelRun(ctx, second.ID()))
		env.WaitIdle()
		_, err = c.GetHookByToken(ctx, "channel:C1")
		require.ErrorIs(t, err, workflow.ErrHookNotFound, "a cancelled run releases its hooks")
	})
}

func TestScenarioSelectNextAgainstTimerLosesNothing(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		wf := workflow.Define("poll-or-tick", func(ctx workflow.Context, rounds int) ([]string, error) {
			hook, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: "ticker"})
			if err != nil {
				return nil, err
			}
			var log []string
			for range rounds {
				next := hook.Next(ctx)
				i, err := workflow.Select(ctx, next, workflow.Timer(ctx, time.Minute))
				if err != nil {
					return nil, err
				}
				if i == 1 {
					log = append(log, "tick")
					continue
				}
				s, err := next.Get(ctx)
				if err != nil {
					return nil, err
				}
				log = append(log, s)
			}
			return log, nil
		})
		env := newEnv(wf)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, wf, 4)
		require.NoError(t, err)
		env.WaitIdle()
		env.AdvanceTime(time.Minute) // round 1: the timer wins; its Next took nothing
		_, err = c.ResumeHook(ctx, "ticker", "a")
		require.NoError(t, err)
		env.WaitIdle() // round 2: "a"
		_, err = c.ResumeHook(ctx, "ticker", "b")
		require.NoError(t, err)
		_, err = c.ResumeHook(ctx, "ticker", "c")
		require.NoError(t, err)
		env.WaitIdle() // rounds 3 and 4: "b" then "c", none lost to the timers they raced
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"tick", "a", "b", "c"}, out)
		env.RequireReplay(wf, run.ID())
	})
}

func TestScenarioReceiveTimeout(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		wf := workflow.Define("approve-or-expire", func(ctx workflow.Context, _ struct{}) (string, error) {
			hook, err := workflow.CreateHook[Approval](ctx, workflow.HookOptions{Timeout: 24 * time.Hour})
			if err != nil {
				return "", err
			}
			first, err := hook.Receive(ctx)
			if err != nil {
				return "", err
			}
			_, err = hook.Receive(ctx) // nobody sends a second one
			if errors.Is(err, workflow.ErrTimeout) {
				return "first: " + first.Comment + "; then expired", nil
			}
			return "", fmt.Errorf("want ErrTimeout, got %v", err)
		})
		env := newEnv(wf)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, wf, struct{}{})
		require.NoError(t, err)
		token := onlyHook(t, env, run.ID())
		env.AdvanceTime(23 * time.Hour)
		_, err = c.ResumeHook(ctx, token, Approval{Approved: true, Comment: "just in time"})
		require.NoError(t, err)
		env.AdvanceTime(23 * time.Hour) // the first receive's timer was cancelled: no wake-up here
		require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))
		env.AdvanceTime(time.Hour)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "first: just in time; then expired", out)
		require.Equal(t, []string{
			"run_created", "hook_created", "timer_created", "hook_received",
			"timer_created", "timer_fired", "hook_timed_out", "run_completed",
		}, env.EventTypes(run.ID()))
		env.RequireReplay(wf, run.ID())
	})
}

type Refund struct {
	OrderID string `json:"orderId"`
	Cents   int    `json:"cents"`
	Reason  string `json:"reason,omitempty"`
}

var refundHook = workflow.DefineHook(workflow.DefineHookOptions[Refund]{
	Validate: func(r Refund) error {
		if r.Cents <= 0 {
			return fmt.Errorf("cents must be positive, got %d", r.Cents)
		}
		return nil
	},
})

var refunds = workflow.Define("refunds", func(ctx workflow.Context, order string) (int, error) {
	hook, err := refundHook.Create(ctx, workflow.HookOptions{Token: "refund:" + order})
	if err != nil {
		return 0, err
	}
	r, err := hook.Receive(ctx)
	return r.Cents, err
})

func TestScenarioDefineHookRejectsInvalidPayloads(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, refunds)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, refunds, "o-1")
	require.NoError(t, err)
	env.WaitIdle()
	before := env.EventTypes(run.ID())

	// The schema derived from Refund (stored with the token) is checked in every resume path.
	_, err = c.ResumeHook(ctx, "refund:o-1", map[string]any{"orderId": 7})
	var invalid *workflow.ValidationError
	require.ErrorAs(t, err, &invalid)
	require.GreaterOrEqual(t, len(invalid.Issues), 2, "%v", invalid.Issues)
	joined := fmt.Sprint(invalid.Issues)
	require.Contains(t, joined, "cents", "the missing field is named")
	require.Contains(t, joined, "/orderId", "the wrong type is located")

	// The definition's Go Validate runs in the caller.
	_, err = refundHook.Resume(ctx, c, "refund:o-1", Refund{OrderID: "o-1", Cents: -5})
	require.ErrorAs(t, err, &invalid)
	require.Equal(t, []string{"cents must be positive, got -5"}, invalid.Issues)

	info, err := c.GetHookByToken(ctx, "refund:o-1")
	require.NoError(t, err)
	require.Zero(t, info.Deliveries, "nothing was stored")
	env.WaitIdle()
	require.Equal(t, before, env.EventTypes(run.ID()))

	_, err = refundHook.Resume(ctx, c, "refund:o-1", Refund{OrderID: "o-1", Cents: 1250})
	require.NoError(t, err)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, 1250, out)
}

func TestScenarioIdempotentResumeReturnsDuplicate(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, collect)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, collect, struct{}{})
	require.NoError(t, err)
	token := onlyHook(t, env, run.ID())
	first, err := c.ResumeHook(ctx, token, map[string]any{"value": 1}, workflow.WithIdempotencyKey("evt-1"))
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	for range 3 {
		again, err := c.ResumeHook(ctx, token, map[string]any{"value": 1}, workflow.WithIdempotencyKey("evt-1"))
		require.NoError(t, err)
		require.True(t, again.Duplicate)
		again.Duplicate = false
		require.Equal(t, first, again, "a retry gets the first result")
	}
	_, err = c.ResumeHook(ctx, token, map[string]any{"value": 2, "done": true}, workflow.WithIdempotencyKey("evt-2"))
	require.NoError(t, err)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, out, "the retried payload was delivered once")

	late, err := c.ResumeHook(ctx, token, map[string]any{"value": 1}, workflow.WithIdempotencyKey("evt-1"))
	require.NoError(t, err, "a retry after the run ended still gets the first result")
	require.True(t, late.Duplicate)
	late.Duplicate = false
	require.Equal(t, first, late)
	_, err = c.ResumeHook(ctx, token, map[string]any{"value": 3}, workflow.WithIdempotencyKey("evt-3"))
	require.ErrorIs(t, err, workflow.ErrHookNotFound, "a new key after the run ended is refused")
}

func TestScenarioConcurrentResumesDeliveredExactlyOnce(t *testing.T) {
	t.Parallel()
	const n = 100
	wf := workflow.Define("fan-in", func(ctx workflow.Context, _ struct{}) ([]int, error) {
		hook, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: "fan-in"})
		if err != nil {
			return nil, err
		}
		var got []int
		for range n {
			v, err := hook.Receive(ctx)
			if err != nil {
				return nil, err
			}
			got = append(got, v)
		}
		return got, nil
	})
	env := workflowtest.New(t, wf)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, wf, struct{}{})
	require.NoError(t, err)
	env.WaitIdle()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = c.ResumeHook(ctx, "fan-in", i, workflow.WithIdempotencyKey(fmt.Sprint("k", i%n)))
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	out, err := run.Result(ctx)
	require.NoError(t, err)
	slices.Sort(out)
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	require.Equal(t, want, out)
	received := 0
	for _, typ := range env.EventTypes(run.ID()) {
		if typ == "hook_received" {
			received++
		}
	}
	require.Equal(t, n, received)
}

func TestResumeBadInput(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, approvalFlow)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, approvalFlow, "d")
	require.NoError(t, err)
	token := onlyHook(t, env, run.ID())

	_, err = c.ResumeHook(ctx, "", Approval{})
	require.ErrorIs(t, err, workflow.ErrHookNotFound)
	_, err = c.ResumeHook(ctx, "no-such-token", Approval{})
	require.ErrorIs(t, err, workflow.ErrHookNotFound)
	_, err = c.ResumeHook(ctx, token, func() {})
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	_, err = c.ResumeHook(ctx, token, string(make([]byte, workflow.DefaultMaxPayloadBytes)))
	require.ErrorIs(t, err, workflow.ErrPayloadTooLarge)
	info, err := c.GetHookByToken(ctx, token)
	require.NoError(t, err)
	require.Zero(t, info.Deliveries)
	_, err = c.GetHookByToken(ctx, "")
	require.ErrorIs(t, err, workflow.ErrHookNotFound)
}

func TestBadHookOptions(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("bad-hooks", func(ctx workflow.Context, _ struct{}) ([]string, error) {
		var errs []string
		note := func(err error) { errs = append(errs, fmt.Sprint(err)) }
		_, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: "has space"})
		note(err)
		_, err = workflow.CreateHook[int](ctx, workflow.HookOptions{Token: string(make([]byte, 600))})
		note(err)
		_, err = workflow.CreateHook[int](ctx, workflow.HookOptions{Timeout: -time.Second})
		note(err)
		_, err = workflow.CreateHook[int](ctx, workflow.HookOptions{Metadata: func() {}})
		note(err)
		_, err = workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true, RespondWith: &workflow.Response{Status: 200}})
		note(err)
		_, err = workflow.CreateWebhook(ctx, workflow.WebhookOptions{RespondWith: &workflow.Response{Status: 42}})
		note(err)
		_, err = workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true, ResponseTimeout: time.Minute})
		note(err)
		var nilHook *workflow.Hook[int]
		_, err = nilHook.Receive(ctx)
		note(err)
		note(nilHook.Dispose(ctx))
		return errs, nil
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Len(t, out, 9)
	for i, want := range []string{
		"contains a space", "more than 512", "timeout -1s is negative", "metadata is not serializable",
		"not both", "status 42 is not an HTTP status", "not between 0 and 27s", "nil hook", "<nil>",
	} {
		require.Contains(t, out[i], want)
	}
	require.Empty(t, env.OpenHooks(), "no bad hook was created")
	require.Equal(t, []string{"run_created", "run_completed"}, env.EventTypes(run.ID()))
}
