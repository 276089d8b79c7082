// Package deploygate checks a deploy before it happens: it replays the histories of the runs
// in flight (read from the embedded store's file, or from DynamoDB) against the workflow code
// about to ship, and refuses the deploy when one would fail, naming the run and the first
// call that differs. It is a cobra command to mount in a binary that links the same
// workflows as the runner (cmd/hookflow does, for the examples' catalog):
//
//	root.AddCommand(deploygate.Command(workflow.NewRegistry(myflows.All()...), deploygate.Options{}))
//
// `gate check` is what `make deploy` runs first; `gate export` keeps the histories as JSON
// files for a CI test (workflowtest.RequireReplayDir) or a later `gate check --histories`.
package deploygate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/backend"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Options configure the command. The zero value is usable.
type Options struct {
	// AWSConfig loads the AWS configuration for --backend aws; default
	// config.LoadDefaultConfig (the environment's credentials, region and AWS_ENDPOINT_URL).
	AWSConfig func(ctx context.Context) (aws.Config, error)
	// Lambda makes the Lambda client of `gate versions`; default lambda.NewFromConfig.
	Lambda func(cfg aws.Config) LambdaAPI
}

// ErrRefused is what `gate check` returns when a run in flight would fail on the new code.
var ErrRefused = errors.New("deploy refused: runs in flight would fail on this code")

// Command returns the `gate` command, with `check` and `export`, for the workflows of reg:
// the code about to be deployed.
func Command(reg *workflow.Registry, opts Options) *cobra.Command {
	if opts.AWSConfig == nil {
		opts.AWSConfig = func(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }
	}
	if opts.Lambda == nil {
		opts.Lambda = func(cfg aws.Config) LambdaAPI { return lambda.NewFromConfig(cfg) }
	}
	g := &gate{reg: reg, opts: opts}
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Check a deploy against the runs in flight",
		Long: "gate replays the history of every run in flight against the workflow code of this binary, " +
			"and refuses a deploy that would fail one of them.",
	}
	cmd.AddCommand(g.checkCommand(), g.exportCommand(), g.versionsCommand())
	return cmd
}

type gate struct {
	reg  *workflow.Registry
	opts Options
	// store flags
	backend, db, table, queueURL, outputs, kmsKeyID, localKeys string
}

func (g *gate) storeFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&g.backend, "backend", "memory", "where the runs are: memory (the embedded store's file, --db) or aws (--table and --queue-url, or --outputs)")
	f.StringVar(&g.db, "db", "", "the embedded store's bbolt file (memory.Open); the dev server must not hold it")
	f.StringVar(&g.table, "table", "", "the DynamoDB table (aws)")
	f.StringVar(&g.queueURL, "queue-url", "", "the SQS wake queue URL (aws)")
	f.StringVar(&g.outputs, "outputs", "", "read --table and --queue-url from the stack outputs that make deploy wrote (infra/cdk-outputs.json); a missing file means nothing is deployed yet")
	f.StringVar(&g.kmsKeyID, "kms-key-id", os.Getenv("HOOKFLOW_KMS_KEY_ID"), "aws: the KMS key the deployment encrypts payloads with (default $HOOKFLOW_KMS_KEY_ID, else the outputs' PayloadKeyArn)")
	f.StringVar(&g.localKeys, "local-keys", os.Getenv("HOOKFLOW_LOCAL_KEYS"), "memory: the keys the store's payloads are encrypted with, id:base64key,... (default $HOOKFLOW_LOCAL_KEYS)")
}

func (g *gate) checkCommand() *cobra.Command {
	var histories string
	var allow, asJSON bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Replay the runs in flight (or exported histories) against this code",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var checks []workflow.RunCheck
			var err error
			if histories != "" {
				checks, err = g.checkDir(histories)
			} else {
				checks, err = g.checkStore(cmd)
			}
			if errors.Is(err, errNothingDeployed) {
				fmt.Fprintln(cmd.OutOrStdout(), "gate: nothing deployed yet (no stack outputs): no run to check")
				return nil
			}
			if err != nil {
				return err
			}
			return report(cmd.OutOrStdout(), checks, allow, asJSON)
		},
	}
	g.storeFlags(cmd)
	cmd.Flags().StringVar(&histories, "histories", "", "check the histories exported to this directory instead of a store")
	cmd.Flags().BoolVar(&allow, "allow-incompatible", false, "report runs that would fail, but do not refuse (exit 0)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the verdicts as JSON")
	return cmd
}

func (g *gate) exportCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the history of every run in flight to a directory, one JSON file per run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return errors.New("--dir is required")
			}
			c, closeStore, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer closeStore()
			n, err := Export(cmd.Context(), c, dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "gate: exported %d run histories to %s\n", n, dir)
			return nil
		},
	}
	g.storeFlags(cmd)
	cmd.Flags().StringVar(&dir, "dir", "", "the directory to write <run ID>.json files to (created if missing)")
	return cmd
}

var errNothingDeployed = errors.New("nothing deployed")

func (g *gate) checkStore(cmd *cobra.Command) ([]workflow.RunCheck, error) {
	c, closeStore, err := g.open(cmd.Context())
	if err != nil {
		return nil, err
	}
	defer closeStore()
	checks, err := workflow.CheckLiveRuns(cmd.Context(), c, g.reg)
	if errors.Is(err, codec.ErrDecode) {
		return nil, fmt.Errorf("the store's payloads cannot be read: pass the keys they are encrypted with (--kms-key-id, or --local-keys for --backend memory): %w", err)
	}
	return checks, err
}

