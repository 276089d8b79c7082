package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// A run waits on a hook with a custom token; the operator finds it with `hooks ls`, resumes
// it (once more with the same idempotency key, which delivers nothing), reads the delivery,
// and sends it again to the same hook, which completes the run with both payloads.
func TestHookStory(t *testing.T) {
	t.Parallel()
	_, c := setup(t)

	out := c.ok("start", "collect-hook", "--input", `{"token":"t1","count":2}`)
	runID := trimLine(out)
	require.Regexp(t, `^run_[A-Z0-9]+$`, runID)
	h := singleHook(c, runID)
	require.Equal(t, "t1", h.Token)
	require.False(t, h.Webhook)

	ls := c.ok("hooks", "ls")
	require.Contains(t, ls, "TOKEN OR URL")
	require.Regexp(t, `t1\s+hook\s+`+runID+`\s+\d+s\s+0\s+0`, ls)

	res := okJSON[workflow.ResumeResult](c, "resume", "t1", "--data", `{"n":1}`, "--idempotency-key", "k1")
	require.Equal(t, runID, res.RunID)
	require.NotEmpty(t, res.DeliveryID)
	require.False(t, res.Duplicate)
	again := c.ok("resume", "t1", "--data", `{"n":1}`, "--idempotency-key", "k1")
	require.Contains(t, again, `already delivered with idempotency key "k1": run `+runID+", delivery "+res.DeliveryID)

	ds := okJSON[struct {
		Deliveries []workflow.Delivery `json:"deliveries"`
	}](c, "deliveries", runID).Deliveries
	require.Len(t, ds, 1)
	require.Equal(t, res.DeliveryID, ds[0].ID)
	require.JSONEq(t, `{"n":1}`, string(ds[0].Payload))
	plain := c.ok("deliveries", runID)
	require.Contains(t, plain, "delivery "+res.DeliveryID+"  hook (hook "+ds[0].HookID+")")
	require.Contains(t, plain, `"n": 1`)

	red := okJSON[admin.RedeliverResult](c, "redeliver", runID, res.DeliveryID)
	require.Equal(t, runID, red.RunID)
	require.False(t, red.NewRun)
	require.NotEqual(t, res.DeliveryID, red.DeliveryID)
	info := waitStatus(c, runID, workflow.StatusCompleted)
	require.JSONEq(t, `[{"n":1},{"n":1}]`, string(info.Output))

	show := c.ok("runs", "show", runID)
	for _, want := range []string{
		"run       " + runID, "workflow  collect-hook", "status    completed", `output    [{"n":1},{"n":1}]`,
		"timeline", "run_created", `collect-hook input={"token":"t1","count":2}`,
		"hook_created   hook token=t1",
		"hook_received  delivery " + res.DeliveryID + ` payload={"n":1}`,
		"hook_received  delivery " + red.DeliveryID,
		"hook_disposed  hook token=t1 released",
		`run_completed  output=[{"n":1},{"n":1}]`,
	} {
		require.Contains(t, show, want)
	}
	require.NotContains(t, show, "pending hooks", "the hook was disposed")

	events := okJSON[struct {
		Events []workflow.Event `json:"events"`
	}](c, "events", runID).Events
	require.Equal(t, "run_created", events[0].Type)
	require.Equal(t, "run_completed", events[len(events)-1].Type)
	plainEvents := c.ok("events", runID)
	require.Contains(t, plainEvents, "SEQ  TIME")
	require.Contains(t, plainEvents, `"deliveryId":"`+red.DeliveryID+`"`)

	// Redelivering to a hook that is gone: not found, with what to do.
	c.fails(3, []string{"redeliver", runID, res.DeliveryID}, "hook not found", "hookflow hooks ls")
	c.fails(3, []string{"resume", "t1", "--data", "1"}, "hook not found")
}

// A hook with a schema refuses a payload that does not match it: exit 2, with the issues; a
// payload from a file (@path) and from stdin (@-) are read as JSON.
func TestResumeValidatesAndReadsFiles(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	runID := trimLine(c.ok("start", "document-approval", "--input", `{"document":"RFC-1","title":"t","requester":"ada","approvals":2}`))
	singleHook(c, runID)

	r := c.fails(2, []string{"resume", "approval:RFC-1", "--data", `{"approved":"yes"}`}, "the hook's schema refused the payload")
	require.Empty(t, r.stdout)

	file := t.TempDir() + "/verdict.json"
	require.NoError(t, writeFile(file, `{"approved":true,"by":"grace"}`))
	require.Contains(t, c.ok("resume", "approval:RFC-1", "--data", "@"+file), "delivered to run "+runID)
	r = c.runIn(`{"approved":true,"by":"linus"}`, "resume", "approval:RFC-1", "--data", "@-", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var res workflow.ResumeResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	require.Equal(t, runID, res.RunID)
	info := waitStatus(c, runID, workflow.StatusCompleted)
	require.Contains(t, compactJSON(info.Output), `"outcome":"approved"`)

	c.fails(2, []string{"resume", "approval:RFC-2", "--data", "@" + file + ".missing"}, "--data @"+file+".missing")
}
