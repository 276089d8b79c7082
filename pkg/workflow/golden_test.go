package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

var update = flag.Bool("update", false, "rewrite the good replay golden files in testdata/replay")

// goldenHistory is the format of testdata/replay/*.json: a recorded history and whether the
// current code must replay it cleanly ("ok") or fail with ErrNonDeterminism.
type goldenHistory struct {
	Workflow string           `json:"workflow"`
	RunID    string           `json:"runId"`
	Expect   string           `json:"expect"` // "ok" or "nondeterminism"
	Note     string           `json:"note,omitempty"`
	Events   []workflow.Event `json:"events"`
}

// The golden workflows. Their code must keep replaying the recorded histories: changing them
// in a way that changes their durable calls is exactly the kind of change the golden files
// exist to catch.
var (
	goldenOrder = workflow.Define("golden-order", func(ctx workflow.Context, sku string) (string, error) {
		id, err := workflow.Step(ctx, "reserve", func(context.Context) (string, error) { return "res-" + sku, nil })
		if err != nil {
			return "", err
		}
		attempts := 0
		_, err = workflow.Step(ctx, "charge", func(context.Context) (int, error) {
			if attempts++; attempts == 1 {
				return 0, errors.New("gateway timeout")
			}
			return 4200, nil
		}, workflow.WithRetryDelay(time.Second))
		if err != nil {
			return "", err
		}
		if err := workflow.Sleep(ctx, 24*time.Hour); err != nil {
			return "", err
		}
		return workflow.Step(ctx, "ship", func(context.Context) (string, error) { return "shipped " + id, nil })
	})
	goldenRace = workflow.Define("golden-race", func(ctx workflow.Context, _ struct{}) (string, error) {
		f := workflow.StepAsync(ctx, "fetch", func(context.Context) (string, error) {
			return "", workflow.RetryAfter(errors.New("busy"), time.Hour)
		})
		i, err := workflow.Select(ctx, f, workflow.Timer(ctx, time.Minute))
		return fmt.Sprintf("winner %d", i), err
	})
	goldenFanOut = fanOut
	goldenByName = map[string]workflow.Registrable{
		goldenOrder.Name(): goldenOrder, goldenRace.Name(): goldenRace, goldenFanOut.Name(): goldenFanOut,
	}
)

func TestReplayGoldenFiles(t *testing.T) {
	if *update {
		recordGolden(t)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "replay", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 8, "golden files are missing")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			var g goldenHistory
			require.NoError(t, json.Unmarshal(raw, &g))
			w, ok := goldenByName[g.Workflow]
			require.True(t, ok, "unknown workflow %q", g.Workflow)
			err = workflow.ReplayHistory(w, g.RunID, g.Events)
			switch g.Expect {
			case "ok":
				require.NoError(t, err)
			case "nondeterminism":
				require.ErrorIs(t, err, workflow.ErrNonDeterminism)
			default:
				t.Fatalf("expect is %q, want ok or nondeterminism", g.Expect)
			}
			require.Equal(t, strings.HasPrefix(filepath.Base(file), "good-"), g.Expect == "ok", "file names say what they hold")
		})
	}
}

// recordGolden runs the golden workflows on the test kit and writes their histories.
func recordGolden(t *testing.T) {
	write := func(name string, w workflow.Registrable, runID string, events []workflow.Event, note string) {
		g := goldenHistory{Workflow: w.Name(), RunID: runID, Expect: "ok", Note: note, Events: events}
		raw, err := json.MarshalIndent(g, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join("testdata", "replay"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "replay", name), append(raw, '\n'), 0o644))
	}
	ctx := context.Background()
	env := workflowtest.New(t, goldenOrder, goldenRace, goldenFanOut)
	c := env.Client()

	order, err := workflow.Start(ctx, c, goldenOrder, "sku-1", workflow.WithRunID("golden-order-1"))
	require.NoError(t, err)
	env.AdvanceTime(time.Second)
	waiting, err := c.ListEvents(ctx, order.ID())
	require.NoError(t, err)
	write("good-order-waiting.json", goldenOrder, order.ID(), waiting, "the run sleeps: replays cleanly and stays waiting")
	env.AdvanceTime(24 * time.Hour)
	_, err = order.Result(ctx)
	require.NoError(t, err)
	done, err := c.ListEvents(ctx, order.ID())
	require.NoError(t, err)
	write("good-order-completed.json", goldenOrder, order.ID(), done, "reserve, a retried charge, a one-day sleep, ship")

	race, err := workflow.Start(ctx, c, goldenRace, struct{}{}, workflow.WithRunID("golden-race-1"))
	require.NoError(t, err)
	env.AdvanceTime(time.Minute)
	_, err = race.Result(ctx)
	require.NoError(t, err)
	evs, err := c.ListEvents(ctx, race.ID())
	require.NoError(t, err)
	write("good-race-timer-wins.json", goldenRace, race.ID(), evs, "the timer fires before the step's retry")

	fan, err := workflow.Start(ctx, c, goldenFanOut, 3, workflow.WithRunID("golden-fan-out-1"))
	require.NoError(t, err)
	env.AdvanceTime(time.Hour)
	_, err = fan.Result(ctx)
	require.NoError(t, err)
	evs, err = c.ListEvents(ctx, fan.ID())
	require.NoError(t, err)
	write("good-fan-out.json", goldenFanOut, fan.ID(), evs, "three coroutines interleaving sleeps and steps")
}
