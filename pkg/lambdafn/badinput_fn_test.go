package lambdafn

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// apiJSON is an API Gateway (HTTP API, payload 2.0) event as the function receives it.
func apiJSON(method, path, body string, b64 bool) string {
	raw, _ := json.Marshal(apiEvent(method, path, "", body, b64, map[string]string{"content-type": "application/json"}))
	return string(raw)
}

// invokeRow is an invocation of the resume function.
type invokeRow struct {
	name  string
	event string // {hook}, {schema} and {webhook} stand for live tokens (see stack.fill)
	// status is the InvokeResponse's status, or for an API Gateway event the response's.
	status int
	// errIs is what a direct invoke's InvokeResponse.Err() matches: the outcome the SDK's
	// Resumer (pkg/lambdaresume) gives its caller.
	errIs  error
	issues bool // a *workflow.ValidationError listing issues
}

var errValidation = errors.New("validation issues")

// resumeFunctionRows: a direct invoke answers 400 (ErrInvalidArgument) for a malformed
// request, 400 with the issues (*ValidationError) for an invalid payload, 404
// (ErrHookNotFound) for anything that is not a live plain hook's token, 413
// (ErrPayloadTooLarge) over the limit; an API Gateway event gets the resume endpoint's
// statuses, 400 when the event itself is malformed. None is a function error.
func (s *stack) resumeFunctionRows(t *testing.T) {
	const rp = "/.well-known/workflow/v1/resume"
	tok := func(token string) string { return `{"token":"` + token + `","payload":1}` }
	for _, tc := range []invokeRow{
		{name: "bad JSON", event: `{"token":`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "a JSON string", event: `"{hook}"`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "empty object", event: `{}`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "null", event: `null`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "token is a number", event: `{"token":7,"payload":1}`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "no payload", event: `{"token":"{hook}"}`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "rawPath of the wrong type", event: `{"token":"{hook}","payload":1,"rawPath":5}`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "empty token", event: tok(""), status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "unknown token", event: tok("order-0000"), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "webhook's token", event: `{"token":"{webhook}","payload":1,"idempotencyKey":"k"}`, status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "dot-dot, then the token", event: tok("../{hook}"), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "the token, then dot-dot", event: tok("{hook}/.."), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "encoded dot-dot and slash", event: tok("%2e%2e%2f{hook}"), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "double slash", event: tok("//{hook}"), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "NUL in token", event: tok(`{hook}\u0000`), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "newline in token", event: tok(`{hook}\n`), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "right-to-left override in token", event: tok(`\u202e{hook}`), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "invalid UTF-8 in token", event: tok("{hook}\xff"), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "token in upper case", event: tok("{HOOK}"), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "2 KB token", event: tok(strings.Repeat("t", 2048)), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "key prefix in token", event: tok("TOKEN#{hook}"), status: http.StatusNotFound, errIs: workflow.ErrHookNotFound},
		{name: "huge idempotency key", event: `{"token":"{hook}","payload":1,"idempotencyKey":"` + strings.Repeat("k", 450<<10) + `"}`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "4 KB idempotency key", event: `{"token":"{hook}","payload":1,"idempotencyKey":"` + strings.Repeat("k", 4<<10) + `"}`, status: http.StatusBadRequest, errIs: workflow.ErrInvalidArgument},
		{name: "payload over the limit", event: `{"token":"{hook}","payload":"` + overPayloadLimit + `"}`, status: http.StatusRequestEntityTooLarge, errIs: workflow.ErrPayloadTooLarge},
		{name: "payload missing a required field", event: `{"token":"{schema}","payload":{"cents":5}}`, status: http.StatusBadRequest, errIs: errValidation, issues: true},
		{name: "payload of the wrong type", event: `{"token":"{schema}","payload":[1]}`, status: http.StatusBadRequest, errIs: errValidation, issues: true},
		{name: "API event without a method", event: apiJSON("", rp, tok("{hook}"), false), status: http.StatusBadRequest},
		{name: "API event, body not base64", event: apiJSON("POST", rp, "%%%", true), status: http.StatusBadRequest},
		{name: "API event, bad escape in path", event: apiJSON("POST", "/.well-known/workflow/v1/%ZZ", tok("{hook}"), false), status: http.StatusBadRequest},
		{name: "API event, requestContext a string", event: `{"rawPath":"` + rp + `","requestContext":"POST"}`, status: http.StatusBadRequest},
		{name: "API event, unknown token", event: apiJSON("POST", rp, tok("order-0000"), false), status: http.StatusNotFound},
		{name: "API event, GET", event: apiJSON("GET", rp, tok("{hook}"), false), status: http.StatusMethodNotAllowed},
		{name: "API event, dot-dot from the webhook route", event: apiJSON("POST", workflow.WebhookPath+"../resume", tok("{hook}"), false), status: http.StatusNotFound},
		{name: "API event, payload over the limit", event: apiJSON("POST", rp, `{"token":"{hook}","payload":"`+overPayloadLimit+`"}`, false), status: http.StatusRequestEntityTooLarge},
	} {
		s.row(t, tc.name, func(t *testing.T, e entry) {
			out, err := NewResumeHandler(e.c, e.log).Handle(t.Context(), json.RawMessage(s.fill(tc.event)))
			require.NoError(t, err, "bad input is an answer, not a function error")
			switch out := out.(type) {
			case events.APIGatewayV2HTTPResponse:
				require.Equal(t, tc.status, out.StatusCode, out.Body)
				require.Nil(t, tc.errIs, "an API Gateway event was not expected")
			case InvokeResponse:
				require.Equal(t, tc.status, out.Status, out.Error)
				var invalid *workflow.ValidationError
				if tc.issues {
					require.ErrorAs(t, out.Err(), &invalid)
					require.NotEmpty(t, invalid.Issues)
				} else {
					require.ErrorIs(t, out.Err(), tc.errIs)
					require.False(t, errors.As(out.Err(), &invalid))
				}
			default:
				t.Fatalf("unexpected answer %T", out)
			}
		})
	}
}

