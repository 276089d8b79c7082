package webhook

import (
	"bytes"
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

// serveResume answers POST /.well-known/workflow/v1/resume: 200 with the ResumeResult; 400
// for a malformed request or an invalid payload (with the issues); 404 for an unknown token;
// 413 for a payload over the limit.
func (h *Handler) serveResume(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResumeBody+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: "reading the request: " + err.Error()})
		return
	}
	if len(body) > maxResumeBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, ErrorBody{Error: "request body is too large"})
		return
	}
	req, err := DecodeResumeRequest(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: err.Error()})
		return
	}
	var opts []workflow.ResumeOption
	if req.IdempotencyKey != "" {
		opts = append(opts, workflow.WithIdempotencyKey(req.IdempotencyKey))
	}
	res, err := h.c.ResumeHook(r.Context(), req.Token, req.Payload, opts...)
	status, out := ResumeStatus(res, err)
	if status == http.StatusInternalServerError {
		h.log.Error("resume failed", "error", RedactToken(err.Error(), req.Token), "token_fingerprint", TokenFingerprint(req.Token))
	}
	writeJSON(w, status, out)
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func copyBody(w io.Writer, resp *http.Response) (int64, error) { return io.Copy(w, resp.Body) }
