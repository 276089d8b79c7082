package bench

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

var ingestInbox = workflow.Define("bench-ingest-floor", func(ctx workflow.Context, _ struct{}) (int, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, err := range wh.All(ctx) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
})

// BenchmarkIngestAgainstFloor times, on the AWS endpoint, a warm 202 webhook delivery through
// the route and its floor (one TransactWriteItems of a ConditionCheck on the token record and
// a Put of an item the size of the stored request, then one SendMessage) one after the other,
// on one table, so that both meet the same table: moto's transactions slow down as a table
// grows, and timing them apart compares tables, not operations. It reports both p50s and
// their ratio. No worker runs: the inbox fills as the floor's items do.
func BenchmarkIngestAgainstFloor(b *testing.B) {
	env := awstest.Setup(b)
	name := awstest.UniqueName(b)
	env.NewTable(b, name)
	queue := env.NewQueue(b, name, nil)
	cfg := env.Config.Copy()
	if env.Moto() {
		cfg.APIOptions = append(cfg.APIOptions, awstest.SerializeDynamoDB(&sync.RWMutex{}))
	}
	be, err := awsbackend.New(cfg, awsbackend.Options{Table: name, QueueURL: queue})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	ctx := b.Context()
	c := workflow.NewClient(be, workflow.ClientOptions{})
	w := workflow.NewWorker(be, workflow.NewRegistry(ingestInbox), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
	defer w.Close()
	run, err := workflow.Start(ctx, c, ingestInbox, struct{}{})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.RunTurn(ctx, run.ID()); err != nil {
		b.Fatal(err)
	}
	hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
	if err != nil || len(hooks) != 1 {
		b.Fatalf("hooks %v, %v", hooks, err)
	}
	h := webhook.NewHandler(c, webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	payload := `{"data":"` + strings.Repeat("x", 1000) + `"}`
	ingest := func() error {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader(payload)))
		if rec.Code != http.StatusAccepted {
			return fmt.Errorf("status %d", rec.Code)
		}
		return nil
	}
	db, q := dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	token := map[string]types.AttributeValue{"pk": str("TOKEN#" + hooks[0].Token), "sk": str("META")}
	pad := make([]byte, 1400) // with its keys, the size of the stored 1 KiB request
	n := 0
	floor := func() error {
		n++
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String(name), Key: token, ConditionExpression: aws.String("attribute_exists(pk)")}},
			{Put: &types.Put{TableName: aws.String(name), Item: map[string]types.AttributeValue{
				"pk": str("FLOOR#" + run.ID()), "sk": str(fmt.Sprint(n)), "b": &types.AttributeValueMemberB{Value: pad}}}},
		}})
		if err != nil {
			return err
		}
		_, err = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(`{"runId":"` + run.ID() + `"}`)})
		return err
	}
	// Warm the client's token cache, and let the run fall out of the hot window, so that
	// the deliveries timed are the warm 202s of a run that is not being flooded.
	for range 3 {
		if err := ingest(); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	var ing, fl []time.Duration
	timed := func(op func() error, into *[]time.Duration) {
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		*into = append(*into, time.Since(t0))
	}
	b.ResetTimer()
	for b.Loop() {
		timed(ingest, &ing)
		timed(floor, &fl)
	}
	p50 := func(d []time.Duration) time.Duration {
		d = slices.Clone(d)
		slices.Sort(d)
		return d[len(d)/2]
	}
	b.ReportMetric(float64(p50(ing).Microseconds())/1000, "ingest-p50-ms")
	b.ReportMetric(float64(p50(fl).Microseconds())/1000, "floor-p50-ms")
	b.ReportMetric(p50(ing).Seconds()/p50(fl).Seconds(), "ratio")
}
