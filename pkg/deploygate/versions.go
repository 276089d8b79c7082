package deploygate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// LambdaAPI is the part of *lambda.Client that `gate versions` uses.
type LambdaAPI interface {
	ListVersionsByFunction(ctx context.Context, in *lambda.ListVersionsByFunctionInput, opts ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, opts ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
}

// VersionUse is a published version of the runner and the runs in flight pinned to it.
type VersionUse struct {
	Version string
	Runs    int
	Live    bool // the alias points at it: it takes the wakes and pins new runs
	// Retirable: older than the live version and no run in flight is pinned to it.
	Retirable bool
}

func (g *gate) versionsCommand() *cobra.Command {
	var function, alias string
	var retire bool
	cmd := &cobra.Command{
		Use:   "versions",
		Short: "List the runner's published versions and the runs pinned to each; --retire deletes the unused ones",
		Long: "versions lists the published versions of the runner function, the runs in flight pinned to each, " +
			"and which can be retired: older than the live alias's version, with no run pinned to them. " +
			"--retire deletes those versions.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if g.backend != "aws" {
				return errors.New("gate versions needs --backend aws: published versions are the runner Lambda's")
			}
			if function == "" && g.outputs != "" {
				out, err := stackOutputs(g.outputs)
				if err != nil {
					return err
				}
				function = out["RunnerFunctionName"]
			}
			if function == "" {
				return errors.New("--function (the runner function's name) is required, or --outputs with a RunnerFunctionName")
			}
			c, closeStore, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer closeStore()
			cfg, err := g.opts.AWSConfig(ctx)
			if err != nil {
				return fmt.Errorf("loading the AWS configuration: %w", err)
			}
			api := g.opts.Lambda(cfg)
			uses, err := Versions(ctx, c, api, function, alias)
			if err != nil {
				return err
			}
			return printVersions(ctx, cmd.OutOrStdout(), api, function, uses, retire)
		},
	}
	g.storeFlags(cmd)
	cmd.Flags().StringVar(&function, "function", "", "the runner function's name (default: RunnerFunctionName of --outputs)")
	cmd.Flags().StringVar(&alias, "alias", "live", "the alias of the live version")
	cmd.Flags().BoolVar(&retire, "retire", false, "delete the retirable versions")
	return cmd
}

// Versions returns the published versions of function, oldest first, with the runs in flight
// of c's backend pinned to each.
func Versions(ctx context.Context, c *workflow.Client, api LambdaAPI, function, alias string) ([]VersionUse, error) {
	ids, err := c.LiveRuns(ctx)
	if err != nil {
		return nil, err
	}
	runs := map[string]int{}
	for _, id := range ids {
		info, err := c.GetRun(ctx, id)
		if errors.Is(err, workflow.ErrRunNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if info.CodeVersion != "" {
			runs[info.CodeVersion]++
		}
	}
	a, err := api.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &function, Name: &alias})
	if err != nil {
		return nil, fmt.Errorf("reading alias %s of %s: %w", alias, function, err)
	}
	live := aws.ToString(a.FunctionVersion)
	liveN, err := strconv.Atoi(live)
	if err != nil {
		return nil, fmt.Errorf("alias %s of %s points at %q, not a published version", alias, function, live)
	}
	var uses []VersionUse
	p := lambda.NewListVersionsByFunctionPaginator(api, &lambda.ListVersionsByFunctionInput{FunctionName: &function})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the versions of %s: %w", function, err)
		}
		for _, v := range page.Versions {
			n, err := strconv.Atoi(aws.ToString(v.Version))
			if err != nil {
				continue // $LATEST
			}
			version := aws.ToString(v.Version)
			uses = append(uses, VersionUse{
				Version: version, Runs: runs[version], Live: n == liveN,
				Retirable: n < liveN && runs[version] == 0,
			})
		}
	}
	slices.SortFunc(uses, func(a, b VersionUse) int {
		x, _ := strconv.Atoi(a.Version)
		y, _ := strconv.Atoi(b.Version)
		return x - y
	})
	return uses, nil
}

func printVersions(ctx context.Context, w io.Writer, api LambdaAPI, function string, uses []VersionUse, retire bool) error {
	retirable := 0
	for _, u := range uses {
		state := ""
		switch {
		case u.Live:
			state = ", live"
		case u.Retirable && retire:
			if _, err := api.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: &function, Qualifier: aws.String(u.Version)}); err != nil {
				return fmt.Errorf("retiring version %s of %s: %w", u.Version, function, err)
			}
			state = ", retired"
		case u.Retirable:
			state, retirable = ", retirable", retirable+1
		}
		fmt.Fprintf(w, "version %s: %d runs in flight%s\n", u.Version, u.Runs, state)
	}
	if retirable > 0 {
		fmt.Fprintf(w, "gate: %d versions have no run in flight: retire them with --retire\n", retirable)
	}
	return nil
}
