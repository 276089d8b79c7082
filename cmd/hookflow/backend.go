package main

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/backend"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The values of --backend.
const (
	backendServer = "server"
	backendAWS    = "aws"
)

// defaultServer is where `hookflow dev` listens by default.
const defaultServer = "http://127.0.0.1:8080"

// Environment variables the global flags default to. The table, queue and base URL ones are
// those the Lambda functions read (pkg/lambdafn).
const (
	envServer   = "HOOKFLOW_SERVER"
	envTable    = "HOOKFLOW_TABLE"
	envQueueURL = "HOOKFLOW_QUEUE_URL"
	envBaseURL  = "HOOKFLOW_BASE_URL"
	envRegion   = "AWS_REGION"
	envKMSKeyID = "HOOKFLOW_KMS_KEY_ID"
)

// requestTimeout bounds one call to the server's admin API.
const requestTimeout = 30 * time.Second

// globals are the flags every command takes: where the runs are.
type globals struct {
	server, backend, table, queueURL, region, kmsKeyID string
	// sigv4 is --sigv4: "true" or "false", or "" to sign only for an API Gateway host.
	sigv4  string
	getenv func(string) string
}

func (g *globals) register(root *cobra.Command, getenv func(string) string) {
	g.getenv = getenv
	f := root.PersistentFlags()
	f.StringVar(&g.server, "server", cmp.Or(getenv(envServer), defaultServer), "the hookflow server's URL; $"+envServer+" sets the default")
	f.StringVar(&g.backend, "backend", backendServer, "where the runs are: server (the admin API at --server) or aws (DynamoDB and SQS, directly)")
	f.StringVar(&g.table, "table", getenv(envTable), "--backend aws: the DynamoDB table (default $"+envTable+")")
	f.StringVar(&g.queueURL, "queue-url", getenv(envQueueURL), "--backend aws: the SQS wake queue's URL (default $"+envQueueURL+")")
	f.StringVar(&g.kmsKeyID, "kms-key-id", getenv(envKMSKeyID), "--backend aws: the KMS key the deployment encrypts payloads with (default $"+envKMSKeyID+"; the stack's PayloadKeyArn output)")
	f.StringVar(&g.region, "region", getenv(envRegion), "the AWS region of --backend aws and --sigv4 (default $"+envRegion+")")
	f.StringVar(&g.sigv4, "sigv4", "", "sign the requests to --server with AWS SigV4 (true or false): a deployment's IAM-authorized admin API needs it; default: true for an API Gateway host")
}

// open returns the admin API the global flags name, and a function that releases it. Both
// modes share every command's code: Remote calls a server's admin API, Local works on a
// backend opened here.
func (a *app) open(ctx context.Context) (admin.API, func(), error) {
	g := &a.global
	switch g.backend {
	case backendServer:
		u, err := url.Parse(g.server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, usagef("--server %q is not an http(s) URL, e.g. %s", g.server, defaultServer)
		}
		if g.sigv4 != "" && g.sigv4 != "true" && g.sigv4 != "false" {
			return nil, nil, usagef("--sigv4 %q: want true or false", g.sigv4)
		}
		hc, err := a.signingClient(ctx, &http.Client{Timeout: requestTimeout}, u.Host)
		if err != nil {
			return nil, nil, err
		}
		return admin.Remote(g.server, hc), hc.CloseIdleConnections, nil
	case backendAWS:
		if g.table == "" || g.queueURL == "" {
			return nil, nil, usagef("--backend aws needs --table and --queue-url (or %s and %s): the stack's TableName and QueueURL outputs", envTable, envQueueURL)
		}
		cfg, err := a.awsConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("loading the AWS configuration: %w", err)
		}
		raw, err := hfaws.New(cfg, hfaws.Options{Table: g.table, QueueURL: g.queueURL})
		if err != nil {
			return nil, nil, usageError{err}
		}
		var b backend.Backend = codec.Wrap(raw, codec.NoKeys())
		if g.kmsKeyID != "" {
			c, err := codec.NewKMS(kms.NewFromConfig(cfg), g.kmsKeyID)
			if err != nil {
				return nil, nil, usageError{fmt.Errorf("--kms-key-id: %w", err)}
			}
			b = codec.Wrap(raw, c)
		}
		c := workflow.NewClient(b, workflow.ClientOptions{BaseURL: g.getenv(envBaseURL)})
		if err := c.Err(); err != nil {
			_ = b.Close()
			return nil, nil, fmt.Errorf("%s: %w", envBaseURL, err)
		}
		return admin.Local(c, a.registry), func() { _ = b.Close() }, nil
	default:
		return nil, nil, usagef("--backend %q: must be %s or %s", g.backend, backendServer, backendAWS)
	}
}

// awsConfig loads the AWS configuration as the Lambda functions do (the environment's
// credentials, AWS_ENDPOINT_URL, ...), in the --region when one is given: for --backend aws
// and for gate.
func (a *app) awsConfig(ctx context.Context) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if a.global.region != "" {
		opts = append(opts, config.WithRegion(a.global.region))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}

// withAPI runs fn with the API the global flags name.
func (a *app) withAPI(cmd *cobra.Command, fn func(ctx context.Context, api admin.API) error) error {
	ctx := cmd.Context()
	api, release, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(ctx, api)
}
