package workflow_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "720h": 720 * time.Hour, "90m": 90 * time.Minute, "forever": workflow.KeepForever,
	} {
		got, err := workflow.ParseRetention(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "0", "0d", "-1h", "1.5d", "d", "soon", "Forever", "40000d"} {
		_, err := workflow.ParseRetention(bad)
		require.ErrorIs(t, err, workflow.ErrInvalidArgument, bad)
	}
}

var greet = workflow.Define("greet", func(ctx workflow.Context, name string) (string, error) {
	return workflow.Step(ctx, "greet", func(context.Context) (string, error) { return "hello " + name, nil })
})

// In the test kit, AdvanceTime past a run's retention deletes it, a workflow kept for ever
// stays, and a codec stores every payload encoded while the workflow works the same.
func TestTestKitRetentionAndCodec(t *testing.T) {
	t.Parallel()
	keys, err := codec.NewLocalKeys("k1", map[string][]byte{"k1": make([]byte, 32)})
	require.NoError(t, err)
	c, err := codec.New(codec.Options{Compress: true, Keys: keys})
	require.NoError(t, err)
	kept := greet.WithRetention(workflow.KeepForever)
	ctx := t.Context()

	env := workflowtest.NewWithOptions(t, workflowtest.Options{Retention: 24 * time.Hour, Codec: c}, greet)
	run, err := workflow.Start(ctx, env.Client(), greet, "ada")
	require.NoError(t, err)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello ada", out)
	raw, err := env.Backend().GetRun(ctx, run.ID())
	require.NoError(t, err)
	require.True(t, codec.IsEncoded(raw.Output), "the store holds the output encoded")
	info, err := env.Client().GetRun(ctx, run.ID())
	require.NoError(t, err)
	require.Equal(t, workflowtest.Start.Add(24*time.Hour), info.DeleteAt)

	env.AdvanceTime(23 * time.Hour)
	_, err = env.Client().GetRun(ctx, run.ID())
	require.NoError(t, err, "kept until its retention passes")
	env.AdvanceTime(time.Hour)
	_, err = env.Client().GetRun(ctx, run.ID())
	require.ErrorIs(t, err, workflow.ErrRunNotFound, "deleted once it has")

	forever := workflowtest.NewWithOptions(t, workflowtest.Options{Retention: time.Hour}, kept)
	run, err = workflow.Start(ctx, forever.Client(), kept, "grace")
	require.NoError(t, err)
	_, err = run.Result(ctx)
	require.NoError(t, err)
	forever.AdvanceTime(365 * 24 * time.Hour)
	_, err = forever.Client().GetRun(ctx, run.ID())
	require.NoError(t, err, "a workflow kept for ever keeps its runs")
}
