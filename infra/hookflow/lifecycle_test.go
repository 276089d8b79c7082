package hookflow

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/require"
)

// The data lifecycle props: the payload key (HOOKFLOW_KMS_KEY_ID and its grants) and the
// runner's retention of ended runs (HOOKFLOW_RETENTION). The tests that synthesize are
// serial: see setup_test.go.

// importedKeyArn is a key of another stack or account, as a user passes it.
const importedKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// TestPayloadEncryptionOff: the stack that cdk.json configures stores payloads as they are:
// no key, no HOOKFLOW_KMS_KEY_ID, no KMS action in any policy, no key output, and the
// runner's default retention (HOOKFLOW_RETENTION unset).
func TestPayloadEncryptionOff(t *testing.T) {
	s := setupDefault(t)
	require.Nil(t, s.stack.Hookflow.PayloadKey)
	check(t, "no key", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(0)) })
	fns := s.cfn.ofType("AWS::Lambda::Function")
	require.Len(t, fns, 4)
	for id, fn := range fns {
		require.NotContains(t, envOf(fn), envKMSKeyID, id)
		require.NotContains(t, envOf(fn), envRetention, id)
	}
	require.Empty(t, kmsStatements(s.cfn))
	require.NotContains(t, s.cfn.Outputs, OutputPayloadKeyArn)
}

// TestPayloadEncryptionCreatedKey: EncryptPayloads creates one key, rotated and retained,
// under the default key policy; every function has its ARN and may use it for envelope
// encryption, and for nothing else; the stack outputs its ARN.
func TestPayloadEncryptionCreatedKey(t *testing.T) {
	s := synth(t, cdkContext(t), &StackProps{Hookflow: Props{CodeDir: testCodeDir, EncryptPayloads: ptr(true)}}, nil)
	h := s.stack.Hookflow
	require.NotNil(t, h.PayloadKey)
	keys := s.cfn.ofType("AWS::KMS::Key")
	require.Len(t, keys, 1)
	key := s.logicalID(h.PayloadKey)
	require.Contains(t, keys, key)
	check(t, "a symmetric key, rotated, retained", func() {
		s.tmpl.HasResource(jsii.String("AWS::KMS::Key"), map[string]any{
			"Properties": map[string]any{
				"EnableKeyRotation": true,
				"KeySpec":           "SYMMETRIC_DEFAULT",
				"KeyUsage":          "ENCRYPT_DECRYPT",
				"Description":       assertions.Match_StringLikeRegexp(jsii.String("^hookflow: ")),
			},
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
		})
	})
	// The default key policy: the account's root, which lets IAM policies grant the key.
	root := map[string]any{"Fn::Join": []any{"", []any{
		"arn:", ref("AWS::Partition"), ":iam::", ref("AWS::AccountId"), ":root",
	}}}
	policy := keys[key].Properties["KeyPolicy"].(map[string]any)
	statements := anyList(policy["Statement"])
	require.Len(t, statements, 1)
	for _, st := range statements {
		require.JSONEq(t, canon(map[string]any{"AWS": root}), canon(st.(map[string]any)["Principal"]))
	}

	s.requirePayloadKey(t, getAtt(key, "Arn"))
	check(t, "output "+OutputPayloadKeyArn, func() {
		s.tmpl.HasOutput(jsii.String(OutputPayloadKeyArn), map[string]any{
			"Value": getAtt(key, "Arn"), "Description": assertions.Match_AnyValue(),
		})
	})
	require.Len(t, s.cfn.Outputs, 10)
	require.Empty(t, findCycle(s.cfn))
}

// TestPayloadKeyFollowsRemovalPolicy: a throwaway stack (RemovalPolicy DESTROY, as
// make deploy-localstack sets it) deletes the table, and schedules the key's deletion too.
func TestPayloadKeyFollowsRemovalPolicy(t *testing.T) {
	s := synth(t, cdkContext(t), &StackProps{Hookflow: Props{
		CodeDir: testCodeDir, EncryptPayloads: ptr(true),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY, DeletionProtection: ptr(false),
	}}, nil)
	for id, k := range s.cfn.ofType("AWS::KMS::Key") {
		require.Equal(t, "Delete", k.DeletionPolicy, id)
	}
	require.Len(t, s.cfn.ofType("AWS::KMS::Key"), 1)
}

