// Package deploy is a GitHub-style deploy webhook: a workflow that opens a webhook, takes the
// events GitHub (or anything speaking its dialect) posts to the webhook's URL, answers each
// caller from the workflow itself, and deploys the first push to the watched branch.
//
// The webhook checks GitHub's signature in the route (the verify.KindGitHub preset), so a
// forged or unsigned request gets 401 before anything is stored and never reaches the
// workflow, and GitHub's redeliveries (same X-GitHub-Delivery) reach it once. Every request
// that does is answered manually by Request.RespondWith, called directly in workflow code,
// with a response computed from the request (a push to another branch 200 "ignored", the push
// that deploys 202 with the deployment's ID). The deployment itself is a step that runs after
// the caller has its answer.
package deploy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Name is the workflow's name, stored in every run's history: keep it stable.
const Name = "github-deploy"

// Input is what a run watches for, and where it deploys.
type Input struct {
	Repo        string `json:"repo"`        // "octo-org/shop"
	Branch      string `json:"branch"`      // the branch whose pushes deploy, e.g. "main"
	Environment string `json:"environment"` // e.g. "production"
}

// PushEvent is the part of GitHub's push event payload the workflow reads.
type PushEvent struct {
	Ref        string `json:"ref"`   // "refs/heads/main"
	After      string `json:"after"` // the pushed head commit
	Deleted    bool   `json:"deleted,omitempty"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Pusher struct {
		Name string `json:"name"`
	} `json:"pusher"`
}

// Ack is the JSON body of every answer the workflow gives a caller.
type Ack struct {
	Status      string `json:"status"` // "queued", "ignored", "pong" or "error"
	Reason      string `json:"reason,omitempty"`
	Deployment  string `json:"deployment,omitempty"`
	Commit      string `json:"commit,omitempty"`
	Environment string `json:"environment,omitempty"`
}

// Result is the workflow's output.
type Result struct {
	Deployment  string `json:"deployment"`
	Repo        string `json:"repo"`
	Commit      string `json:"commit"`
	Pusher      string `json:"pusher"`
	Environment string `json:"environment"`
	URL         string `json:"url"`     // where the deployment is live
	Ignored     int    `json:"ignored"` // requests answered without deploying
}

// Deployer deploys a commit of a repository to an environment.
type Deployer interface {
	Deploy(ctx context.Context, environment, repo, commit string) (url string, err error)
}

// Config is what the workflow is bound to.
type Config struct {
	// Secret names the webhook secret GitHub signs requests with, as a reference the route
	// resolves: "env:GITHUB_WEBHOOK_SECRET", or on AWS "ssm:/name" or "secretsmanager:name".
	// Empty accepts unsigned requests (for local experiments only).
	Secret   string
	Deployer Deployer
}

// Headers GitHub sends.
const (
	EventHeader     = "X-GitHub-Event"
	SignatureHeader = "X-Hub-Signature-256"
	DeliveryHeader  = "X-GitHub-Delivery"
)

// DeploymentHeader names the deployment in the answer to the push that deploys.
const DeploymentHeader = "X-Deployment-Id"

// Sign returns the X-Hub-Signature-256 value GitHub sends with body under secret: "sha256="
// and the hex HMAC-SHA256 of the body. The route checks it; tests and the demo sign with it.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// New returns the deploy workflow bound to cfg.
func New(cfg Config) *workflow.Workflow[Input, Result] {
	return workflow.Define(Name, func(ctx workflow.Context, in Input) (Result, error) {
		return watch(ctx, cfg, in)
	})
}

func watch(ctx workflow.Context, cfg Config, in Input) (Result, error) {
	res := Result{Repo: in.Repo, Environment: in.Environment}
	var signed *verify.Spec
	if cfg.Secret != "" {
		// Checked in the route, before the request is stored; the preset also makes
		// X-GitHub-Delivery the request's idempotency key, so a redelivery arrives once.
		signed = &verify.Spec{Kind: verify.KindGitHub, Secrets: []string{cfg.Secret}}
	}
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
		Verify:          signed,
		Manual:          true,
		ResponseTimeout: 10 * time.Second,
		// Sent if the workflow has not answered within ResponseTimeout, or never will.
		FallbackResponse: &workflow.Response{
			Status: http.StatusServiceUnavailable,
			Header: http.Header{"Retry-After": {"5"}},
		},
	})
	if err != nil {
		return res, err
	}
	defer wh.Dispose(ctx) // later requests get 404

	for req, err := range wh.All(ctx) {
		if err != nil {
			return res, err
		}
		status, ack, push := triage(in, req)
		resp := workflow.JSONResponse(status, ack)
		if status == http.StatusMethodNotAllowed {
			resp.Header.Set("Allow", http.MethodPost)
		}
		if push == nil {
			// RespondWith is durable on its own: no step needed around it.
			if err := req.RespondWith(ctx, resp); err != nil {
				return res, err
			}
			res.Ignored++
			continue
		}

		resp.Header.Set(DeploymentHeader, ack.Deployment)
		if err := req.RespondWith(ctx, resp); err != nil { // GitHub has its answer now
			return res, err
		}
		res.Deployment, res.Commit, res.Pusher = ack.Deployment, push.After, push.Pusher.Name
		res.URL, err = workflow.Step(ctx, "deploy", func(ctx context.Context) (string, error) {
			return cfg.Deployer.Deploy(ctx, in.Environment, in.Repo, push.After)
		})
		if err != nil {
			return res, fmt.Errorf("deploying %s@%s: %w", in.Repo, short(push.After), err)
		}
		return res, nil
	}
	return res, errors.New("the webhook closed before a push to deploy arrived")
}

// triage decides how to answer a request: its status and body, and the push to deploy, if it
// is one. It is plain deterministic code, so it runs in the workflow. (The signature was
// checked before the request was stored.)
func triage(in Input, req *workflow.Request) (int, Ack, *PushEvent) {
	if req.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, Ack{Status: "error", Reason: "use POST"}, nil
	}
	switch event := req.Header.Get(EventHeader); event {
	case "ping":
		return http.StatusOK, Ack{Status: "pong"}, nil
	case "push":
	default:
		return http.StatusOK, Ack{Status: "ignored", Reason: fmt.Sprintf("event %q", event)}, nil
	}
	var push PushEvent
	if err := req.JSON(&push); err != nil {
		return http.StatusBadRequest, Ack{Status: "error", Reason: "the body is not a push event"}, nil
	}
	want := "refs/heads/" + in.Branch
	switch {
	case push.Repository.FullName != in.Repo:
		return http.StatusOK, Ack{Status: "ignored", Reason: "repository " + push.Repository.FullName}, nil
	case push.Ref != want:
		return http.StatusOK, Ack{Status: "ignored", Reason: push.Ref + " is not " + want}, nil
	case push.Deleted || push.After == "":
		return http.StatusOK, Ack{Status: "ignored", Reason: "the branch was deleted"}, nil
	}
	return http.StatusAccepted, Ack{
		Status: "queued", Deployment: "dep-" + short(push.After), Commit: push.After, Environment: in.Environment,
	}, &push
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
