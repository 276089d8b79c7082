package lambdafn

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Environment variables the functions read.
const (
	EnvTable           = "HOOKFLOW_TABLE"             // DynamoDB table name (all functions)
	EnvQueueURL        = "HOOKFLOW_QUEUE_URL"         // SQS wake queue URL (all functions)
	EnvBaseURL         = "HOOKFLOW_BASE_URL"          // public base URL of the webhook route (runner, webhook)
	EnvMaxPayloadBytes = "HOOKFLOW_MAX_PAYLOAD_BYTES" // payload and body limit; default 262144
	EnvSweepGrace      = "HOOKFLOW_SWEEP_GRACE"       // runner: inbox items younger than this are left to their wake; default 30s
	EnvLogLevel        = "HOOKFLOW_LOG_LEVEL"         // debug, info, warn, error; default info
	EnvRetention       = "HOOKFLOW_RETENTION"         // runner: how long ended runs are kept: 720h, 30d or forever; default 30d
	EnvKMSKeyID        = "HOOKFLOW_KMS_KEY_ID"        // all functions: encrypt stored payloads under this KMS key (and compress them)
	EnvCompress        = "HOOKFLOW_COMPRESS"          // all functions: "true" compresses stored payloads; implied by HOOKFLOW_KMS_KEY_ID
)

// maxConfigPayload bounds HOOKFLOW_MAX_PAYLOAD_BYTES, as the CDK construct bounds its
// MaxPayloadBytes (infra/hookflow/props.go): within workflow.MaxPayloadLimit, with room for
// the largest headers API Gateway passes.
const maxConfigPayload = 300 << 10

// Config is the functions' configuration, read from the environment.
type Config struct {
	Table           string
	QueueURL        string
	BaseURL         string
	MaxPayloadBytes int64
	SweepGrace      time.Duration
	LogLevel        string
	// Retention is how long the runner keeps ended runs (workflow.WorkerOptions.Retention):
	// 0 is the default, workflow.KeepForever keeps them.
	Retention time.Duration
	// KMSKeyID, when set, makes every function store payloads encrypted under this KMS key
	// with envelope encryption, compressed first (see PayloadCodec); all functions of a
	// deployment must agree. Compress compresses without encrypting.
	KMSKeyID string
	Compress bool
	// FunctionName and FunctionVersion are the function's own, as Lambda sets them
	// (AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION): a runner invoked as a
	// published version pins runs to it (see forward.go).
	FunctionName    string
	FunctionVersion string
	// Invoker forwards wakes to other versions of the runner; not read from the
	// environment: MustSetup makes it from the AWS configuration.
	Invoker Invoker `json:"-"`
	// Secrets resolves webhooks' signing secrets: the webhook function checks requests with
	// it, the runner checks at CreateWebhook that each secret resolves. Not read from the
	// environment: MustSetup makes it (see Secrets); nil: the process environment only.
	Secrets verify.SecretResolver `json:"-"`
	// TracerProvider makes the runner's spans (turns and steps); nil: the global provider,
	// which a main that installs an OpenTelemetry SDK sets. Not read from the environment.
	TracerProvider trace.TracerProvider `json:"-"`
}

// ConfigFromEnv reads and validates the configuration. Every problem is reported at once, by
// variable name, so a misconfigured function fails its first invocation with a clear message.
func ConfigFromEnv() (Config, error) {
	return configFrom(os.Getenv)
}

func configFrom(get func(string) string) (Config, error) {
	cfg := Config{
		Table:           strings.TrimSpace(get(EnvTable)),
		QueueURL:        strings.TrimSpace(get(EnvQueueURL)),
		BaseURL:         strings.TrimRight(strings.TrimSpace(get(EnvBaseURL)), "/"),
		MaxPayloadBytes: workflow.DefaultMaxPayloadBytes,
		SweepGrace:      30 * time.Second,
		LogLevel:        strings.ToLower(strings.TrimSpace(get(EnvLogLevel))),
		FunctionName:    get("AWS_LAMBDA_FUNCTION_NAME"),
		FunctionVersion: get("AWS_LAMBDA_FUNCTION_VERSION"),
	}
	var errs []error
	if cfg.Table == "" {
		errs = append(errs, fmt.Errorf("%s is not set: the DynamoDB table name", EnvTable))
	}
	if cfg.QueueURL == "" {
		errs = append(errs, fmt.Errorf("%s is not set: the SQS wake queue URL", EnvQueueURL))
	} else if u, err := url.Parse(cfg.QueueURL); err != nil || u.Scheme == "" || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s=%q is not a URL", EnvQueueURL, cfg.QueueURL))
	}
	if cfg.BaseURL != "" {
		if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q is not an http(s) URL", EnvBaseURL, cfg.BaseURL))
		}
	}
	if v := get(EnvMaxPayloadBytes); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > maxConfigPayload {
			errs = append(errs, fmt.Errorf("%s=%q must be a byte count from 1 to %d", EnvMaxPayloadBytes, v, maxConfigPayload))
		} else {
			cfg.MaxPayloadBytes = n
		}
	}
	if v := get(EnvSweepGrace); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s=%q must be a non-negative duration such as 30s", EnvSweepGrace, v))
		} else {
			cfg.SweepGrace = d
		}
	}
	cfg.KMSKeyID = strings.TrimSpace(get(EnvKMSKeyID))
	switch v := strings.TrimSpace(get(EnvCompress)); v {
	case "", "false":
	case "true":
		cfg.Compress = true
	default:
		errs = append(errs, fmt.Errorf("%s=%q must be true or false", EnvCompress, v))
	}
	if v := strings.TrimSpace(get(EnvRetention)); v != "" {
		d, err := workflow.ParseRetention(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvRetention, v, err))
		} else {
			cfg.Retention = d
		}
	}
	switch cfg.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("%s=%q must be debug, info, warn or error", EnvLogLevel, cfg.LogLevel))
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, fmt.Errorf("hookflow: invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// MustConfig reads the configuration and returns it with the functions' logger. A bad
// configuration is logged as one JSON error line naming every problem, and the process exits:
// the Lambda's init fails with the reason in its logs.
func MustConfig() (Config, *slog.Logger) {
	cfg, err := ConfigFromEnv()
	log := Logger(cfg)
	Must(log, err)
	return cfg, log
}

// Must logs err and exits when it is not nil.
func Must(log *slog.Logger, err error) {
	if err != nil {
		log.Error("hookflow: cannot start", "error", err.Error())
		os.Exit(1)
	}
}
