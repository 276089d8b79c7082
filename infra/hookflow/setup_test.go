package hookflow

// The tests synthesize the stack through jsii, whose Go runtime talks to one node process
// over one pipe without a lock around a request and its answer: two goroutines calling into
// the CDK at once can read each other's answers. So every test that touches the CDK runs
// serially (no t.Parallel), and the tests that only read the synthesized template as Go
// values, or test plain Go, run in parallel. Parallel tests start after every serial test
// has finished, so the two never overlap.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/require"
)

// testCodeDir holds dummy webhook/, runner/, resume/ and admin/ bootstraps, each a different
// file, so that the test can tell which function got which.
var testCodeDir string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "hookflow-infra-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		testCodeDir = filepath.Join(dir, "lambda")
		for _, fn := range []string{FnWebhook, FnRunner, FnResume, FnAdmin} {
			if err := os.MkdirAll(filepath.Join(testCodeDir, fn), 0o755); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if err := os.WriteFile(filepath.Join(testCodeDir, fn, "bootstrap"), []byte("#!/bin/sh\n# "+fn+"\n"), 0o755); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return m.Run()
	}()
	jsii.Close()
	os.Exit(code)
}

// cdkContext returns the context of ../cdk.json, feature flags included, with the code
// directory pointed at the dummy binaries: the tests synthesize what `make synth` does.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../cdk.json")
	require.NoError(t, err)
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	require.NoError(t, json.Unmarshal(raw, &cfg))
	require.NotEmpty(t, cfg.Context)
	cfg.Context[CtxCodeDir] = testCodeDir
	return cfg.Context
}

// synthesized is a synthesized stack: the construct, the template for CDK assertions, and
// the same template as Go values.
type synthesized struct {
	stack  *Stack
	tmpl   assertions.Template
	cfn    template
	outdir string
}

// synth synthesizes a stack in an app with the given context and props, after calling
// extend (if not nil) to add to it.
func synth(t *testing.T, context map[string]any, props *StackProps, extend func(*Stack)) *synthesized {
	t.Helper()
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &context, Outdir: jsii.String(outdir)})
	stack := NewStack(app, jsii.String("Test"), props)
	if extend != nil {
		extend(stack)
	}
	s := &synthesized{stack: stack, tmpl: assertions.Template_FromStack(stack.Stack, nil), outdir: outdir}
	s.cfn = decodeTemplate(t, s.tmpl.ToJSON())
	return s
}

var (
	defaultOnce  sync.Once
	defaultStack *synthesized
)

// setupDefault returns the stack that cdk.json configures, synthesized once for all tests.
// The first call must come from a serial test.
func setupDefault(t *testing.T) *synthesized {
	t.Helper()
	defaultOnce.Do(func() {
		ctx := cdkContext(t)
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(testCodeDir, "..", "cdk.out"))})
		name, props, err := StackFromContext(app.Node())
		require.NoError(t, err)
		require.Equal(t, DefaultStackName, name)
		stack := NewStack(app, jsii.String(name), &props)
		s := &synthesized{stack: stack, tmpl: assertions.Template_FromStack(stack.Stack, nil), outdir: *app.Outdir()}
		s.cfn = decodeTemplate(t, s.tmpl.ToJSON())
		defaultStack = s
	})
	require.NotNil(t, defaultStack, "the default stack did not synthesize (see the first failure)")
	return defaultStack
}

// logicalID returns the template's ID of a construct's CloudFormation resource.
func (s *synthesized) logicalID(c constructs.IConstruct) string {
	return *s.stack.Stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// check runs a CDK assertion, which panics when it fails, as a test failure.
func check(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s:\n%v", what, r)
		}
	}()
	assert()
}

// template is a CloudFormation template as Go values.
type template struct {
	Resources map[string]resource `json:"Resources"`
	Outputs   map[string]struct {
		Value       any    `json:"Value"`
		Description string `json:"Description"`
	} `json:"Outputs"`
}

type resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DependsOn      any            `json:"DependsOn"`
	DeletionPolicy string         `json:"DeletionPolicy"`
	// UpdateReplacePolicy: what CloudFormation does with the old resource on a replacement.
	UpdateReplacePolicy string `json:"UpdateReplacePolicy"`
}

func decodeTemplate(t *testing.T, m *map[string]any) template {
	t.Helper()
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	var tmpl template
	require.NoError(t, json.Unmarshal(raw, &tmpl))
	return tmpl
}

// ofType returns the logical IDs of the template's resources of type typ.
func (tm template) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range tm.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// canon returns v as canonical JSON, to compare CloudFormation expressions.
func canon(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

func getAtt(id, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func ref(id string) map[string]any          { return map[string]any{"Ref": id} }