// TestPayloadKeyGiven: a key of the user's own, imported by its ARN, is used as it is: no
// key is created, and the environment and the grants name the given ARN. EncryptPayloads
// false does not turn it off: the key implies encryption.
func TestPayloadKeyGiven(t *testing.T) {
	ctx := cdkContext(t)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	// The construct embedded in a stack of the user's, as doc.go shows.
	stack := awscdk.NewStack(app, jsii.String("Embedded"), nil)
	key := awskms.Key_FromKeyArn(stack, jsii.String("Key"), jsii.String(importedKeyArn))
	h := NewHookflow(stack, jsii.String("Hookflow"), &Props{
		CodeDir: testCodeDir, PayloadKey: key, EncryptPayloads: ptr(false),
	})
	require.Equal(t, importedKeyArn, *h.PayloadKey.KeyArn())
	s := &synthesized{stack: &Stack{Stack: stack, Hookflow: h}, tmpl: assertions.Template_FromStack(stack, nil)}
	s.cfn = decodeTemplate(t, s.tmpl.ToJSON())
	check(t, "no key created", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(0)) })
	s.requirePayloadKey(t, importedKeyArn)
}

// TestPayloadKeyFromContext: `cdk deploy -c hookflow:payloadKeyArn=... -c
// hookflow:keepRunsForever=true` imports the key into the stack, outputs its ARN, and keeps
// ended runs for ever.
func TestPayloadKeyFromContext(t *testing.T) {
	ctx := cdkContext(t)
	ctx[CtxPayloadKeyArn] = importedKeyArn
	ctx[CtxKeepRunsForever] = "true"
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	name, props, err := StackFromContext(app.Node())
	require.NoError(t, err)
	stack := NewStack(app, jsii.String(name), &props)
	s := &synthesized{stack: stack, tmpl: assertions.Template_FromStack(stack.Stack, nil)}
	s.cfn = decodeTemplate(t, s.tmpl.ToJSON())
	check(t, "no key created", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(0)) })
	s.requirePayloadKey(t, importedKeyArn)
	check(t, "output "+OutputPayloadKeyArn, func() {
		s.tmpl.HasOutput(jsii.String(OutputPayloadKeyArn), map[string]any{"Value": importedKeyArn})
	})
	require.Equal(t, retentionForever, envOf(s.cfn.Resources[s.logicalID(stack.Hookflow.RunnerFunction)])[envRetention])
}

// requirePayloadKey checks that every function has HOOKFLOW_KMS_KEY_ID = keyArn, and that
// every function's role has one statement allowing exactly kms:Decrypt and
// kms:GenerateDataKey on keyArn, and that no policy of the stack allows any other KMS action
// or any KMS action on another resource.
func (s *synthesized) requirePayloadKey(t *testing.T, keyArn any) {
	t.Helper()
	h := s.stack.Hookflow
	want := []string{"kms:Decrypt", "kms:GenerateDataKey"}
	roles := map[string]bool{}
	for _, fn := range []string{
		s.logicalID(h.WebhookFunction), s.logicalID(h.RunnerFunction), s.logicalID(h.ResumeFunction), s.logicalID(h.AdminFunction),
	} {
		r := s.cfn.Resources[fn]
		require.JSONEq(t, canon(keyArn), canon(envOf(r)[envKMSKeyID]), "%s: %s", fn, envKMSKeyID)
		require.Equal(t, want, s.rolePermissions(t, fn)[canon(keyArn)], "%s: on the key", fn)
		roles[r.Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)] = true
	}
	require.Len(t, roles, 4, "a role each")

	// Statement by statement: one per role, exactly the two actions, on the key alone.
	granted := map[string]bool{}
	for id, st := range kmsStatements(s.cfn) {
		p := s.cfn.Resources[strings.SplitN(id, "#", 2)[0]]
		require.ElementsMatch(t, want, strList(st["Action"]), id)
		require.JSONEq(t, canon(keyArn), canon(st["Resource"]), id)
		for _, role := range anyList(p.Properties["Roles"]) {
			name := role.(map[string]any)["Ref"].(string)
			require.False(t, granted[name], "%s: granted twice", name)
			granted[name] = true
		}
	}
	require.Equal(t, roles, granted, "the functions' roles, and no other")
}

