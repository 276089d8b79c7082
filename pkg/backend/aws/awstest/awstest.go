// Package awstest helps tests run against a local AWS endpoint, the moto server that
// `make test` starts or LocalStack (see localstack/): it finds the endpoint, skips or fails
// by the project's rule when there is none, makes a table and a queue per test, and works
// around moto's unisolated DynamoDB transactions for code running in other processes.
//
// The rule: a test that needs the endpoint skips, saying how to start one, when nothing
// answers at AWS_ENDPOINT_URL (default DefaultEndpoint); with HOOKFLOW_REQUIRE_AWS=1, as
// `make test` sets it, it fails instead, so that CI never skips it silently.
package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

// DefaultEndpoint is where `make test` starts the emulator (localstack/start-moto.sh).
const DefaultEndpoint = "http://localhost:4566"

// EnvRequire names the variable that turns a missing endpoint from a skip into a failure.
const EnvRequire = "HOOKFLOW_REQUIRE_AWS"

// Endpoint kinds, as Env.Kind reports them.
const (
	KindMoto       = "moto"
	KindLocalStack = "localstack"
	KindOther      = "other"
)

// Env is the AWS endpoint the tests run against.
type Env struct {
	Endpoint string // e.g. http://localhost:4566
	Kind     string // KindMoto, KindLocalStack or KindOther
	Region   string
	// Config holds the endpoint, the region (AWS_REGION, default us-east-1) and the
	// credentials (the environment's, else static "test" ones).
	Config   aws.Config
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
}

// Moto reports whether the endpoint is the moto server, whose DynamoDB transactions are
// not isolated from each other (see SerializingProxy).
func (e *Env) Moto() bool { return e.Kind == KindMoto }

var load = sync.OnceValues(func() (*Env, error) {
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	kind, err := probe(endpoint)
	if err != nil {
		return nil, err
	}
	opts := []func(*config.LoadOptions) error{config.WithBaseEndpoint(endpoint)}
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		opts = append(opts, config.WithRegion("us-east-1"))
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return &Env{
		Endpoint: endpoint, Kind: kind, Region: cfg.Region, Config: cfg,
		DynamoDB: dynamodb.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg),
	}, nil
})

// probe finds out what answers at endpoint. moto is asked for its dashboard page, which is
// static (its data.json dumps every object it has made and gets slow).
func probe(endpoint string) (string, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for _, p := range []struct{ kind, path string }{
		{KindLocalStack, "/_localstack/health"},
		{KindMoto, "/moto-api/"},
	} {
		resp, err := client.Get(endpoint + p.path)
		if err != nil {
			return "", fmt.Errorf("no AWS endpoint answers at %s: %w", endpoint, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return p.kind, nil
		}
	}
	return KindOther, nil
}

// Setup returns the endpoint, or skips the test when there is none; with
// HOOKFLOW_REQUIRE_AWS=1 it fails instead.
func Setup(t testing.TB) *Env {
	t.Helper()
	e, err := load()
	if err != nil {
		msg := fmt.Sprintf("integration test needs an AWS endpoint (AWS_ENDPOINT_URL, default %s): %v\n"+
			"start one with ./localstack/start-moto.sh (make test does), or LocalStack with localstack/docker-compose.yml",
			DefaultEndpoint, err)
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal(msg + "\n" + EnvRequire + "=1: failing instead of skipping")
		}
		t.Skip(msg)
	}
	return e
}

// UniqueName returns a name for a table or queue that no other test uses.
func UniqueName(t testing.TB) string {
	t.Helper()
	var buf [6]byte
	if _, err := rand.Read(buf[:]); err != nil {
		t.Fatal(err)
	}
	return "hookflow-test-" + hex.EncodeToString(buf[:])
}

// NewTable creates a table of the driver's schema (awsbackend.CreateTable) named name and
// deletes it when the test ends.
func (e *Env) NewTable(t testing.TB, name string) {
	t.Helper()
	if err := awsbackend.CreateTable(t.Context(), e.DynamoDB, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := awsbackend.DeleteTable(ctx, e.DynamoDB, name); err != nil {
			t.Error(err)
		}
	})
}

// NewQueue creates a standard queue named name with the given SQS attributes (may be nil),
// deletes it when the test ends, and returns its URL.
func (e *Env) NewQueue(t testing.TB, name string, attributes map[string]string) string {
	t.Helper()
	url, err := awsbackend.CreateQueue(t.Context(), e.SQS, name, attributes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := awsbackend.DeleteQueue(ctx, e.SQS, url); err != nil {
			t.Error(err)
		}
	})
	return url
}
