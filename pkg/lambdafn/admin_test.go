package lambdafn

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The admin function answers the operations API from API Gateway events: start a run, read
// it, list runs, and the API's errors as statuses, on memory and DynamoDB.
func TestAdminFunction(t *testing.T) {
	t.Parallel()
	for _, bk := range []string{"memory", "dynamodb"} {
		t.Run(bk, func(t *testing.T) {
			t.Parallel()
			var b workflow.Backend
			if bk == "memory" {
				m := memory.New()
				t.Cleanup(func() { _ = m.Close() })
				b = m
			} else {
				b = awstest.Setup(t).NewBackend(t, hfaws.Options{})
			}
			ctx := t.Context()
			c := workflow.NewClient(b, workflow.ClientOptions{})
			fn := NewAdminHandler(c, quiet)
			call := func(method, path, query, body string) (int, map[string]any) {
				t.Helper()
				resp, err := fn.Handle(ctx, apiEvent(method, admin.Path+path, query, body, false, map[string]string{"content-type": "application/json"}))
				require.NoError(t, err)
				var out map[string]any
				require.NoError(t, json.Unmarshal([]byte(resp.Body), &out), resp.Body)
				require.Equal(t, "application/json", resp.Headers["Content-Type"])
				return resp.StatusCode, out
			}
			status, out := call("POST", "/runs", "", `{"workflow":"echo","input":"hi"}`)
			require.Equal(t, http.StatusCreated, status, out)
			runID, _ := out["runId"].(string)
			require.NotEmpty(t, runID)
			status, out = call("GET", "/runs/"+runID, "", "")
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, "echo", out["workflow"])
			require.Equal(t, "pending", out["status"])
			status, out = call("GET", "/runs", "workflow=echo", "")
			require.Equal(t, http.StatusOK, status)
			require.Len(t, out["runs"], 1)
			status, out = call("GET", "/runs/run_nope", "", "")
			require.Equal(t, http.StatusNotFound, status)
			require.Equal(t, "run_not_found", out["code"])
			status, out = call("POST", "/runs", "", `{"workflow":""}`)
			require.Equal(t, http.StatusBadRequest, status)
			require.Equal(t, "invalid_argument", out["code"])
			status, _ = call("PUT", "/runs", "", "")
			require.Equal(t, http.StatusMethodNotAllowed, status)
		})
	}
	m := memory.New()
	t.Cleanup(func() { _ = m.Close() })
	resp, err := NewAdminHandler(workflow.NewClient(m, workflow.ClientOptions{}), quiet).Handle(t.Context(), events.APIGatewayV2HTTPRequest{})
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a malformed event")
}
