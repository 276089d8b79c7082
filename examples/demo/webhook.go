package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/hookflow/hookflow/examples/deploy"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// webhookStory runs the deploy workflow and talks to its webhook over real HTTP, as GitHub
// would: an unsigned push (refused), a push to another branch (ignored), a push to main
// (deployed), then a request after the run ended (404).
func (d *demo) webhookStory(ctx context.Context) error {
	in := deploy.Input{Repo: "octo-org/shop", Branch: "main", Environment: "production"}
	fmt.Printf("starting %s: deploy pushes to %s@%s to %s\n", d.deploy.Name(), in.Repo, in.Branch, in.Environment)
	r, err := workflow.Start(ctx, d.client, d.deploy, in)
	if err != nil {
		return fmt.Errorf("starting the run: %w", err)
	}
	hooks, err := d.waitForHooks(ctx, r.ID())
	if err != nil {
		return err
	}
	if len(hooks) != 1 || !hooks[0].Webhook || hooks[0].URL == "" {
		return fmt.Errorf("run %s: want one webhook with a URL, got %+v", r.ID(), hooks)
	}
	url := hooks[0].URL
	fmt.Printf("webhook URL (from Client.ListHooks): %s\n", url)

	const commit = "9f2c4e1b7a3d5c6e8f0a1b2c3d4e5f60718293a4"
	for i, req := range []struct {
		what   string
		ref    string
		signed bool
		want   int
	}{
		{"push to main, unsigned", "refs/heads/main", false, http.StatusUnauthorized},
		{"push to feature/login, signed", "refs/heads/feature/login", true, http.StatusOK},
		{"push to main, signed", "refs/heads/main", true, http.StatusAccepted},
	} {
		body, err := json.Marshal(map[string]any{
			"ref": req.ref, "after": commit,
			"repository": map[string]any{"full_name": in.Repo},
			"pusher":     map[string]any{"name": "ada"},
		})
		if err != nil {
			return err
		}
		header := http.Header{
			"Content-Type":        {"application/json"},
			deploy.EventHeader:    {"push"},
			deploy.DeliveryHeader: {fmt.Sprintf("delivery-%d", i+1)},
		}
		if req.signed {
			header.Set(deploy.SignatureHeader, deploy.Sign(webhookSecret, body))
		}
		fmt.Printf("\nPOST %s\n", req.what)
		if err := send(ctx, url, body, header, req.want); err != nil {
			return err
		}
	}

	result, runErr := r.Result(ctx)
	if runErr == nil {
		fmt.Printf("\nPOST again after the run ended\n")
		if err := send(ctx, url, []byte(`{}`), http.Header{deploy.EventHeader: {"push"}}, http.StatusNotFound); err != nil {
			return err
		}
	}
	info, err := d.finish(ctx, r.ID(), runErr)
	if err != nil {
		return err
	}
	fmt.Printf("\nresult: deployed %s (%s by %s) to %s at %s; %d request(s) answered without deploying\n",
		result.Deployment, result.Commit[:7], result.Pusher, result.Environment, result.URL, result.Ignored)
	fmt.Printf("status: %s in %s\n", info.Status, info.UpdatedAt.Sub(info.CreatedAt).Round(time.Millisecond))
	if got := d.deployer.Deployed(); len(got) != 1 {
		return fmt.Errorf("want one deployment, the deployer saw %q", got)
	}
	return nil
}

// send POSTs body to url over HTTP, prints the answer, and checks its status.
func send(ctx context.Context, url string, body []byte, header http.Header, want int) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	printResponse(os.Stdout, resp, got)
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: got status %d, want %d", url, resp.StatusCode, want)
	}
	return nil
}
