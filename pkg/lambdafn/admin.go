package lambdafn

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// AdminHandler is the admin function: the operations API of pkg/admin (list and read runs,
// events, hooks and deliveries; start, resume, cancel, retry, redeliver) from API Gateway
// HTTP API events, on ANY /.well-known/workflow/v1/admin/{proxy+} with IAM authorization. It
// links no workflow code, so it starts any workflow name it is given (a runner without the
// workflow parks the run as stuck, saying why).
type AdminHandler struct {
	h   http.Handler
	log *slog.Logger
}

// NewAdminHandler returns the admin function's handler.
func NewAdminHandler(c *workflow.Client, log *slog.Logger) *AdminHandler {
	return &AdminHandler{h: admin.NewHandler(admin.Local(c, nil), admin.Options{Logger: log}), log: log}
}

// Handle answers one API Gateway event. It never returns an error: every outcome, a
// malformed event included, is an HTTP status for the caller.
func (a *AdminHandler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	r, err := RequestFromAPIGateway(ctx, ev)
	if err != nil {
		return ResponseToAPIGateway(http.StatusBadRequest, nil, nil), nil
	}
	w := &bufferedResponse{header: http.Header{}}
	a.h.ServeHTTP(w, r)
	return ResponseToAPIGateway(w.status(), w.header, w.body.Bytes()), nil
}

// bufferedResponse is an http.ResponseWriter that keeps the whole answer, for a handler whose
// answer becomes one API Gateway response.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedResponse) status() int {
	if b.code == 0 {
		return http.StatusOK
	}
	return b.code
}
