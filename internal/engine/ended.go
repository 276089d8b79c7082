package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// cleanEnded drops what is left in the inbox of an ended run, so that it does not stay due
// for ever. Only a cancel request can normally land there (PutInbox checks that the run has
// not ended, but the check and the final commit can cross); a hook payload could only if the
// store were inconsistent, and its caller, when it waits for a manual webhook's answer, gets
// the webhook's fallback response from the run's history.
func (e *Engine) cleanEnded(ctx context.Context, run backend.Run) error {
	var fallbacks map[string]json.RawMessage // hook ID -> fallback of a manual webhook
	version := run.Version
	for {
		items, err := e.b.ListInbox(ctx, run.ID, IntakeItems)
		if err != nil || len(items) == 0 {
			return err
		}
		now := e.clock.Now().UTC()
		c := backend.Commit{
			RunID: run.ID, Version: version, Status: run.Status, Output: run.Output, Error: run.Error,
			DueAt: run.DueAt, Now: now, Failures: run.Failures, LastError: run.LastError,
		}
		for _, it := range items {
			c.DeleteInbox = append(c.DeleteInbox, it.ID)
			if it.Kind != backend.InboxHook || it.DeliveryID == "" {
				continue
			}
			if fallbacks == nil {
				if fallbacks, err = e.manualFallbacks(ctx, run.ID); err != nil {
					return err
				}
			}
			if fb, ok := fallbacks[it.HookID]; ok && len(c.PutResponses) < maxSideItems {
				c.PutResponses = append(c.PutResponses, backend.Response{
					DeliveryID: it.DeliveryID, Data: fb, CreatedAt: now, ExpiresAt: now.Add(ResponseTTL),
				})
			}
		}
		if err := e.b.Commit(ctx, c); err != nil {
			return err
		}
		version++
		e.logger.Info("dropped inbox items of an ended run", "run_id", run.ID, "status", string(run.Status), "items", len(items))
	}
}

// manualFallbacks reads the fallback responses of the run's manual webhooks from its history.
func (e *Engine) manualFallbacks(ctx context.Context, runID string) (map[string]json.RawMessage, error) {
	evs, err := e.b.ListEvents(ctx, runID, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	for _, ev := range evs {
		if ev.Type != EventHookCreated {
			continue
		}
		var d hookCreatedData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, fmt.Errorf("hookflow: run %s: corrupt %s event %d: %w", runID, ev.Type, ev.Seq, err)
		}
		if d.Manual {
			out[ev.CorrelationID] = d.Fallback
		}
	}
	return out, nil
}
