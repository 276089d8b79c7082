package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// headersSeen returns the headers of the requests its webhook receives, as the workflow sees
// them.
func headersSeen(opts workflow.WebhookOptions) *workflow.Workflow[struct{}, string] {
	return workflow.Define("headers-seen", func(ctx workflow.Context, _ struct{}) (string, error) {
		wh, err := workflow.CreateWebhook(ctx, opts)
		if err != nil {
			return "", err
		}
		req, err := wh.Receive(ctx)
		if err != nil {
			return "", err
		}
		raw, err := json.Marshal(req.Header)
		return string(raw), err
	})
}

// A webhook request's credentials (Authorization, Proxy-Authorization, Cookie) and, once
// checked, its signature are not stored: neither the workflow, nor the history, nor any
// record of the store holds them. A webhook that keeps one, keeps that one.
func TestCredentialsAreNotStored(t *testing.T) {
	t.Parallel()
	const (
		bearer = "Bearer sekret-bearer-x"
		cookie = "session=sekret-cookie-y"
		proxy  = "Basic sekret-proxy-z"
	)
	cases := []struct {
		name  string
		opts  workflow.WebhookOptions
		kept  []string // headers the workflow sees
		gone  []string // headers it does not
		extra func(r *http.Request, body string)
	}{
		{
			name: "default", opts: workflow.WebhookOptions{},
			kept: []string{"X-Request-Id", "Content-Type"}, gone: []string{"Authorization", "Cookie", "Proxy-Authorization"},
		},
		{
			name: "kept on request", opts: workflow.WebhookOptions{KeepHeaders: []string{"authorization"}},
			kept: []string{"Authorization"}, gone: []string{"Cookie", "Proxy-Authorization"},
		},
		{
			name: "verified signature",
			opts: workflow.WebhookOptions{Verify: &verify.Spec{Kind: verify.KindGitHub, Secrets: []string{"env:GITHUB_SECRET"}}},
			kept: []string{"X-Github-Delivery"}, gone: []string{"Authorization", "X-Hub-Signature-256"},
			extra: func(r *http.Request, body string) {
				r.Header.Set("X-Hub-Signature-256", githubSignature(githubSecret, body))
				r.Header.Set("X-GitHub-Delivery", "d-1")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			onBackends(t, func(t *testing.T, bk backend.Backend) {
				s := start(t, bk, secrets, headersSeen(tc.opts))
				ctx := t.Context()
				require.Len(t, s.hooks, 1)
				const body = `{"n":1}`
				r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+s.hooks[0].Token, strings.NewReader(body))
				r.Header.Set("Authorization", bearer)
				r.Header.Set("Cookie", cookie)
				r.Header.Set("Proxy-Authorization", proxy)
				r.Header.Set("X-Request-Id", "req-1")
				r.Header.Set("Content-Type", "application/json")
				if tc.extra != nil {
					tc.extra(r, body)
				}
				rec := httptest.NewRecorder()
				s.h.ServeHTTP(rec, r)
				require.Equal(t, http.StatusAccepted, rec.Code)
				require.NoError(t, s.w.RunTurn(ctx, s.run.ID()))
				out, err := s.run.Result(ctx)
				require.NoError(t, err)
				var seen http.Header
				require.NoError(t, json.Unmarshal([]byte(out), &seen))
				for _, h := range tc.kept {
					require.NotEmpty(t, seen.Get(h), "the workflow sees %s", h)
				}
				for _, h := range tc.gone {
					require.Empty(t, seen.Get(h), "the workflow does not see %s", h)
				}

				// The history, which is what the store keeps, holds none of what is gone.
				export, err := s.c.ExportRun(ctx, s.run.ID())
				require.NoError(t, err)
				raw, err := json.Marshal(export)
				require.NoError(t, err)
				for secret, header := range map[string]string{bearer: "Authorization", cookie: "Cookie", proxy: "Proxy-Authorization"} {
					want := !containsFold(tc.gone, header) && containsFold(tc.kept, header)
					require.Equal(t, want, bytes.Contains(raw, []byte(secret)), "history holds %s: %v", header, want)
				}
			})
		})
	}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func TestKeepHeadersRefusesBadNames(t *testing.T) {
	t.Parallel()
	s := start(t, memoryBackend(t), secrets, headersSeen(workflow.WebhookOptions{KeepHeaders: []string{"Bad Header"}}))
	info, err := s.c.GetRun(t.Context(), s.run.ID())
	require.NoError(t, err)
	require.Equal(t, workflow.StatusFailed, info.Status)
	require.Contains(t, info.Error, `KeepHeaders: "Bad Header" is not a header name`)
}

func memoryBackend(t *testing.T) backend.Backend {
	t.Helper()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	return b
}
