package lambdafn

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// WebhookHandler serves ANY /.well-known/workflow/v1/webhook/{token} from API Gateway HTTP
// API events. It does not serve the resume endpoint, which is the resume function's: the
// webhook function faces the internet.
type WebhookHandler struct {
	h *webhook.Handler
}

// NewWebhookHandler returns the webhook function's handler.
func NewWebhookHandler(c *workflow.Client, log *slog.Logger) *WebhookHandler {
	return &WebhookHandler{h: webhook.NewHandler(c, webhook.Options{Logger: log, Routes: webhook.RouteWebhook})}
}

// Handle answers one API Gateway event. It never returns an error: every outcome, including
// a malformed event, is an HTTP status for the caller.
func (w *WebhookHandler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return ServeAPIGateway(ctx, w.h, ev), nil
}
