package lambdafn

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// TestBadInput sends malformed input to every entry point (the webhook route and the resume
// endpoint of package webhook, the resume function, the runner function) on the memory
// backend and, when the AWS endpoint is up, on DynamoDB and SQS. Every row must get its
// documented answer, write nothing (no run, no commit, no inbox item, no idempotency record,
// no wake; the live tokens, the run and its inbox unchanged; on DynamoDB, the whole table
// unchanged) and log nothing that holds a live hook's token.
func TestBadInput(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, s *stack) {
		before := s.snapshot(t)
		t.Run("rows", func(t *testing.T) {
			for name, group := range map[string]func(*testing.T){
				"webhook-route":   s.webhookRouteRows,
				"resume-endpoint": s.resumeEndpointRows,
				"resume-function": s.resumeFunctionRows,
				"runner":          s.runnerRows,
			} {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					group(t)
				})
			}
		})
		require.Equal(t, before, s.snapshot(t), "nothing was stored")
	})
}

// entry is what one row runs against: a client on a spy of the stack's backend, and a
// logger whose output the row checks.
type entry struct {
	s    *stack
	spy  *spy
	c    *workflow.Client
	logs *logBuffer
	log  *slog.Logger
}

// row runs fn as a parallel subtest and checks that it wrote nothing and logged no token.
func (s *stack) row(t *testing.T, name string, fn func(t *testing.T, e entry)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		e := entry{s: s, spy: &spy{Backend: s.b}, logs: &logBuffer{}}
		e.c = workflow.NewClient(e.spy, workflow.ClientOptions{})
		e.log = e.logs.logger()
		fn(t, e)
		require.Empty(t, e.spy.Writes(), "nothing is written")
		for _, tok := range s.tokens() {
			require.NotContains(t, e.logs.String(), tok, "no log line holds a live token")
		}
	})
}

// fill replaces {hook}, {schema} and {webhook} in a row's text with the live tokens, and
// {HOOK} and {webhook-lower} with case-changed ones.
func (s *stack) fill(text string) string {
	return strings.NewReplacer("{hook}", s.hook, "{schema}", s.schema, "{webhook}", s.webhook,
		"{HOOK}", strings.ToUpper(s.hook), "{webhook-lower}", strings.ToLower(s.webhook)).Replace(text)
}

// state is what the rows must leave as it was, in a form whose differences read well.
type state struct {
	Tokens  []string // token, kind, run, deliveries
	Inbox   []string // item IDs
	Run     string   // status, version, last event
	Pending int      // memory: queued wake messages
	Records []string // DynamoDB: every item of the table (see scanTable)
}

func (s *stack) snapshot(t *testing.T) state {
	t.Helper()
	ctx := t.Context()
	var st state
	tokens, err := s.b.ListTokens(ctx, "")
	require.NoError(t, err)
	require.Len(t, tokens, 3)
	for _, tok := range tokens {
		st.Tokens = append(st.Tokens, fmt.Sprintf("%s %s run=%s deliveries=%d", tok.Token, tok.Kind, tok.RunID, tok.Deliveries))
	}
	inbox, err := s.b.ListInbox(ctx, s.runID, 0)
	require.NoError(t, err)
	for _, it := range inbox {
		st.Inbox = append(st.Inbox, it.ID+" "+it.Token)
	}
	run, err := s.b.GetRun(ctx, s.runID)
	require.NoError(t, err)
	st.Run = fmt.Sprintf("%s version=%d lastSeq=%d", run.Status, run.Version, run.LastSeq)
	if m, ok := s.b.(*memory.Backend); ok {
		st.Pending = m.Pending()
	}
	if s.dump != nil {
		st.Records = s.dump(t)
	}
	return st
}
