// Package approval is a document-approval workflow built on a hook: the run opens a hook whose
// token is derived from the document ("approval:RFC-7"), waits for reviewers' decisions sent
// to that token, and publishes the document once enough reviewers approved it. One rejection
// ends the review, and so does a wait for the next review that runs out of time.
//
// The payload type is bound to validation with workflow.DefineHook: the JSON Schema derived
// from Approval is stored with the hook's token, so every resume path (Client.ResumeHook, the
// HTTP resume endpoint of pkg/webhook) rejects a malformed decision before storing anything,
// and Hook.Resume also runs the Go check in Approval's Validate.
package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Name is the workflow's name, stored in every run's history: keep it stable.
const Name = "document-approval"

// Request is the workflow's input.
type Request struct {
	Document  string `json:"document"` // the document's ID; the hook's token is Token(Document)
	Title     string `json:"title"`
	Requester string `json:"requester"`
	// Approvals is how many different reviewers must approve; 0 means 1.
	Approvals int `json:"approvals,omitempty"`
	// Timeout bounds each wait for the next review; 0 waits for ever.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Approval is a reviewer's decision: the hook's payload.
type Approval struct {
	Approved bool   `json:"approved"`
	By       string `json:"by"`
	Comment  string `json:"comment,omitempty"`
}

// Outcomes of a review.
const (
	Approved = "approved"
	Rejected = "rejected"
	Expired  = "expired" // a wait for the next review timed out
)

// Decision is the workflow's output.
type Decision struct {
	Document string     `json:"document"`
	Outcome  string     `json:"outcome"` // Approved, Rejected or Expired
	Reviews  []Approval `json:"reviews"` // the reviews that counted, in the order they arrived
	// Publication is the publisher's reference for the document, when it was approved.
	Publication string `json:"publication,omitempty"`
}

// Metadata is stored with the hook (HookOptions.Metadata), for whoever lists open hooks to see
// what a token is waiting for; the workflow itself never reads it back.
type Metadata struct {
	Document  string `json:"document"`
	Title     string `json:"title"`
	Requester string `json:"requester"`
}

// Token returns the token of the hook that the run reviewing document waits on. It is derived
// from the document, so a reviewing tool can resume the run without knowing its ID.
func Token(document string) string { return "approval:" + document }

// Hook binds Approval to validation. Its schema (derived from Approval: "approved" and "by"
// are required, "approved" must be a boolean) is checked by every resume path; Hook.Resume
// also runs Validate in the caller's process.
var Hook = workflow.DefineHook(workflow.DefineHookOptions[Approval]{
	Validate: func(a Approval) error {
		if strings.TrimSpace(a.By) == "" {
			return errors.New("by: the reviewer's name is required")
		}
		return nil
	},
})

// Publisher publishes approved documents.
type Publisher interface {
	Publish(ctx context.Context, document string) (reference string, err error)
}

// New returns the approval workflow, publishing through p.
func New(p Publisher) *workflow.Workflow[Request, Decision] {
	return workflow.Define(Name, func(ctx workflow.Context, in Request) (Decision, error) {
		return review(ctx, p, in)
	})
}

func review(ctx workflow.Context, p Publisher, in Request) (Decision, error) {
	d := Decision{Document: in.Document}
	need := max(in.Approvals, 1)

	// A second run for a document under review fails here, with a *HookConflictError naming
	// the run that holds the token.
	hook, err := Hook.Create(ctx, workflow.HookOptions{
		Token:    Token(in.Document),
		Metadata: Metadata{Document: in.Document, Title: in.Title, Requester: in.Requester},
		Timeout:  in.Timeout,
	})
	if err != nil {
		return d, err
	}
	// Ending the run releases the token too; the explicit Dispose below releases it as soon as
	// the review is decided, before publishing.
	defer hook.Dispose(ctx)

	var approvers []string
	for d.Outcome == "" {
		a, err := hook.Receive(ctx)
		switch {
		case errors.Is(err, workflow.ErrTimeout):
			d.Outcome = Expired
			continue
		case err != nil:
			return d, err
		case !a.Approved:
			d.Outcome = Rejected
		case slices.Contains(approvers, a.By):
			continue // one approval per reviewer
		default:
			approvers = append(approvers, a.By)
			if len(approvers) == need {
				d.Outcome = Approved
			}
		}
		d.Reviews = append(d.Reviews, a)
	}
	if err := hook.Dispose(ctx); err != nil {
		return d, err
	}
	if d.Outcome != Approved {
		return d, nil
	}

	d.Publication, err = workflow.Step(ctx, "publish", func(ctx context.Context) (string, error) {
		return p.Publish(ctx, in.Document)
	})
	if err != nil {
		return d, fmt.Errorf("publishing %s: %w", in.Document, err)
	}
	return d, nil
}