func (g *gate) checkDir(dir string) ([]workflow.RunCheck, error) {
	hs, err := workflow.ReadHistories(dir)
	if err != nil {
		return nil, err
	}
	out := make([]workflow.RunCheck, len(hs))
	for i, h := range hs {
		out[i] = workflow.CheckHistory(g.reg, h)
	}
	return out, nil
}

// open opens the store the flags name and returns a client of it.
func (g *gate) open(ctx context.Context) (*workflow.Client, func(), error) {
	switch g.backend {
	case "memory":
		if g.db == "" {
			return nil, nil, errors.New("--db is required with --backend memory: the runs of an in-memory store live in its process; check its bbolt file")
		}
		if _, err := os.Stat(g.db); err != nil {
			return nil, nil, fmt.Errorf("--db %s: %w", g.db, err)
		}
		m, err := memory.Open(g.db)
		if err != nil {
			return nil, nil, err
		}
		// Without keys the store is still read through a codec (codec.NoKeys), which names
		// an encrypted value instead of replaying its bytes.
		var b backend.Backend = codec.Wrap(m, codec.NoKeys())
		if g.localKeys != "" {
			c, err := codec.NewLocal(g.localKeys)
			if err != nil {
				_ = m.Close()
				return nil, nil, fmt.Errorf("--local-keys: %w", err)
			}
			b = codec.Wrap(m, c)
		}
		return workflow.NewClient(b, workflow.ClientOptions{}), func() { _ = m.Close() }, nil
	case "aws":
		if g.outputs != "" {
			out, err := stackOutputs(g.outputs)
			if err != nil {
				return nil, nil, err
			}
			g.table, g.queueURL = out["TableName"], out["QueueURL"]
			g.kmsKeyID = cmp.Or(g.kmsKeyID, out["PayloadKeyArn"])
		}
		if g.table == "" || g.queueURL == "" {
			return nil, nil, errors.New("--backend aws needs --table and --queue-url, or --outputs")
		}
		cfg, err := g.opts.AWSConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("loading the AWS configuration: %w", err)
		}
		a, err := hfaws.New(cfg, hfaws.Options{Table: g.table, QueueURL: g.queueURL})
		if err != nil {
			return nil, nil, err
		}
		var b backend.Backend = codec.Wrap(a, codec.NoKeys())
		if g.kmsKeyID != "" {
			c, err := codec.NewKMS(kms.NewFromConfig(cfg), g.kmsKeyID)
			if err != nil {
				_ = a.Close()
				return nil, nil, fmt.Errorf("--kms-key-id: %w", err)
			}
			b = codec.Wrap(a, c)
		}
		return workflow.NewClient(b, workflow.ClientOptions{}), func() { _ = a.Close() }, nil
	default:
		return nil, nil, fmt.Errorf("--backend %q: must be memory or aws", g.backend)
	}
}

// stackOutputs returns the outputs of the stack in path that has a TableName and a QueueURL.
// A missing file is errNothingDeployed.
func stackOutputs(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNothingDeployed
	}
	if err != nil {
		return nil, err
	}
	var stacks map[string]map[string]string
	if err := json.Unmarshal(raw, &stacks); err != nil {
		return nil, fmt.Errorf("%s: not stack outputs: %w", path, err)
	}
	for _, name := range slices.Sorted(maps.Keys(stacks)) {
		if out := stacks[name]; out["TableName"] != "" && out["QueueURL"] != "" {
			return out, nil
		}
	}
	return nil, fmt.Errorf("%s: no stack with TableName and QueueURL outputs", path)
}

// report prints one line per run and a verdict, and returns ErrRefused when a run would fail
// and allow is false.
func report(w io.Writer, checks []workflow.RunCheck, allow, asJSON bool) error {
	var failing int
	for _, rc := range checks {
		if rc.Err != nil {
			failing++
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Runs    []workflow.RunCheck `json:"runs"`
			Failing int                 `json:"failing"`
		}{checks, failing}); err != nil {
			return err
		}
	} else {
		for _, rc := range checks {
			fmt.Fprintln(w, rc)
		}
		switch {
		case failing == 0:
			fmt.Fprintf(w, "gate: all %d runs in flight replay on this code\n", len(checks))
		case allow:
			fmt.Fprintf(w, "gate: %d of %d runs in flight would fail on this code (allowed by --allow-incompatible)\n", failing, len(checks))
		default:
			fmt.Fprintf(w, "gate: refused: %d of %d runs in flight would fail on this code; patch the change (workflow.Patched), or pass --allow-incompatible\n", failing, len(checks))
		}
	}
	if failing > 0 && !allow {
		return fmt.Errorf("%w (%d of %d)", ErrRefused, failing, len(checks))
	}
	return nil
}

// Export writes the history of every run in flight of c's backend to dir, one
// <run ID>.json file (workflow.History) per run, and returns how many it wrote.
func Export(ctx context.Context, c *workflow.Client, dir string) (int, error) {
	ids, err := c.LiveRuns(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		h, err := c.ExportHistory(ctx, id)
		if errors.Is(err, workflow.ErrRunNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		if err := workflow.WriteHistory(dir, h); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
