package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Response polling: start fast, for workflows that answer at once, and back off so that a
// caller held for 25 s costs a bounded number of reads (about 260 on DynamoDB).
const (
	firstPoll = time.Millisecond
	maxPoll   = 100 * time.Millisecond
	// fallbackMargin is kept before the context's deadline to send the fallback response.
	fallbackMargin = time.Second
)

// answer is the response a delivery's caller gets: 202, the static response, or in manual
// mode the workflow's (waiting for it, unless the webhook has closed: then whatever is
// stored, or the fallback).
func (c *Client) answer(ctx context.Context, deliveryID string, cfg *WebhookConfig, closed bool) (Response, error) {
	switch {
	case cfg == nil:
		return accepted, nil
	case cfg.Manual:
		wait := *cfg
		if closed {
			wait.ResponseTimeout = 0
		}
		return c.awaitResponse(ctx, deliveryID, &wait)
	case cfg.Static != nil:
		return *cfg.Static, nil
	default:
		return accepted, nil
	}
}

// awaitResponse polls the response record of a manual webhook delivery until it appears or
// the webhook's ResponseTimeout passes, then returns the fallback.
func (c *Client) awaitResponse(ctx context.Context, deliveryID string, cfg *WebhookConfig) (Response, error) {
	deadline := time.Now().Add(cfg.ResponseTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-fallbackMargin).Before(deadline) {
		// The caller's context (a Lambda's deadline) ends first: leave time to send the fallback.
		deadline = dl.Add(-fallbackMargin)
	}
	wait := firstPoll
	for {
		if c.poll != nil {
			c.poll()
		}
		rec, err := c.b.GetResponse(ctx, deliveryID)
		if err == nil {
			var resp Response
			if err := json.Unmarshal(rec.Data, &resp); err != nil {
				return Response{}, fmt.Errorf("hookflow: response of delivery %s is corrupt: %w", deliveryID, err)
			}
			return resp, nil
		}
		if !errors.Is(err, backend.ErrResponseNotFound) {
			return Response{}, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return *cfg.Fallback, nil
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return Response{}, ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, maxPoll)
	}
}