// sqsJSON is an SQS batch event with one message per body.
func sqsJSON(bodies ...string) string { return string(sqsEvent(bodies...)) }

// runnerRow is an invocation of the runner function.
type runnerRow struct {
	name  string
	event string
	// err is in the error Handle returns; "" for none. An SQS batch never fails: malformed
	// wakes and wakes of unknown runs are dropped, as redelivering them would never help.
	err string
}

// runnerRows: malformed wake messages and wakes of unknown runs are dropped (nothing for SQS
// to redeliver); an event that is neither an SQS batch nor a scheduled event is an error.
func (s *stack) runnerRows(t *testing.T) {
	const malformed, neither = "malformed event", "neither an SQS batch nor a scheduled event"
	for _, tc := range []runnerRow{
		{name: "body not JSON", event: sqsJSON("garbage")},
		{name: "empty body", event: sqsJSON("")},
		{name: "body without runId", event: sqsJSON(`{"run":"run-doors"}`)},
		{name: "runId is a number", event: sqsJSON(`{"runId":42}`)},
		{name: "unknown run", event: sqsJSON(`{"runId":"run-nope"}`)},
		{name: "dot-dot run ID", event: sqsJSON(`{"runId":"../run-doors"}`)},
		{name: "NUL in run ID", event: sqsJSON(`{"runId":"run-doors\u0000"}`)},
		{name: "2 KB run ID", event: sqsJSON(`{"runId":"` + strings.Repeat("r", 2048) + `"}`)},
		{name: "notBefore not a time", event: sqsJSON(`{"runId":"run-doors","notBefore":"tomorrow"}`)},
		{name: "unknown run, far in the future", event: sqsJSON(`{"runId":"run-nope","notBefore":"2999-01-01T00:00:00Z"}`)},
		{name: "a batch of bad messages", event: sqsJSON("", "[]", `{"runId":""}`, `{"runId":"run-nope"}`)},
		{name: "bad JSON", event: `[`, err: malformed},
		{name: "a JSON string", event: `"Scheduled Event"`, err: malformed},
		{name: "Records not a list", event: `{"Records":"x"}`, err: malformed},
		{name: "record body not a string", event: `{"Records":[{"messageId":"m1","body":5}]}`, err: malformed},
		{name: "schedule source not a string", event: `{"source":["aws.events"],"detail-type":"Scheduled Event"}`, err: malformed},
		{name: "schedule detail-type not a string", event: `{"source":"aws.events","detail-type":{}}`, err: malformed},
		{name: "empty object", event: `{}`, err: neither},
		{name: "null", event: `null`, err: neither},
		{name: "empty batch", event: `{"Records":[]}`, err: neither},
		{name: "another service's event", event: `{"source":"aws.s3","detail-type":"Object Created","detail":{}}`, err: neither},
	} {
		s.row(t, tc.name, func(t *testing.T, e entry) {
			r := NewRunner(e.spy, workflow.NewRegistry(doors), Config{}, e.log)
			defer r.Close()
			out, err := r.Handle(t.Context(), json.RawMessage(tc.event))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Empty(t, out.(events.SQSEventResponse).BatchItemFailures, "nothing to redeliver")
		})
	}
}
