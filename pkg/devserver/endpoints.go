package devserver

import (
	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Endpoints are the URLs a Server serves, for a program to print or hand out.
type Endpoints struct {
	// URL is the server's root URL: what the CLI's --server takes.
	URL string `json:"url"`
	// Webhook is the prefix of webhook URLs: a webhook's URL is Webhook followed by its token.
	Webhook string `json:"webhook"`
	// Resume is the resume endpoint (POST {"token", "payload", "idempotencyKey"}).
	Resume string `json:"resume"`
	// Admin is the root of the admin API (admin.NewHandler).
	Admin string `json:"admin"`
	// UI is the page served at "/": the web inspector, or Options.UI.
	UI string `json:"ui"`
	// Index lists these URLs as plain text.
	Index string `json:"index"`
}

func endpointsOf(base string) Endpoints {
	return Endpoints{
		URL:     base,
		Webhook: base + workflow.WebhookPath,
		Resume:  base + webhook.ResumePath,
		Admin:   base + admin.Path,
		UI:      base + "/",
		Index:   base + IndexPath,
	}
}
