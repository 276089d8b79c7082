package hookflow

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/stretchr/testify/require"
)

func TestPropsDefaults(t *testing.T) {
	t.Parallel()
	p := Props{}.withDefaults()
	require.Equal(t, DefaultCodeDir, p.CodeDir)
	require.Equal(t, awscdk.RemovalPolicy_RETAIN, p.RemovalPolicy)
	require.True(t, *p.DeletionProtection)
	require.Equal(t, 5, p.MaxReceiveCount)
	require.Equal(t, 2*time.Minute, p.RunnerTimeout)
	require.Equal(t, 12*time.Minute, p.VisibilityTimeout)
	require.Equal(t, 29*time.Second, p.WebhookTimeout)
	require.Equal(t, 29*time.Second, p.AdminTimeout)
	require.Equal(t, 256, p.AdminMemoryMiB)
	require.Equal(t, awslogs.RetentionDays_ONE_MONTH, p.LogRetention)
	require.Nil(t, p.EncryptPayloads, "payloads are not encrypted")
	require.Empty(t, p.retention(), "HOOKFLOW_RETENTION unset: the runner's default")

	p = Props{RunnerTimeout: 5 * time.Minute, DeletionProtection: ptr(false)}.withDefaults()
	require.Equal(t, 30*time.Minute, p.VisibilityTimeout, "six times the runner's timeout")
	require.False(t, *p.DeletionProtection)
}

func TestPropsValidate(t *testing.T) {
	t.Parallel()
	valid := Props{CodeDir: testCodeDir}.withDefaults()
	require.NoError(t, valid.validate())

	// Valid lifecycle props: the bounds of RetentionDays, for ever, a given key without
	// EncryptPayloads.
	for _, modify := range []func(*Props){
		func(p *Props) { p.RetentionDays = ptr(1) },
		func(p *Props) { p.RetentionDays = ptr(36500); p.KeepRunsForever = ptr(false) },
		func(p *Props) { p.KeepRunsForever = ptr(true) },
		func(p *Props) { p.PayloadKey = fakeKey{}; p.EncryptPayloads = ptr(false) },
	} {
		p := valid
		modify(&p)
		require.NoError(t, p.validate())
	}

	for _, tc := range []struct {
		name   string
		modify func(*Props)
		want   string
	}{
		{"visibility not above the runner", func(p *Props) { p.VisibilityTimeout = p.RunnerTimeout }, "VisibilityTimeout 2m0s"},
		{"webhook at API Gateway's limit", func(p *Props) { p.WebhookTimeout = 30 * time.Second }, "WebhookTimeout 30s"},
		{"runner above Lambda's limit", func(p *Props) { p.RunnerTimeout = 16 * time.Minute; p.VisibilityTimeout = time.Hour }, "RunnerTimeout 16m0s"},
		{"fractional timeout", func(p *Props) { p.ResumeTimeout = 1500 * time.Millisecond }, "ResumeTimeout 1.5s"},
		{"admin at API Gateway's limit", func(p *Props) { p.AdminTimeout = 30 * time.Second }, "AdminTimeout 30s"},
		{"admin memory", func(p *Props) { p.AdminMemoryMiB = 100 }, "AdminMemoryMiB 100"},
		{"one concurrent runner", func(p *Props) { p.MaxConcurrency = 1 }, "MaxConcurrency 1"},
		{"batch above 10", func(p *Props) { p.BatchSize = 11 }, "BatchSize 11"},
		{"sweep in seconds", func(p *Props) { p.SweepEvery = 90 * time.Second }, "SweepEvery 1m30s"},
		{"log level", func(p *Props) { p.LogLevel = "verbose" }, `LogLevel "verbose"`},
		{"payload above DynamoDB's room", func(p *Props) { p.MaxPayloadBytes = 400 << 10 }, "MaxPayloadBytes 409600"},
		{"memory", func(p *Props) { p.RunnerMemoryMiB = 64 }, "RunnerMemoryMiB 64"},
		{"snapshot", func(p *Props) { p.RemovalPolicy = awscdk.RemovalPolicy_SNAPSHOT }, "RemovalPolicy SNAPSHOT"},
		{"retention of no days", func(p *Props) { p.RetentionDays = ptr(0) }, "RetentionDays 0: must be 1 to 36500"},
		{"negative retention", func(p *Props) { p.RetentionDays = ptr(-1) }, "RetentionDays -1: must be 1 to 36500"},
		{"retention beyond a century", func(p *Props) { p.RetentionDays = ptr(36501) }, "RetentionDays 36501: must be 1 to 36500"},
		{"retention and forever", func(p *Props) { p.RetentionDays = ptr(30); p.KeepRunsForever = ptr(true) },
			"RetentionDays 30 and KeepRunsForever: set one of them, not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := valid
			tc.modify(&p)
			err := p.validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPropsValidateMissingBinaries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, FnRunner), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, FnRunner, "bootstrap"), []byte("x"), 0o755))
	err := Props{CodeDir: dir}.withDefaults().validate()
	require.Error(t, err)
	require.Contains(t, err.Error(), filepath.Join(dir, FnWebhook, "bootstrap")+" is missing: run `make build`")
	require.Contains(t, err.Error(), filepath.Join(dir, FnResume, "bootstrap"))
	require.Contains(t, err.Error(), filepath.Join(dir, FnAdmin, "bootstrap"))
	require.NotContains(t, err.Error(), filepath.Join(dir, FnRunner, "bootstrap"))
}
