package lambdafn

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Env is what every function starts from: its configuration and logger, the backend it
// names, and a client configured from the same settings (the base URL and payload limit
// that the webhook, resume and runner functions must agree on).
type Env struct {
	Config  Config
	Log     *slog.Logger
	Backend backend.Backend
	Client  *workflow.Client
}

// MustSetup reads the configuration (ConfigFromEnv), opens the backend (with the payload codec
// the configuration asks for, see PayloadCodec), makes the client, and
// a Lambda client for the runner to forward wakes to its other versions with.
// A problem is logged as one JSON line and the process exits: the Lambda's init fails with
// the reason in its logs.
func MustSetup() Env {
	cfg, log := MustConfig()
	awsCfg, err := loadAWS(context.Background())
	Must(log, err)
	b, err := openBackend(awsCfg, cfg)
	Must(log, err)
	cfg.Invoker = lambda.NewFromConfig(awsCfg)
	cfg.Secrets = Secrets(awsCfg)
	c := workflow.NewClient(b, workflow.ClientOptions{
		BaseURL: cfg.BaseURL, MaxPayloadBytes: cfg.MaxPayloadBytes, Secrets: cfg.Secrets,
	})
	Must(log, c.Err())
	return Env{Config: cfg, Log: log, Backend: b, Client: c}
}

// Runner returns the runner function for the workflows of reg; a registry with invalid
// definitions is logged and the process exits.
func (e Env) Runner(reg *workflow.Registry) *Runner {
	Must(e.Log, reg.Err())
	return NewRunner(e.Backend, reg, e.Config, e.Log)
}

// secretsTTL is how long the webhook function keeps a resolved signing secret: a rotated
// secret is picked up within it (keep the old one in the spec meanwhile).
const secretsTTL = 5 * time.Minute

// Secrets returns the resolver of webhook signing secrets the functions use: env:
// references from the function's environment, ssm: from Parameter Store (decrypted),
// secretsmanager: from Secrets Manager, each value cached for five minutes.
func Secrets(awsCfg aws.Config) verify.SecretResolver {
	return verify.NewCachingResolver(verify.MultiResolver{
		verify.SchemeEnv:            verify.EnvResolver{},
		verify.SchemeSSM:            verify.SSMResolver{Client: ssm.NewFromConfig(awsCfg)},
		verify.SchemeSecretsManager: verify.SecretsManagerResolver{Client: secretsmanager.NewFromConfig(awsCfg)},
	}, secretsTTL, time.Now)
}
