package lambdafn

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// InvokeResponse is the resume function's answer to a direct Lambda Invoke: the same status
// and body the HTTP resume endpoint would give.
type InvokeResponse = webhook.InvokeResponse

// ResumeHandler is the resume function: the SDK's resume call, from a direct Invoke
// ({token, payload, idempotencyKey}) or from API Gateway (POST with IAM authorization).
type ResumeHandler struct {
	h   *webhook.Handler
	log *slog.Logger
}

// NewResumeHandler returns the resume function's handler.
func NewResumeHandler(c *workflow.Client, log *slog.Logger) *ResumeHandler {
	// The resume function serves the resume route only: the webhook route is the webhook
	// function's.
	return &ResumeHandler{h: webhook.NewHandler(c, webhook.Options{Logger: log, Routes: webhook.RouteResume}), log: log}
}

// Handle serves one invocation. Client errors (bad JSON, an invalid payload, an unknown token)
// are answers with a status, not function errors; only a failure to reach the backend is. The
// function error and the log line name the token by its webhook.TokenFingerprint only.
func (h *ResumeHandler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		RawPath        string          `json:"rawPath"`
		RequestContext json.RawMessage `json:"requestContext"`
	}
	if json.Unmarshal(raw, &probe) == nil && probe.RawPath != "" && len(probe.RequestContext) > 0 {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return ResponseToAPIGateway(http.StatusBadRequest, nil, nil), nil
		}
		return ServeAPIGateway(ctx, h.h, ev), nil
	}
	req, err := webhook.DecodeResumeRequest(raw)
	if err != nil {
		return InvokeResponse{Status: http.StatusBadRequest, Error: err.Error()}, nil
	}
	res, err := h.h.Resume(ctx, req)
	out := webhook.NewInvokeResponse(res, err)
	if out.Status == http.StatusInternalServerError {
		// The runtime logs a function error too: neither holds the token.
		h.log.Error("resume failed", "error", webhook.RedactToken(err.Error(), req.Token),
			"token_fingerprint", webhook.TokenFingerprint(req.Token))
		return out, webhook.RedactError(err, req.Token)
	}
	return out, nil
}
