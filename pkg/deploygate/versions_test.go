package deploygate_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/deploygate"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// fakeLambda has the published versions of one function and its live alias.
type fakeLambda struct {
	mu       sync.Mutex
	versions []string
	live     string
	deleted  []string
}

func (f *fakeLambda) ListVersionsByFunction(_ context.Context, in *lambda.ListVersionsByFunctionInput, _ ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &lambda.ListVersionsByFunctionOutput{}
	for _, v := range f.versions {
		out.Versions = append(out.Versions, types.FunctionConfiguration{FunctionName: in.FunctionName, Version: aws.String(v)})
	}
	return out, nil
}

func (f *fakeLambda) GetAlias(_ context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return &lambda.GetAliasOutput{Name: in.Name, FunctionVersion: aws.String(f.live)}, nil
}

func (f *fakeLambda) DeleteFunction(_ context.Context, in *lambda.DeleteFunctionInput, _ ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, aws.ToString(in.FunctionName)+":"+aws.ToString(in.Qualifier))
	return &lambda.DeleteFunctionOutput{}, nil
}

// gate versions lists the runner's published versions with the runs pinned to each, and
// retires only those older than the live one with no run in flight.
func TestGateVersions(t *testing.T) {
	t.Parallel()
	ae, b, table, queueURL := newDynamoDB(t)
	ctx := t.Context()
	c := workflow.NewClient(b, workflow.ClientOptions{})
	for _, run := range []struct{ id, version string }{{"on-2", "2"}, {"on-4", "4"}, {"also-on-4", "4"}} {
		_, err := workflow.Start(ctx, c, v1, "token:"+run.id, workflow.WithRunID(run.id))
		require.NoError(t, err)
		w := workflow.NewWorker(b, workflow.NewRegistry(v1), workflow.WorkerOptions{CodeVersion: run.version})
		require.NoError(t, w.RunTurn(ctx, run.id))
		w.Close()
	}
	fake := &fakeLambda{versions: []string{"$LATEST", "1", "2", "3", "4", "5"}, live: "4"}
	opts := deploygate.Options{
		AWSConfig: func(context.Context) (aws.Config, error) { return ae.Config.Copy(), nil },
		Lambda:    func(aws.Config) deploygate.LambdaAPI { return fake },
	}
	outputs := filepath.Join(t.TempDir(), "cdk-outputs.json")
	raw, err := json.Marshal(map[string]map[string]string{"Hookflow": {"TableName": table, "QueueURL": queueURL, "RunnerFunctionName": "hookflow-runner"}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(outputs, raw, 0o644))

	out, err := run(t, v1, opts, "versions", "--backend", "aws", "--outputs", outputs)
	require.NoError(t, err)
	require.Equal(t, `version 1: 0 runs in flight, retirable
version 2: 1 runs in flight
version 3: 0 runs in flight, retirable
version 4: 2 runs in flight, live
version 5: 0 runs in flight
gate: 2 versions have no run in flight: retire them with --retire
`, out, "version 5 is newer than the live one (a deploy under way): kept")
	require.Empty(t, fake.deleted)

	out, err = run(t, v1, opts, "versions", "--backend", "aws", "--outputs", outputs, "--retire")
	require.NoError(t, err)
	require.Contains(t, out, "version 1: 0 runs in flight, retired")
	require.Equal(t, []string{"hookflow-runner:1", "hookflow-runner:3"}, fake.deleted)

	_, err = run(t, v1, opts, "versions", "--db", "x.db")
	require.ErrorContains(t, err, "needs --backend aws")
	_, err = run(t, v1, opts, "versions", "--backend", "aws", "--table", table, "--queue-url", queueURL)
	require.ErrorContains(t, err, "--function")
}
