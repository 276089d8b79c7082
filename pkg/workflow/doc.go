// Package workflow is hookflow's SDK: durable workflows in plain Go.
//
// # Workflows
//
// A workflow is a Go function whose progress survives crashes, deploys and long waits. Define
// it once, at package level, under a stable name:
//
//	var Onboard = workflow.Define("onboard", func(ctx workflow.Context, user User) (string, error) {
//		id, err := workflow.Step(ctx, "create-account", func(ctx context.Context) (string, error) {
//			return accounts.Create(ctx, user) // any I/O; the result is recorded
//		})
//		if err != nil {
//			return "", err
//		}
//		if err := workflow.Sleep(ctx, 3*24*time.Hour); err != nil { // costs nothing while it waits
//			return "", err
//		}
//		_, err = workflow.Step(ctx, "send-tips", func(ctx context.Context) (bool, error) {
//			return true, mail.SendTips(ctx, user.Email)
//		})
//		return id, err
//	})
//
// A Worker runs workflows; a Client starts them and reads their results:
//
//	b := memory.New() // or memory.Open("dev.db"), or the AWS backend
//	go workflow.NewWorker(b, workflow.NewRegistry(Onboard), workflow.WorkerOptions{}).Run(ctx)
//	c := workflow.NewClient(b, workflow.ClientOptions{})
//	run, err := workflow.Start(ctx, c, Onboard, user, workflow.WithRunID("onboard-"+user.ID))
//	id, err := run.Result(ctx)
//
// NewClient and NewWorker do not fail, but one made with an impossible combination (no
// backend, a BaseURL that is not an http(s) URL) reports it with Err, and every call on it
// returns that error.
//
// # How it works: history and replay
//
// Every run has an append-only history of events (run_created, step_completed,
// timer_created, timer_fired, ..., run_completed). A worker runs a run in turns. A turn runs
// the workflow function from the start and answers every durable call (Step, Sleep, ...) from
// the history, without doing it again, until the history is exhausted; then it does new work
// (runs the next step, fires a due timer), records it, and stops when the workflow waits. A run
// that waits is usually kept in memory, so its next turn continues where it stopped without
// replaying; replay is what makes that safe to lose.
//
// Several workers (or runner Lambdas) may share a backend. One at a time works on a run: it
// holds the run's lease while it turns it, the others acknowledge the run's wakes, and the
// holder looks for work once more after letting go, so a run receiving a stream of payloads
// costs a few turns, not one per payload (Worker.Stats counts them).
//
// So workflow code must be deterministic: given the same history it must make the same
// durable calls in the same order. Use workflow.Now, workflow.Rand, workflow.NewID and
// workflow.Go instead of time.Now, math/rand, uuid and the go statement, and do all I/O in
// steps. Logger drops its records during replay, so each line appears once. If a deploy
// changes the calls a run in flight makes (reordered, renamed or removed steps), the run fails
// with a *NonDeterminismError rather than doing the wrong thing; check a change before
// deploying it with ReplayHistory over recorded histories.
//
// # Steps
//
// Step runs a function with a real context.Context and records its JSON result. A step runs
// at least once and is recorded exactly once, so make its side effects idempotent. Quick steps
// in a row share a commit (WorkerOptions.CheckpointEvery, 1s): a crash re-runs the ones not yet
// committed. A failing
// step is retried: 3 retries by default (WithRetries), with exponential backoff from 1s
// (WithRetryDelay); RetryAfter picks the next delay, Fatal stops retrying, WithStepTimeout
// bounds each attempt. A step that fails for good gives the workflow a *StepError; its
// cause, read back from history, still matches this package's sentinel errors.
//
// StepAsync returns a Future instead, so a workflow can wait on several things: All waits for
// every one, Select for the first, in the order they became ready in the run's history.
//
// # Time
//
// Sleep, SleepUntil and Timer are durable: a 30-day Sleep holds no process and no goroutine
// while it waits. Now is the time of the latest history event the workflow has seen, so it is
// the same on every replay.
//
// # Coroutines
//
// Go starts a workflow coroutine. Coroutines of a run take turns, one at a time, in a fixed
// order; shared variables need no locks and replays interleave them the same way.
//
// # Hooks
//
// A hook pauses a workflow until outside code sends it a payload. CreateHook returns a hook
// with a token; whoever holds the token resumes it with Client.ResumeHook (or the resume HTTP
// endpoint of package webhook, or the resume Lambda on AWS):
//
//	hook, err := workflow.CreateHook[Approval](ctx, workflow.HookOptions{Timeout: 72 * time.Hour})
//	if err != nil {
//		return "", err
//	}
//	defer hook.Dispose(ctx)
//	notify(ctx, hook.Token()) // a step that sends the token to the approver
//	a, err := hook.Receive(ctx) // ErrTimeout after 72 hours
//
//	// elsewhere, in an HTTP handler:
//	res, err := client.ResumeHook(ctx, token, Approval{Approved: true}, workflow.WithIdempotencyKey(eventID))
//
// Tokens are random (130 bits) unless HookOptions.Token gives a custom one that the sender can
// rebuild, such as "slack:" + channelID. The token is claimed before CreateHook returns: if a
// live run holds it, CreateHook returns a *HookConflictError naming that run. Dispose (and the
// end of the run) releases it for other runs.
//
// A hook receives any number of payloads, first in, first out. Payloads that arrive while the
// workflow is busy are kept in the run's history until it receives them. Receive waits for
// the next one; All ranges over them; Next returns a future for Select, and a Next that
// loses a Select takes nothing, so no payload is ever lost to a race:
//
//	i, _ := workflow.Select(ctx, hook.Next(ctx), workflow.Timer(ctx, time.Hour))
//
// DefineHook binds a payload type to a JSON Schema (derived from the type, or given) that is
// stored with each hook, so every resume path rejects an invalid payload with a
// *ValidationError before anything is written, and to an optional Go Validate function that
// HookDefinition.Resume runs in the caller.
//
// # Webhooks
//
// CreateWebhook is a hook resumed by HTTP requests to its URL, ANY
// <BaseURL>/.well-known/workflow/v1/webhook/<token>, served by package webhook (and by the
// webhook Lambda on AWS). Its payloads are *Request values: method, full URL, headers, body,
// received time. The caller gets 202 Accepted once the request is stored durably, or the
// static WebhookOptions.RespondWith response, or, in Manual mode, what the workflow passes to
// Request.RespondWith, called directly in workflow code:
//
//	wh, _ := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true})
//	req, _ := wh.Receive(ctx)
//	var ev PushEvent
//	if err := req.JSON(&ev); err != nil {
//		return req.RespondWith(ctx, workflow.Response{Status: 400})
//	}
//	return req.RespondWith(ctx, workflow.JSONResponse(200, map[string]string{"queued": ev.Ref}))
//
// A manual caller is held until the response, or WebhookOptions.ResponseTimeout (25 s by
// default, at most 27 s), then gets the FallbackResponse (504 by default); requests the
// workflow will never answer (the webhook was disposed, the run ended) get the fallback at
// once. Unknown tokens, disposed webhooks, ended runs and plain hooks' tokens get 404 with an
// empty body; bodies over 256 KiB get 413; an Idempotency-Key header makes a retried delivery
// get the first response instead of a second delivery. Webhook tokens are always random.
// A stored request has no Authorization, Proxy-Authorization or Cookie header, nor, once a
// Verify spec checked it, its signature header; WebhookOptions.KeepHeaders keeps one.
//
// # Keeping and deleting data
//
// An ended run is deleted with its history after its retention: WorkerOptions.Retention (30
// days by default), or the workflow's own (Workflow.WithRetention; KeepForever keeps its
// runs). RunInfo.DeleteAt says when. Client.ExportRun returns a run's record and whole
// history to keep it first; Client.DeleteRun deletes an ended run at once, for a request to
// erase someone's data. Package codec wraps a backend so that every payload is stored
// compressed and encrypted (KMS envelope keys on AWS, a local keyring embedded).
//
// # Errors
//
// Sentinels match with errors.Is (ErrTimeout, ErrRunNotFound, ErrNonDeterminism, ...), typed
// errors with errors.As (*StepError, *NonDeterminismError, *HookConflictError,
// *ValidationError). Bad input (empty names, nil functions, values that do not serialize to
// JSON) gives an error matching ErrInvalidArgument and stores nothing. A workflow that
// panics fails its run with ErrWorkflowPanic and the stack. CancelRun stops a run at its next
// turn whatever it waits on; Result then returns ErrRunCancelled.
//
// # Changing code while runs wait
//
// A run replays its history on the code deployed now, so a change to the durable calls made
// before the point where runs wait (a step added before a hook, say) must not reach the runs
// that already passed it. Patched branches on it: runs recorded before the change get false
// and keep the old path, every other run gets true (and records a marker); DeprecatePatch
// retires the branch once the old runs are gone. ReplayHistory checks recorded histories
// against the new code before it ships.
//
//	if workflow.Patched(ctx, "audit") {
//		if _, err := workflow.Step(ctx, "audit", audit); err != nil {
//			return "", err
//		}
//	}
//
// # Testing
//
// Package workflowtest runs workflows on an in-memory backend with a fake clock:
//
//	env := workflowtest.New(t, Onboard)
//	run, _ := workflow.Start(ctx, env.Client(), Onboard, user)
//	env.AdvanceTime(3 * 24 * time.Hour) // the Sleep ends now
//	id, err := run.Result(ctx)
//
// workflowtest.NewWithOptions with ReplayEveryTurn replays the whole history on every turn,
// which proves a workflow deterministic.
package workflow
