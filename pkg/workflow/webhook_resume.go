package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// ResumeWebhook delivers an HTTP request to the webhook holding token and returns the response
// its caller should get: 400 for an empty token or an Idempotency-Key header above
// MaxIdempotencyKeyBytes; 404 with an empty body for an unknown token,
// a disposed webhook, an ended run or a plain hook's token (plain hooks are never resumable
// over HTTP); 413 for a body above ClientOptions.MaxPayloadBytes; otherwise, once the request
// is stored durably, 202 with an empty body, the webhook's static response, or in manual mode
// the workflow's response (waiting up to the webhook's ResponseTimeout, then the fallback).
// An Idempotency-Key header makes retries safe: a retry is not delivered again and gets the
// first delivery's response. The error is non-nil only when the request could not be
// processed (the backend failed); the caller should then answer 500 or 503.
func (c *Client) ResumeWebhook(ctx context.Context, token string, r *http.Request) (*http.Response, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil request", ErrInvalidArgument)
	}
	if token == "" || len(r.Header.Get("Idempotency-Key")) > MaxIdempotencyKeyBytes {
		return httpResponse(Response{Status: http.StatusBadRequest}), nil
	}
	tok, data, err := c.lookup(ctx, token, backend.TokenWebhook)
	if key := r.Header.Get("Idempotency-Key"); errors.Is(err, ErrHookNotFound) && key != "" {
		// A retry that comes after the webhook closed still gets the first response.
		first, ok, ierr := c.firstDelivery(ctx, backend.TokenWebhook, token, key)
		if ierr != nil {
			return nil, ierr
		}
		if ok {
			return c.respond(ctx, first.DeliveryID, first.Webhook, true)
		}
	}
	if errors.Is(err, ErrHookNotFound) {
		return httpResponse(Response{Status: http.StatusNotFound}), nil
	}
	if err != nil {
		return nil, err
	}
	body, err := readLimited(r.Body, c.maxPayload())
	if errors.Is(err, ErrPayloadTooLarge) {
		return httpResponse(Response{Status: http.StatusRequestEntityTooLarge}), nil
	}
	if err != nil {
		return httpResponse(Response{Status: http.StatusBadRequest}), nil
	}
	// The body travels beside the request's JSON, as bytes: inside it, base64 would make it
	// a third larger, and a body within the limit might no longer fit one record.
	req := Request{
		ID: newDeliveryID(), Method: r.Method, URL: fullURL(r), Header: r.Header.Clone(),
		ReceivedAt: c.clock.Now().UTC(),
	}
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("hookflow: encoding the request: %w", err)
	}
	if body == nil {
		body = []byte{}
	}
	res, err := c.deliver(ctx, tok, data, req.ID, raw, body, r.Header.Get("Idempotency-Key"))
	if errors.Is(err, ErrHookNotFound) {
		return httpResponse(Response{Status: http.StatusNotFound}), nil
	}
	if errors.Is(err, ErrPayloadTooLarge) {
		return httpResponse(Response{Status: http.StatusRequestEntityTooLarge}), nil
	}
	if err != nil {
		return nil, err
	}
	return c.respond(ctx, res.DeliveryID, data.Webhook, false)
}

// respond answers a delivery: 202, the static response, or in manual mode the workflow's
// response (waiting for it, unless the webhook has closed: then whatever is stored, or the
// fallback).
func (c *Client) respond(ctx context.Context, deliveryID string, cfg *webhookConfig, closed bool) (*http.Response, error) {
	switch {
	case cfg == nil:
		return httpResponse(Response{Status: http.StatusAccepted}), nil
	case cfg.Manual:
		wait := *cfg
		if closed {
			wait.ResponseTimeout = 0
		}
		resp, err := c.awaitResponse(ctx, deliveryID, &wait)
		if err != nil {
			return nil, err
		}
		return httpResponse(resp), nil
	case cfg.Static != nil:
		return httpResponse(*cfg.Static), nil
	default:
		return httpResponse(Response{Status: http.StatusAccepted}), nil
	}
}

// readLimited reads at most limit bytes, failing with ErrPayloadTooLarge beyond.
func readLimited(body io.Reader, limit int64) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: body is over %d bytes", ErrPayloadTooLarge, limit)
	}
	return b, nil
}

// fullURL reconstructs the URL the caller used, with its query.
func fullURL(r *http.Request) string {
	if r.URL.IsAbs() {
		return r.URL.String()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme, _, _ = strings.Cut(p, ",")
		scheme = strings.TrimSpace(scheme)
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// Response polling: start fast, for workflows that answer at once, and back off so that a
// caller held for 25 s costs a bounded number of reads (about 260 on DynamoDB).
const (
	firstPoll = time.Millisecond
	maxPoll   = 100 * time.Millisecond
	// fallbackMargin is kept before the context's deadline to send the fallback response.
	fallbackMargin = time.Second
)

// awaitResponse polls the response record of a manual webhook delivery until it appears or
// the webhook's ResponseTimeout passes, then returns the fallback.
func (c *Client) awaitResponse(ctx context.Context, deliveryID string, cfg *webhookConfig) (Response, error) {
	deadline := time.Now().Add(cfg.ResponseTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-fallbackMargin).Before(deadline) {
		// The caller's context (a Lambda's deadline) ends first: leave time to send the fallback.
		deadline = dl.Add(-fallbackMargin)
	}
	wait := firstPoll
	for {
		rec, err := c.b.GetResponse(ctx, deliveryID)
		if err == nil {
			var resp Response
			if err := json.Unmarshal(rec.Data, &resp); err != nil {
				return Response{}, fmt.Errorf("hookflow: response of delivery %s is corrupt: %w", deliveryID, err)
			}
			return resp, nil
		}
		if !errors.Is(err, backend.ErrResponseNotFound) {
			return Response{}, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return *cfg.Fallback, nil
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return Response{}, ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, maxPoll)
	}
}

func httpResponse(r Response) *http.Response {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{
		Status:        strconv.Itoa(r.Status) + " " + http.StatusText(r.Status),
		StatusCode:    r.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(r.Body)),
		ContentLength: int64(len(r.Body)),
	}
}
