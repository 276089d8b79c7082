package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/lambdafn"
)

// Phases of one delivery on AWS, as the cost breakdown names them.
const (
	phaseIngest = "webhook function"
	phasePoll   = "SQS poller: receive"
	phaseTurn   = "runner function (turn)"
	phaseAck    = "SQS poller: delete"
)

// call is one AWS call of the cost breakdown, with what the Meter counted for it.
type call struct {
	phase, op, what string
	u               awstest.Usage
}

// callLog records the metered calls one by one, in the phase the benchmark says it is in.
// Its middleware goes before the Meter's and holds a lock across each call, so that the usage
// between the Meter's readings around a call is that call's own (calls of one delivery take
// turns).
type callLog struct {
	mu    sync.Mutex
	meter *awstest.Meter
	phase string // "": not recorded
	calls []call
}

func (l *callLog) option() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("benchCallLog",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				l.mu.Lock()
				if l.phase == "" {
					l.mu.Unlock()
					return next.HandleInitialize(ctx, in)
				}
				defer l.mu.Unlock()
				before := l.meter.Usage()
				out, md, err := next.HandleInitialize(ctx, in)
				op := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
				l.calls = append(l.calls, call{phase: l.phase, op: op, what: describe(in.Parameters), u: l.meter.Usage().Sub(before)})
				return out, md, err
			}), middleware.Before)
	}
}

// in sets the phase the next calls belong to ("": not recorded).
func (l *callLog) in(phase string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.phase = phase
}

// take returns the calls recorded since the last take.
func (l *callLog) take() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	calls := l.calls
	l.calls = nil
	return calls
}

// cost measures the end-to-end cost of one 1 KiB webhook delivery on DynamoDB and SQS: the
// webhook function storing it, the SQS poller of the runner's event source mapping receiving
// the wake, the runner function's turn that receives it in the workflow, and the poller
// deleting the wake; with a warm runner (the run parked in memory since its last turn) and a
// cold one (a new runner per delivery, as a new Lambda execution environment). Nothing else
// runs meanwhile, so each call's usage is its own.
func (s *suite) cost(t *testing.T) {
	e := newEnv(t, kindDynamoDB, s.ae)
	log := e.aws.calls
	sk := newSink()
	defer sk.close()
	runID := start(t, e, webhookFlow, flowInput{Sink: sk.id, Mode: mode202}, false)
	poller := sqs.NewFromConfig(e.aws.mcfg)
	warmRunner := lambdafn.NewRunner(e.aws.metered, registry, lambdafn.Config{BaseURL: baseURL}, e.log)
	defer warmRunner.Close()
	ctx := waitCtx(t)

	// The first turn creates the webhook; two deliveries make the runner and the client warm.
	for s.pollOnce(t, ctx, e, poller, warmRunner, log, false) > 0 {
	}
	token := awaitToken(t, sk, runID)
	send, _ := e.sender(e.meteredClient())
	deliver := func(n int) {
		status, b, err := send(ctx, token, body(n))
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, status, "answer %q", b)
	}
	for n := range 2 {
		deliver(n)
		for s.pollOnce(t, ctx, e, poller, warmRunner, log, false) > 0 {
		}
		_, err := sk.wait(ctx, n)
		require.NoError(t, err)
	}

	sample := func(n int, runner *lambdafn.Runner) []call {
		log.in(phaseIngest)
		deliver(n)
		require.Positive(t, s.pollOnce(t, ctx, e, poller, runner, log, true), "the wake of delivery %d", n)
		log.in("")
		_, err := sk.wait(ctx, n)
		require.NoError(t, err, "the turn received delivery %d", n)
		for s.pollOnce(t, ctx, e, poller, runner, log, false) > 0 { // a continuation, if any
		}
		return log.take()
	}
	var warm, cold [][]call
	for i := range s.sz.costSamples {
		warm = append(warm, sample(100+i, warmRunner))
	}
	for i := range s.sz.costSamples {
		r := lambdafn.NewRunner(e.aws.metered, registry, lambdafn.Config{BaseURL: baseURL}, e.log)
		cold = append(cold, sample(200+i, r))
		r.Close()
	}

	rep := warm[0]
	for _, c := range rep {
		s.rp.cost = append(s.rp.cost, costLine{phase: c.phase, call: shortOp(c.op), what: c.what, wru: c.u.WriteUnits, iwru: c.u.IndexWriteUnits, rru: c.u.ReadUnits})
	}
	total := func(label string, samples [][]call, phases ...string) {
		var sum awstest.Usage
		for _, calls := range samples {
			for _, c := range calls {
				if len(phases) == 0 || slices.Contains(phases, c.phase) {
					sum = addUsage(sum, c.u)
				}
			}
		}
		p := divide(sum, len(samples))
		s.rp.totals = append(s.rp.totals, costLine{phase: label, call: p.callsString(), wru: p.wru, iwru: p.iwru, rru: p.rru})
	}
	total("ingest (the webhook function)", warm, phaseIngest)
	total("the warm runner's turn", warm, phaseTurn)
	total("end to end, warm runner", warm)
	total("the cold runner's turn", cold, phaseTurn)
	total("end to end, cold runner", cold)
	if f := s.fl.usage; f != nil {
		s.rp.totals = append(s.rp.totals, costLine{phase: "floor: " + s.fl.names["ingest"], call: f.callsString(), wru: f.wru, iwru: f.iwru, rru: f.rru})
	}
	for i, calls := range warm[1:] {
		if a, b := sequence(calls), sequence(rep); a != b {
			s.rp.note("The cost of warm delivery %d differed from the one shown: %s, instead of %s.", i+2, a, b)
		}
	}
}

