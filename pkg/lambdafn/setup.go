package lambdafn

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Env is what every function starts from: its configuration and logger, the backend it
// names, and a client configured from the same settings (the base URL and payload limit
// that the webhook, resume and runner functions must agree on).
type Env struct {
	Config  Config
	Log     *slog.Logger
	Backend *hfaws.Backend
	Client  *workflow.Client
}

// MustSetup reads the configuration (ConfigFromEnv), opens the backend, makes the client, and
// a Lambda client for the runner to forward wakes to its other versions with.
// A problem is logged as one JSON line and the process exits: the Lambda's init fails with
// the reason in its logs.
func MustSetup() Env {
	cfg, log := MustConfig()
	awsCfg, err := loadAWS(context.Background())
	Must(log, err)
	b, err := hfaws.New(awsCfg, hfaws.Options{Table: cfg.Table, QueueURL: cfg.QueueURL})
	Must(log, err)
	cfg.Invoker = lambda.NewFromConfig(awsCfg)
	c := workflow.NewClient(b, workflow.ClientOptions{BaseURL: cfg.BaseURL, MaxPayloadBytes: cfg.MaxPayloadBytes})
	Must(log, c.Err())
	return Env{Config: cfg, Log: log, Backend: b, Client: c}
}

// Runner returns the runner function for the workflows of reg; a registry with invalid
// definitions is logged and the process exits.
func (e Env) Runner(reg *workflow.Registry) *Runner {
	Must(e.Log, reg.Err())
	return NewRunner(e.Backend, reg, e.Config, e.Log)
}
