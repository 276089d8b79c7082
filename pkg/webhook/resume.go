package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// ResumeRequest is the body of POST /.well-known/workflow/v1/resume.
type ResumeRequest struct {
	Token          string          `json:"token"`
	Payload        json.RawMessage `json:"payload"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
}

// ErrorBody is the body of the resume endpoint's error responses.
type ErrorBody struct {
	Error  string   `json:"error"`
	Issues []string `json:"issues,omitempty"` // validation issues, with status 400
}

// InvokeResponse is the resume Lambda's answer to a direct Invoke: the status and body the
// HTTP resume endpoint would give, in one object.
type InvokeResponse struct {
	Status int                    `json:"status"`
	Result *workflow.ResumeResult `json:"result,omitempty"`
	Error  string                 `json:"error,omitempty"`
	Issues []string               `json:"issues,omitempty"`
}

// NewInvokeResponse builds the InvokeResponse for the outcome of a resume.
func NewInvokeResponse(res workflow.ResumeResult, err error) InvokeResponse {
	status, body := ResumeStatus(res, err)
	out := InvokeResponse{Status: status}
	switch b := body.(type) {
	case workflow.ResumeResult:
		out.Result = &b
	case ErrorBody:
		out.Error, out.Issues = b.Error, b.Issues
	}
	return out
}

// Err turns a response back into the outcome the direct path gives: nil for 200, else an error
// matching ErrHookNotFound, ErrPayloadTooLarge or ErrInvalidArgument, or a
// *workflow.ValidationError.
func (r InvokeResponse) Err() error {
	switch {
	case r.Status == http.StatusOK && r.Result != nil:
		return nil
	case r.Status == http.StatusBadRequest && len(r.Issues) > 0:
		return &workflow.ValidationError{Issues: r.Issues}
	case r.Status == http.StatusBadRequest:
		return fmt.Errorf("%w: %s", workflow.ErrInvalidArgument, r.Error)
	case r.Status == http.StatusNotFound:
		return fmt.Errorf("%w: %s", workflow.ErrHookNotFound, r.Error)
	case r.Status == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%w: %s", workflow.ErrPayloadTooLarge, r.Error)
	default:
		return fmt.Errorf("hookflow: resume failed with status %d: %s", r.Status, r.Error)
	}
}

// maxResumeBody bounds the resume request: the payload limit plus room for the envelope.
const maxResumeBody = 2*workflow.DefaultMaxPayloadBytes + 4096

// resume answers POST /.well-known/workflow/v1/resume: 200 with the ResumeResult; 400 for
// a malformed request or an invalid payload (with the issues); 404 for an unknown token; 413
// for a payload over the limit; 500 (logged without the token) when the store fails.
func (h *Handler) resume(r *http.Request) workflow.Response {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResumeBody+1))
	if err != nil {
		return jsonAnswer(http.StatusBadRequest, ErrorBody{Error: "reading the request: " + err.Error()})
	}
	if len(body) > maxResumeBody {
		return jsonAnswer(http.StatusRequestEntityTooLarge, ErrorBody{Error: "request body is too large"})
	}
	req, err := DecodeResumeRequest(body)
	if err != nil {
		return jsonAnswer(http.StatusBadRequest, ErrorBody{Error: err.Error()})
	}
	res, err := h.Resume(r.Context(), req)
	status, out := ResumeStatus(res, err)
	if status == http.StatusInternalServerError {
		h.log.Error("resume failed", "error", RedactToken(err.Error(), req.Token), "token_fingerprint", TokenFingerprint(req.Token))
	}
	return jsonAnswer(status, out)
}

// Resume delivers a decoded resume request (see DecodeResumeRequest) to its hook, through
// the engine, with the outcomes of workflow.Client.ResumeHook: the ResumeResult, or an error
// matching ErrHookNotFound, ErrPayloadTooLarge or ErrInvalidArgument, or a
// *workflow.ValidationError; any other error is the store's. ResumeStatus maps them to the
// endpoint's answers.
func (h *Handler) Resume(ctx context.Context, req ResumeRequest) (workflow.ResumeResult, error) {
	if h.err != nil {
		return workflow.ResumeResult{}, h.err
	}
	// Marshalling compacts the payload, as ResumeHook stores it.
	raw, err := json.Marshal(req.Payload)
	if err != nil {
		return workflow.ResumeResult{}, fmt.Errorf("%w: payload is not serializable to JSON: %v", workflow.ErrInvalidArgument, err)
	}
	d, err := h.e.ResumeHook(ctx, req.Token, raw, req.IdempotencyKey)
	if err != nil {
		return workflow.ResumeResult{}, err
	}
	return workflow.ResumeResult(d.Result), d.Err
}

// DecodeResumeRequest parses and checks a resume request body: a JSON object with a token
// and a payload, and no other fields.
func DecodeResumeRequest(body []byte) (ResumeRequest, error) {
	var req ResumeRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, errors.New("the body must be a JSON object {token, payload, idempotencyKey}: " + err.Error())
	}
	if dec.More() {
		return req, errors.New("the body must hold one JSON object")
	}
	if req.Token == "" {
		return req, errors.New("token is required")
	}
	if len(req.Payload) == 0 {
		return req, errors.New("payload is required (use null for none)")
	}
	return req, nil
}

// ResumeStatus maps the outcome of a resume to the endpoint's status and body, so that every
// transport (this handler, the resume Lambda) answers alike.
func ResumeStatus(res workflow.ResumeResult, err error) (int, any) {
	var invalid *workflow.ValidationError
	switch {
	case err == nil:
		return http.StatusOK, res
	case errors.As(err, &invalid):
		return http.StatusBadRequest, ErrorBody{Error: "invalid payload", Issues: invalid.Issues}
	case errors.Is(err, workflow.ErrInvalidArgument):
		return http.StatusBadRequest, ErrorBody{Error: err.Error()}
	case errors.Is(err, workflow.ErrHookNotFound):
		return http.StatusNotFound, ErrorBody{Error: "hook not found"}
	case errors.Is(err, workflow.ErrPayloadTooLarge):
		return http.StatusRequestEntityTooLarge, ErrorBody{Error: err.Error()}
	default:
		return http.StatusInternalServerError, ErrorBody{Error: "internal error"}
	}
}

// jsonAnswer is an answer with v as its JSON body.
func jsonAnswer(status int, v any) workflow.Response {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	return workflow.Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
}
