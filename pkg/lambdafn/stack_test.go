package lambdafn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Tokens of the doors workflow's custom hooks: guessable, as custom tokens are.
const (
	doorsHookToken   = "order-7f3a9c"
	doorsSchemaToken = "refund-51d0e2"
)

// refund is the payload of doors' schema hook: both fields are required.
type refund struct {
	OrderID string `json:"orderId"`
	Cents   int    `json:"cents"`
}

var refundHook = workflow.DefineHook(workflow.DefineHookOptions[refund]{})

// doors waits on three hooks: a plain one, one with a schema (DefineHook) and a webhook.
var doors = workflow.Define("doors", func(ctx workflow.Context, _ struct{}) (string, error) {
	hook, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: doorsHookToken})
	if err != nil {
		return "", err
	}
	if _, err := refundHook.Create(ctx, workflow.HookOptions{Token: doorsSchemaToken}); err != nil {
		return "", err
	}
	if _, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{}); err != nil {
		return "", err
	}
	_, err = hook.Receive(ctx)
	return "", err
})

// stack is a backend with a doors run waiting on its three live hooks.
type stack struct {
	kind    string // "memory" or "dynamodb"
	b       backend.Backend
	runID   string
	hook    string // live tokens
	schema  string
	webhook string
	// dump returns every stored record (DynamoDB: a consistent scan of the table), or nil
	// when the driver cannot list them all (memory: the spy backend stands in).
	dump func(t *testing.T) []string
}

// tokens returns the stack's live tokens.
func (s *stack) tokens() []string { return []string{s.hook, s.schema, s.webhook} }

// onBackends runs fn as a parallel subtest on the memory backend and, when the AWS endpoint
// is up (see awstest), on DynamoDB and SQS.
func onBackends(t *testing.T, fn func(t *testing.T, s *stack)) {
	t.Helper()
	for _, kind := range []string{"memory", "dynamodb"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newStack(t, kind))
		})
	}
}

// newStack makes a backend of the kind and runs doors on it until it waits.
func newStack(t *testing.T, kind string) *stack {
	t.Helper()
	s := &stack{kind: kind, runID: "run-doors"}
	switch kind {
	case "memory":
		b := memory.New()
		t.Cleanup(func() { _ = b.Close() })
		s.b = b
	case "dynamodb":
		ae := awstest.Setup(t)
		name := awstest.UniqueName(t)
		ae.NewTable(t, name)
		opts := hfaws.Options{Table: name, QueueURL: ae.NewQueue(t, name, nil)}
		if ae.Moto() {
			// moto does not isolate DynamoDB transactions; the proxy does (see awstest).
			endpoint := awstest.SerializingProxy(t, ae.Endpoint)
			opts.DynamoDBOptions = []func(*dynamodb.Options){func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) }}
		}
		b, err := hfaws.New(ae.Config.Copy(), opts)
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		s.b = b
		s.dump = func(t *testing.T) []string { return scanTable(t, ae.DynamoDB, name) }
	default:
		t.Fatalf("unknown backend %q", kind)
	}
	ctx := t.Context()
	c := workflow.NewClient(s.b, workflow.ClientOptions{})
	_, err := workflow.Start(ctx, c, doors, struct{}{}, workflow.WithRunID(s.runID))
	require.NoError(t, err)
	r := NewRunner(s.b, workflow.NewRegistry(doors), Config{}, quiet)
	t.Cleanup(r.Close)
	require.NoError(t, r.w.RunTurn(ctx, s.runID))
	hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: s.runID})
	require.NoError(t, err)
	for _, h := range hooks {
		switch {
		case h.Webhook:
			s.webhook = h.Token
		case h.Token == doorsHookToken:
			s.hook = h.Token
		case h.Token == doorsSchemaToken:
			s.schema = h.Token
		}
	}
	require.NotEmpty(t, s.webhook, "doors waits on its webhook")
	require.NotEmpty(t, s.hook)
	require.NotEmpty(t, s.schema)
	return s
}

// scanTable returns every item of the table as its keys and a digest of its attributes,
// sorted.
func scanTable(t *testing.T, db *dynamodb.Client, table string) []string {
	t.Helper()
	var out []string
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		require.NoError(t, err)
		for _, it := range page.Items {
			names := slices.Sorted(maps.Keys(it))
			h := sha256.New()
			for _, k := range names {
				raw, err := json.Marshal(it[k])
				require.NoError(t, err)
				fmt.Fprintf(h, "%s=%T%s;", k, it[k], raw)
			}
			out = append(out, fmt.Sprintf("%s %s %x", keyOf(it[hfaws.AttrPK]), keyOf(it[hfaws.AttrSK]), h.Sum(nil)[:6]))
		}
	}
	sort.Strings(out)
	return out
}

// keyOf returns a key attribute's value, shortened.
func keyOf(v types.AttributeValue) string {
	s, _ := v.(*types.AttributeValueMemberS)
	if s == nil {
		return "?"
	}
	if len(s.Value) > 80 {
		return s.Value[:80] + "…"
	}
	return s.Value
}

// spy is a backend that records every write a handler attempts: creating runs, commits,
// inbox items (and with them idempotency records) and wake messages.
type spy struct {
	backend.Backend
	mu     sync.Mutex
	writes []string
}

func (s *spy) record(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, what)
}

// Writes returns the writes attempted so far.
func (s *spy) Writes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func (s *spy) CreateRun(ctx context.Context, run backend.Run, first []backend.Event) (backend.Run, error) {
	s.record("CreateRun " + run.ID)
	return s.Backend.CreateRun(ctx, run, first)
}

func (s *spy) Commit(ctx context.Context, c backend.Commit) error {
	s.record("Commit " + c.RunID)
	return s.Backend.Commit(ctx, c)
}

func (s *spy) PutInbox(ctx context.Context, it backend.InboxItem, idem *backend.Idempotency) (backend.InboxItem, *backend.Idempotency, error) {
	s.record("PutInbox " + it.RunID)
	return s.Backend.PutInbox(ctx, it, idem)
}

func (s *spy) RejectDelivery(ctx context.Context, token, runID, hookID string, at time.Time) error {
	s.record("RejectDelivery " + runID)
	return s.Backend.RejectDelivery(ctx, token, runID, hookID, at)
}

func (s *spy) Enqueue(ctx context.Context, runID string, delay time.Duration) error {
	s.record("Enqueue " + runID)
	return s.Backend.Enqueue(ctx, runID, delay)
}

// logBuffer collects what a logger writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logger returns a JSON logger writing to b.
func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(b, nil)) }
