package hookflow

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFunctionPolicies pins each function's permissions, statement by statement: which
// actions on which resource. A change to what a function may do shows here.
func TestFunctionPolicies(t *testing.T) {
	s := setupDefault(t)
	h := s.stack.Hookflow
	table, queue := s.logicalID(h.Table), s.logicalID(h.Queue)
	tableArn := canon(getAtt(table, "Arn"))
	indexArn := canon(map[string]any{"Fn::Join": []any{"", []any{getAtt(table, "Arn"), "/index/gsi1-due"}}})
	runsIndexArn := canon(map[string]any{"Fn::Join": []any{"", []any{getAtt(table, "Arn"), "/index/gsi2-runs"}}})
	queueArn := canon(getAtt(queue, "Arn"))
	logs := func(fn string) string {
		id := s.cfn.Resources[fn].Properties["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
		return canon(getAtt(id, "Arn"))
	}
	logActions := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	consume := []string{ // the event source mapping's, from the CDK's SqsEventSource
		"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage",
	}
	inbox := []string{"dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}

	webhook, runner, resume := s.logicalID(h.WebhookFunction), s.logicalID(h.RunnerFunction), s.logicalID(h.ResumeFunction)
	admin := s.logicalID(h.AdminFunction)
	for _, tc := range []struct {
		name string
		fn   string
		want map[string][]string // resource (canonical JSON) -> actions
	}{
		{FnWebhook, webhook, map[string][]string{
			logs(webhook): logActions,
			tableArn:      inbox,
			queueArn:      {"sqs:SendMessage"},
		}},
		{FnResume, resume, map[string][]string{
			logs(resume): logActions,
			tableArn:     inbox,
			queueArn:     {"sqs:SendMessage"},
		}},
		{FnRunner, runner, map[string][]string{
			logs(runner): logActions,
			tableArn: {
				"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
				"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
			},
			indexArn: {"dynamodb:Query"},
			queueArn: append([]string{"sqs:SendMessage"}, consume...),
			// Forwarding the wakes of runs pinned to an older version to that version.
			canon(map[string]any{"Fn::Join": []any{"", []any{getAtt(runner, "Arn"), ":*"}}}): {"lambda:InvokeFunction"},
		}},
		// The operations API: reads (ListRuns on the runs index, a Scan for every run's hooks),
		// CreateRun and PutInbox transactions, Retry's commit; nothing that deletes, no due
		// index, no secrets.
		{FnAdmin, admin, map[string][]string{
			logs(admin): logActions,
			tableArn: {
				"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem",
				"dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
			},
			runsIndexArn: {"dynamodb:Query"},
			queueArn:     {"sqs:SendMessage"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := s.rolePermissions(t, tc.fn)
			for _, actions := range tc.want {
				slices.Sort(actions)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// rolePermissions returns the actions the role of function fn is allowed, by resource, from
// every policy attached to the role. It fails on a Deny, a condition, or a role with managed
// policies (each would make the map an incomplete picture).
func (s *synthesized) rolePermissions(t *testing.T, fn string) map[string][]string {
	t.Helper()
	roleRef := s.cfn.Resources[fn].Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)
	role := roleRef[0].(string)
	require.Equal(t, "AWS::IAM::Role", s.cfn.Resources[role].Type)
	require.Nil(t, s.cfn.Resources[role].Properties["ManagedPolicyArns"], "no managed policies")
	require.Nil(t, s.cfn.Resources[role].Properties["Policies"], "no inline policies in the role")
	got := map[string][]string{}
	policies := 0
	for _, p := range s.cfn.ofType("AWS::IAM::Policy") {
		if !strings.Contains(canon(p.Properties["Roles"]), `"`+role+`"`) {
			continue
		}
		policies++
		for _, st := range statements(p) {
			require.Equal(t, "Allow", st["Effect"])
			require.Nil(t, st["Condition"])
			for _, r := range anyList(st["Resource"]) {
				res := canon(r)
				got[res] = append(got[res], strList(st["Action"])...)
			}
		}
	}
	require.Positive(t, policies, "a policy for the role")
	for res, actions := range got {
		slices.Sort(actions)
		got[res] = slices.Compact(actions)
	}
	return got
}

// TestNoWildcards checks every identity policy in the stack: no "*" or "service:*" action,
// and no "*" resource.
func TestNoWildcards(t *testing.T) {
	s := setupDefault(t)
	n := 0
	for id, p := range s.cfn.ofType("AWS::IAM::Policy") {
		for _, st := range statements(p) {
			n++
			for _, a := range strList(st["Action"]) {
				require.NotContains(t, a, "*", "%s: action %q", id, a)
			}
			for _, r := range anyList(st["Resource"]) {
				require.NotEqual(t, "*", r, "%s: resource *", id)
			}
		}
	}
	require.Greater(t, n, 0)
	for id, r := range s.cfn.ofType("AWS::IAM::Role") {
		require.Nil(t, r.Properties["ManagedPolicyArns"], "%s: managed policies", id)
	}
}

func statements(p resource) []map[string]any {
	doc := p.Properties["PolicyDocument"].(map[string]any)
	var out []map[string]any
	for _, st := range anyList(doc["Statement"]) {
		out = append(out, st.(map[string]any))
	}
	return out
}

// anyList returns v as a list: CloudFormation allows a single value where a list goes.
func anyList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func strList(v any) []string {
	var out []string
	for _, x := range anyList(v) {
		out = append(out, x.(string))
	}
	return out
}