// kmsStatements returns the statements of the stack's IAM policies that allow a KMS action,
// by "<policy ID>#<index>".
func kmsStatements(tmpl template) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, p := range tmpl.ofType("AWS::IAM::Policy") {
		for i, st := range statements(p) {
			if slices.ContainsFunc(strList(st["Action"]), func(a string) bool { return strings.HasPrefix(a, "kms:") }) {
				out[fmt.Sprintf("%s#%d", id, i)] = st
			}
		}
	}
	return out
}

// TestRetention: RetentionDays and KeepRunsForever set the runner's HOOKFLOW_RETENTION, and
// no other function's.
func TestRetention(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props Props
		want  string
	}{
		{"7 days", Props{RetentionDays: ptr(7)}, "7d"},
		{"forever", Props{KeepRunsForever: ptr(true)}, "forever"},
		// KeepRunsForever false is the same as unset.
		{"7 days, not forever", Props{RetentionDays: ptr(7), KeepRunsForever: ptr(false)}, "7d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.props.CodeDir = testCodeDir
			s := synth(t, cdkContext(t), &StackProps{Hookflow: tc.props}, nil)
			h := s.stack.Hookflow
			require.Equal(t, tc.want, envOf(s.cfn.Resources[s.logicalID(h.RunnerFunction)])[envRetention])
			for _, fn := range []string{s.logicalID(h.WebhookFunction), s.logicalID(h.ResumeFunction), s.logicalID(h.AdminFunction)} {
				require.NotContains(t, envOf(s.cfn.Resources[fn]), envRetention, "the runner's alone: %s", fn)
			}
		})
	}
}

// TestLifecyclePropsRefused: NewHookflow and NewStack refuse impossible lifecycle props
// before they define anything, naming the problem.
func TestLifecyclePropsRefused(t *testing.T) {
	t.Parallel()
	panicsWith := func(t *testing.T, want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			require.NotNil(t, r, "no panic")
			require.Contains(t, fmt.Sprint(r), "hookflow: invalid props")
			require.Contains(t, fmt.Sprint(r), want)
		}()
		f()
	}
	for _, tc := range []struct {
		name  string
		props Props
		want  string
	}{
		{"both retentions", Props{RetentionDays: ptr(7), KeepRunsForever: ptr(true)}, "RetentionDays 7 and KeepRunsForever: set one of them, not both"},
		{"no days", Props{RetentionDays: ptr(0)}, "RetentionDays 0: must be 1 to 36500"},
		{"negative days", Props{RetentionDays: ptr(-30)}, "RetentionDays -30: must be 1 to 36500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.props.CodeDir = testCodeDir
			// The props are checked before the scope is used: no jsii call.
			panicsWith(t, tc.want, func() { NewHookflow(nil, jsii.String("Hookflow"), &tc.props) })
			panicsWith(t, tc.want, func() { NewStack(nil, jsii.String("Test"), &StackProps{Hookflow: tc.props}) })
		})
	}
	for _, tc := range []struct {
		name  string
		props StackProps
		want  string
	}{
		{"an alias", StackProps{PayloadKeyArn: "arn:aws:kms:eu-west-1:123456789012:alias/hookflow"}, "not an alias"},
		{"a key ID", StackProps{PayloadKeyArn: "1234abcd-12ab-34cd-56ef-1234567890ab"}, "want a KMS key ARN"},
		{"an ARN and a key", StackProps{PayloadKeyArn: importedKeyArn, Hookflow: Props{PayloadKey: fakeKey{}}},
			"PayloadKeyArn and Hookflow.PayloadKey: set one of them, not both"},
		// Every problem at once, the construct's props' included.
		{"an alias and no days", StackProps{PayloadKeyArn: "alias/hookflow", Hookflow: Props{RetentionDays: ptr(0)}},
			"PayloadKeyArn \"alias/hookflow\": want a KMS key ARN"},
		{"no days and an alias", StackProps{PayloadKeyArn: "alias/hookflow", Hookflow: Props{RetentionDays: ptr(0)}},
			"RetentionDays 0: must be 1 to 36500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.props.Hookflow.CodeDir = testCodeDir
			// StackProps are checked before the stack is defined: no jsii call.
			panicsWith(t, tc.want, func() { NewStack(nil, jsii.String("Test"), &tc.props) })
		})
	}
}

// fakeKey is a non-nil awskms.IKey that makes no jsii call, for the checks that only look
// whether a key is set.
type fakeKey struct{ awskms.IKey }

// envOf returns a function's environment variables.
func envOf(fn resource) map[string]any {
	env, _ := fn.Properties["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	return vars
}
