// Package admin is hookflow's operations API: list and read runs, their events, hooks and
// deliveries; start, resume, cancel and retry runs; send a stored delivery again. The CLI
// (cmd/hookflow), the web inspector and the dev server all use it.
//
// API is the operations as Go methods, with two implementations that behave alike: Local, on
// a workflow.Client (the dev server; a CLI reading DynamoDB directly), and Remote, a client of
// the same operations served as JSON over HTTP by NewHandler. Errors keep their meaning
// across HTTP: a Remote call fails with an error matching the same workflow sentinel
// (ErrRunNotFound, ErrInvalidArgument, ...) as the Local call would.
//
// The handler authenticates nobody: it can start, resume and cancel any run, so it is never
// public. The dev server binds it to the loopback address; on AWS it belongs behind IAM.
package admin

import (
	"context"
	"encoding/json"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Path is where NewHandler serves the API: Path+"/runs", Path+"/hooks", ...
const Path = "/.well-known/workflow/v1/admin"

// API is what an operator can do.
type API interface {
	// ListRuns returns a page of runs, newest first.
	ListRuns(ctx context.Context, f workflow.RunFilter) (workflow.RunPage, error)
	// GetRun returns a run, or an error matching workflow.ErrRunNotFound.
	GetRun(ctx context.Context, runID string) (workflow.RunInfo, error)
	// ListEvents returns a run's history.
	ListEvents(ctx context.Context, runID string) ([]workflow.Event, error)
	// ListDeliveries returns the payloads a run's hooks received.
	ListDeliveries(ctx context.Context, runID string) ([]workflow.Delivery, error)
	// ListHooks returns the live hooks of a run, or of every run.
	ListHooks(ctx context.Context, f workflow.HookFilter) ([]workflow.HookInfo, error)
	// Workflows returns the names of the workflows that can be started; empty when the API
	// does not know them (a Local API without a registry).
	Workflows(ctx context.Context) ([]string, error)
	// Start starts a run and returns its ID.
	Start(ctx context.Context, req StartRequest) (string, error)
	// Resume sends a payload to the hook holding a token.
	Resume(ctx context.Context, req ResumeRequest) (workflow.ResumeResult, error)
	// Cancel asks a run to stop.
	Cancel(ctx context.Context, runID string) error
	// Retry puts a stuck run back to work.
	Retry(ctx context.Context, runID string) error
	// Redeliver sends a delivery again: to its hook, or as the input of a new run.
	Redeliver(ctx context.Context, req RedeliverRequest) (RedeliverResult, error)
	// Export returns everything stored of a run: its record, its history and its live hooks.
	Export(ctx context.Context, runID string) (workflow.RunExport, error)
	// Delete deletes an ended run now, with its history (workflow.ErrRunNotEnded for a run
	// that has not ended).
	Delete(ctx context.Context, runID string) error
}

// StartRequest starts a run of Workflow with Input.
type StartRequest struct {
	Workflow string          `json:"workflow"`
	Input    json.RawMessage `json:"input,omitempty"` // JSON; empty: null
	RunID    string          `json:"runId,omitempty"` // an idempotent start (workflow.WithRunID)
}

// ResumeRequest resumes the hook holding Token with Payload.
type ResumeRequest struct {
	Token          string          `json:"token"`
	Payload        json.RawMessage `json:"payload"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
}

// RedeliverRequest sends delivery DeliveryID of run RunID again: to the hook that received
// it, or, when NewRunOf names a workflow, as the input of a new run of it.
type RedeliverRequest struct {
	RunID      string `json:"runId"`
	DeliveryID string `json:"deliveryId"`
	NewRunOf   string `json:"newRunOf,omitempty"`
}

// RedeliverResult is where a redelivery went: the run (new or the same) and, for a
// redelivery to the same hook, the new delivery's ID.
type RedeliverResult struct {
	RunID      string `json:"runId"`
	DeliveryID string `json:"deliveryId,omitempty"`
	NewRun     bool   `json:"newRun,omitempty"`
}
