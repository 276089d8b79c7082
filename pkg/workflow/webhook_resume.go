package workflow

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/hookflow/hookflow/internal/httpedge"
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
//
// It gives the answers of the webhook route of pkg/webhook, which serves it with the same
// mapping.
func (c *Client) ResumeWebhook(ctx context.Context, token string, r *http.Request) (*http.Response, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil request", ErrInvalidArgument)
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	resp, err := httpedge.Webhook(ctx, e, token, r)
	if err != nil {
		return nil, err
	}
	h := resp.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{
		Status:        strconv.Itoa(resp.Status) + " " + http.StatusText(resp.Status),
		StatusCode:    resp.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(resp.Body)),
		ContentLength: int64(len(resp.Body)),
	}, nil
}