// pollOnce plays the runner's SQS event source mapping once: it receives up to 10 wake
// messages (waiting up to a second for one when wait is set), hands them to runner.HandleSQS,
// and deletes those it did not report as failed; it returns how many it received. With record
// set, the calls go to log in their phases.
func (s *suite) pollOnce(t *testing.T, ctx context.Context, e *env, poller *sqs.Client, runner *lambdafn.Runner, log *callLog, record bool) int {
	t.Helper()
	phase := func(p string) {
		if record {
			log.in(p)
		}
	}
	phase(phasePoll)
	var msgs []sqstypes.Message
	deadline := time.Now().Add(5 * time.Second)
	for {
		in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.aws.queueURL), MaxNumberOfMessages: 10}
		if record {
			in.WaitTimeSeconds = 1
		}
		out, err := poller.ReceiveMessage(ctx, in)
		require.NoError(t, err)
		msgs = out.Messages
		if len(msgs) > 0 || !record || time.Now().After(deadline) {
			break
		}
	}
	if len(msgs) == 0 {
		return 0
	}
	ev := events.SQSEvent{}
	for _, m := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body)})
	}
	phase(phaseTurn)
	resp := runner.HandleSQS(ctx, ev)
	require.Empty(t, resp.BatchItemFailures, "the runner failed a wake")
	phase(phaseAck)
	var del []sqstypes.DeleteMessageBatchRequestEntry
	for _, m := range msgs {
		del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: m.MessageId, ReceiptHandle: m.ReceiptHandle})
	}
	_, err := poller.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(e.aws.queueURL), Entries: del})
	require.NoError(t, err)
	return len(msgs)
}

// sequence names the calls in order, for comparing two deliveries.
func sequence(calls []call) string {
	var ops []string
	for _, c := range calls {
		ops = append(ops, shortOp(c.op))
	}
	return strings.Join(ops, ", ")
}

// shortOp drops the service of "DynamoDB.GetItem", except SQS's.
func shortOp(op string) string {
	if svc, name, ok := strings.Cut(op, "."); ok && svc == "DynamoDB" {
		return name
	}
	return op
}

// describe says which items a DynamoDB call touches (by their key prefixes: RUN#…/INB#… is a
// run's inbox item) and which attributes an update names, or what an SQS call carries.
func describe(params any) string {
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		return "get " + shortKey(p.Key)
	case *dynamodb.PutItemInput:
		return "put " + shortKey(p.Item)
	case *dynamodb.UpdateItemInput:
		return "update " + shortKey(p.Key) + names(p.ExpressionAttributeNames)
	case *dynamodb.DeleteItemInput:
		return "delete " + shortKey(p.Key)
	case *dynamodb.QueryInput:
		var vals []string
		for _, v := range p.ExpressionAttributeValues {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				vals = append(vals, shortValue(sv.Value))
			}
		}
		sort.Strings(vals)
		idx := ""
		if p.IndexName != nil {
			idx = " on " + *p.IndexName
		}
		return "query " + strings.Join(vals, " ") + idx
	case *dynamodb.TransactWriteItemsInput:
		var parts []string
		for _, it := range p.TransactItems {
			switch {
			case it.Put != nil:
				parts = append(parts, "put "+shortKey(it.Put.Item))
			case it.Update != nil:
				parts = append(parts, "update "+shortKey(it.Update.Key)+names(it.Update.ExpressionAttributeNames))
			case it.Delete != nil:
				parts = append(parts, "delete "+shortKey(it.Delete.Key))
			case it.ConditionCheck != nil:
				parts = append(parts, "check "+shortKey(it.ConditionCheck.Key))
			}
		}
		return strings.Join(parts, " + ")
	case *dynamodb.BatchWriteItemInput:
		n := 0
		for _, rs := range p.RequestItems {
			n += len(rs)
		}
		return fmt.Sprintf("%d items", n)
	case *dynamodb.BatchGetItemInput:
		n := 0
		for _, ks := range p.RequestItems {
			n += len(ks.Keys)
		}
		return fmt.Sprintf("%d items", n)
	case *sqs.SendMessageInput:
		if p.DelaySeconds > 0 {
			return fmt.Sprintf("a wake, delayed %d s", p.DelaySeconds)
		}
		return "a wake"
	case *sqs.ReceiveMessageInput:
		return fmt.Sprintf("up to %d wakes", p.MaxNumberOfMessages)
	case *sqs.DeleteMessageBatchInput:
		return fmt.Sprintf("%d wake(s)", len(p.Entries))
	}
	return ""
}

// shortKey prints an item's key by its prefixes: "RUN#…/INB#…", "TOKEN#…/META".
func shortKey(item map[string]types.AttributeValue) string {
	str := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return shortValue(v.Value)
		}
		return "?"
	}
	return str("pk") + "/" + str("sk")
}

func shortValue(v string) string {
	if i := strings.IndexByte(v, '#'); i >= 0 && i < len(v)-1 {
		return v[:i+1] + "…"
	}
	return v
}

// names prints the attribute names of an expression: " (lease, leaseExp)".
func names(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	var ns []string
	for _, n := range m {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return " (" + strings.Join(ns, ", ") + ")"
}
