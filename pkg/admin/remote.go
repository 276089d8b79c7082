package admin

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Remote returns the API served by NewHandler at baseURL (the server's root, to which Path
// is added; a URL that ends in Path already is taken as it is), called with hc (nil:
// http.DefaultClient). Its errors match the sentinels the server's
// errors matched; a failure to reach the server, or an answer that is not the API's, is an
// error matching ErrUnavailable.
func Remote(baseURL string, hc *http.Client) API {
	root := strings.TrimSuffix(strings.TrimRight(baseURL, "/"), Path)
	return &remote{base: root + Path, hc: cmp.Or(hc, http.DefaultClient)}
}

// ErrUnavailable reports a server that could not be reached or did not answer as the API.
var ErrUnavailable = errors.New("admin: server unavailable")

type remote struct {
	base string
	hc   *http.Client
}

// call sends a request with the JSON of in (nil: no body) and decodes a 2xx answer into out.
func (r *remote) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := r.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%w: %v", workflow.ErrInvalidArgument, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("%w: %v", workflow.ErrInvalidArgument, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%w: reading the answer to %s %s: %v", ErrUnavailable, method, u, err)
	}
	if resp.StatusCode >= 300 {
		return remoteError(resp.StatusCode, raw, method, u)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%w: %s %s answered %d with a body that is not the API's: %v", ErrUnavailable, method, u, resp.StatusCode, err)
	}
	return nil
}

// remoteError rebuilds the error the server reported.
func remoteError(status int, raw []byte, method, u string) error {
	var eb errorBody
	if err := json.Unmarshal(raw, &eb); err != nil || eb.Code == "" {
		return fmt.Errorf("%w: %s %s answered %d: %s", ErrUnavailable, method, u, status, bytes.TrimSpace(raw[:min(len(raw), 200)]))
	}
	var sentinel error
	switch eb.Code {
	case codeInvalidPayload:
		return &workflow.ValidationError{Issues: eb.Issues}
	case codeInvalidArgument:
		sentinel = workflow.ErrInvalidArgument
	case codeRunNotFound:
		sentinel = workflow.ErrRunNotFound
	case codeHookNotFound:
		sentinel = workflow.ErrHookNotFound
	case codeDeliveryNotFound:
		sentinel = workflow.ErrDeliveryNotFound
	case codeRunEnded:
		sentinel = workflow.ErrRunEnded
	case codeRunNotEnded:
		sentinel = workflow.ErrRunNotEnded
	case codeTooLarge:
		sentinel = workflow.ErrPayloadTooLarge
	case codeNotFound:
		sentinel = ErrUnavailable // a server without this operation: another version
	default:
		return fmt.Errorf("admin: %s %s: the server failed (%d): %s", method, u, status, eb.Error)
	}
	return &remoteErr{msg: eb.Error, is: sentinel}
}

// remoteErr is an error the server reported, matching the sentinel its code names.
type remoteErr struct {
	msg string
	is  error
}

func (e *remoteErr) Error() string { return e.msg }
func (e *remoteErr) Unwrap() error { return e.is }

func runPath(runID string) string { return "/runs/" + url.PathEscape(runID) }

func (r *remote) ListRuns(ctx context.Context, f workflow.RunFilter) (workflow.RunPage, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("status", string(f.Status))
	set("workflow", f.Workflow)
	set("cursor", f.Cursor)
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if !f.CreatedAfter.IsZero() {
		q.Set("createdAfter", f.CreatedAfter.Format(time.RFC3339Nano))
	}
	if !f.CreatedBefore.IsZero() {
		q.Set("createdBefore", f.CreatedBefore.Format(time.RFC3339Nano))
	}
	var page workflow.RunPage
	err := r.call(ctx, http.MethodGet, "/runs", q, nil, &page)
	return page, err
}

func (r *remote) GetRun(ctx context.Context, runID string) (workflow.RunInfo, error) {
	var info workflow.RunInfo
	err := r.call(ctx, http.MethodGet, runPath(runID), nil, nil, &info)
	return info, err
}

func (r *remote) ListEvents(ctx context.Context, runID string) ([]workflow.Event, error) {
	var out struct {
		Events []workflow.Event `json:"events"`
	}
	err := r.call(ctx, http.MethodGet, runPath(runID)+"/events", nil, nil, &out)
	return out.Events, err
}

func (r *remote) ListDeliveries(ctx context.Context, runID string) ([]workflow.Delivery, error) {
	var out struct {
		Deliveries []workflow.Delivery `json:"deliveries"`
	}
	err := r.call(ctx, http.MethodGet, runPath(runID)+"/deliveries", nil, nil, &out)
	return out.Deliveries, err
}

func (r *remote) ListHooks(ctx context.Context, f workflow.HookFilter) ([]workflow.HookInfo, error) {
	var q url.Values
	if f.RunID != "" {
		q = url.Values{"run": {f.RunID}}
	}
	var out struct {
		Hooks []workflow.HookInfo `json:"hooks"`
	}
	err := r.call(ctx, http.MethodGet, "/hooks", q, nil, &out)
	return out.Hooks, err
}

func (r *remote) Workflows(ctx context.Context) ([]string, error) {
	var out struct {
		Workflows []string `json:"workflows"`
	}
	err := r.call(ctx, http.MethodGet, "/workflows", nil, nil, &out)
	return out.Workflows, err
}

func (r *remote) Start(ctx context.Context, req StartRequest) (string, error) {
	var out struct {
		RunID string `json:"runId"`
	}
	err := r.call(ctx, http.MethodPost, "/runs", nil, req, &out)
	return out.RunID, err
}

func (r *remote) Resume(ctx context.Context, req ResumeRequest) (workflow.ResumeResult, error) {
	var out workflow.ResumeResult
	err := r.call(ctx, http.MethodPost, "/resume", nil, req, &out)
	return out, err
}

func (r *remote) Cancel(ctx context.Context, runID string) error {
	return r.call(ctx, http.MethodPost, runPath(runID)+"/cancel", nil, nil, nil)
}

func (r *remote) Export(ctx context.Context, runID string) (workflow.RunExport, error) {
	var out workflow.RunExport
	err := r.call(ctx, http.MethodGet, runPath(runID)+"/export", nil, nil, &out)
	return out, err
}

func (r *remote) Delete(ctx context.Context, runID string) error {
	return r.call(ctx, http.MethodDelete, runPath(runID), nil, nil, nil)
}

func (r *remote) Retry(ctx context.Context, runID string) error {
	return r.call(ctx, http.MethodPost, runPath(runID)+"/retry", nil, nil, nil)
}

func (r *remote) Redeliver(ctx context.Context, req RedeliverRequest) (RedeliverResult, error) {
	var body any
	if req.NewRunOf != "" {
		body = map[string]string{"newRunOf": req.NewRunOf}
	}
	var out RedeliverResult
	err := r.call(ctx, http.MethodPost, runPath(req.RunID)+"/deliveries/"+url.PathEscape(req.DeliveryID)+"/redeliver", nil, body, &out)
	return out, err
}
