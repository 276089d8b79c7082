package hot

import (
	"context"
	"encoding/json"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// registry holds the workflows of the hot-run tests.
var registry = workflow.NewRegistry(stream)

// streamInput says how many requests the stream workflow takes before it returns.
type streamInput struct {
	Count int `json:"count"`
}

// streamOutput is what the stream workflow saw.
type streamOutput struct {
	Count int `json:"count"`
	Bytes int `json:"bytes"`
}

// delivery is the body senders post: who sent it and its number, padded to weigh 1 KiB.
type delivery struct {
	Sender int    `json:"sender"`
	N      int    `json:"n"`
	Pad    string `json:"pad"`
}

// stream is a channel bot in miniature: a webhook that receives in a loop, with a small step
// per request (the work a bot would do for it), until Count requests have come.
var stream = workflow.Define("hot-stream", func(ctx workflow.Context, in streamInput) (streamOutput, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return streamOutput{}, err
	}
	var out streamOutput
	for out.Count < in.Count {
		req, err := wh.Receive(ctx)
		if err != nil {
			return out, err
		}
		n, err := workflow.Step(ctx, "handle", func(context.Context) (int, error) {
			var d delivery
			if err := json.Unmarshal(req.Body, &d); err != nil {
				return 0, workflow.Fatal(err)
			}
			return len(req.Body), nil
		})
		if err != nil {
			return out, err
		}
		out.Count++
		out.Bytes += n
	}
	return out, nil
})
