package load

import (
	"encoding/json"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// registry holds the workflows of the load tests.
var registry = workflow.NewRegistry(collect, once, flood)

// item is a load payload: its index, and padding to give it weight.
type item struct {
	I   int    `json:"i"`
	Pad string `json:"pad,omitempty"`
}

// collectInput says where collect receives and how many payloads it waits for.
type collectInput struct {
	Token   string `json:"token,omitempty"` // a hook's custom token; empty: a webhook
	Webhook bool   `json:"webhook,omitempty"`
	Count   int    `json:"count"`
}

// collect receives Count payloads on one hook (or one 202 webhook) and returns their
// indexes in the order it saw them.
var collect = workflow.Define("load-collect", func(ctx workflow.Context, in collectInput) ([]int, error) {
	var got []int
	if in.Webhook {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
		if err != nil {
			return nil, err
		}
		for len(got) < in.Count {
			req, err := wh.Receive(ctx)
			if err != nil {
				return got, err
			}
			var it item
			if err := req.JSON(&it); err != nil {
				return got, err
			}
			got = append(got, it.I)
		}
		return got, nil
	}
	hook, err := workflow.CreateHook[item](ctx, workflow.HookOptions{Token: in.Token})
	if err != nil {
		return nil, err
	}
	for len(got) < in.Count {
		it, err := hook.Receive(ctx)
		if err != nil {
			return got, err
		}
		got = append(got, it.I)
	}
	return got, nil
})

// once receives one payload and returns its index.
var once = workflow.Define("load-once", func(ctx workflow.Context, token string) (int, error) {
	hook, err := workflow.CreateHook[item](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return 0, err
	}
	it, err := hook.Receive(ctx)
	return it.I, err
})

// floodInput sizes a flood.
type floodInput struct {
	Token string `json:"token"`
	Count int    `json:"count"`
}

// floodOutput is what a flood's workflow saw.
type floodOutput struct {
	Count    int   `json:"count"`
	Sum      int64 `json:"sum"`
	Distinct bool  `json:"distinct"`
}

// flood receives Count payloads in a loop (hook.All), summing their indexes and checking that
// none comes twice.
var flood = workflow.Define("load-flood", func(ctx workflow.Context, in floodInput) (floodOutput, error) {
	hook, err := workflow.CreateHook[item](ctx, workflow.HookOptions{Token: in.Token})
	if err != nil {
		return floodOutput{}, err
	}
	out := floodOutput{Distinct: true}
	seen := make([]bool, in.Count)
	for it, err := range hook.All(ctx) {
		if err != nil {
			return out, err
		}
		if it.I < 0 || it.I >= in.Count || seen[it.I] {
			out.Distinct = false
		} else {
			seen[it.I] = true
		}
		out.Count++
		out.Sum += int64(it.I)
		if out.Count == in.Count {
			break
		}
	}
	return out, nil
})

func decode(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }
