package main

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/deploygate"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Exit codes, documented in the root command's help (rootLong).
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitNotFound = 3
)

// usageError is a command line that is wrong: an unknown command or flag, a wrong number of
// arguments, JSON that does not parse.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// isUsage reports whether err is the command line's fault: a usageError, or arguments the
// API refused as invalid (an unknown workflow, a payload a hook's schema refuses).
func isUsage(err error) bool {
	var ue usageError
	var ve *workflow.ValidationError
	return errors.As(err, &ue) || errors.As(err, &ve) ||
		errors.Is(err, workflow.ErrInvalidArgument) || errors.Is(err, workflow.ErrPayloadTooLarge)
}

// exitCode maps an error to the process's exit code.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, deploygate.ErrRefused):
		return exitUsage // gate's own code for a refused deploy, older than this table
	case isUsage(err):
		return exitUsage
	case errors.Is(err, workflow.ErrRunNotFound), errors.Is(err, workflow.ErrHookNotFound), errors.Is(err, workflow.ErrDeliveryNotFound):
		return exitNotFound
	default:
		return exitError
	}
}

// message is err as the user reads it: without the packages' "hookflow: " prefix (report
// adds its own), and a server that cannot be reached said plainly.
func message(err error, g *globals) string {
	var ve *workflow.ValidationError
	switch {
	case errors.Is(err, admin.ErrUnavailable):
		detail := strings.TrimPrefix(err.Error(), admin.ErrUnavailable.Error()+": ")
		return fmt.Sprintf("no hookflow server answers at %s (%s)", g.server, detail)
	case errors.As(err, &ve):
		return "the hook's schema refused the payload:\n  " + strings.Join(ve.Issues, "\n  ")
	}
	return strings.TrimPrefix(err.Error(), "hookflow: ")
}

// hint says what to do next about err, or "".
func hint(err error, g *globals) string {
	switch {
	case errors.As(err, new(*runOutcome)):
		return outcomeHint(err)
	case errors.Is(err, admin.ErrUnavailable):
		return "Is `hookflow dev` running? Start it, or pass --server (or set HOOKFLOW_SERVER) to point at the server that is."
	case errors.Is(err, workflow.ErrRunNotFound):
		return "List the runs with `hookflow runs ls`."
	case errors.Is(err, workflow.ErrHookNotFound):
		return "The hook is gone (an unknown token, a disposed hook, or a run that has ended); list the live hooks with `hookflow hooks ls`."
	case errors.Is(err, workflow.ErrDeliveryNotFound):
		return "List a run's deliveries with `hookflow deliveries RUN`."
	case errors.Is(err, workflow.ErrInvalidArgument) && strings.Contains(err.Error(), "no workflow"):
		return "List the workflows with `hookflow workflows`."
	case errors.Is(err, workflow.ErrRunEnded):
		return "Read how it ended with `hookflow runs show RUN`."
	case g.backend == backendAWS && errors.As(err, new(*smithy.OperationError)):
		return fmt.Sprintf("Check --table (%q), --queue-url (%q) and --region (%q), or HOOKFLOW_TABLE, HOOKFLOW_QUEUE_URL and AWS_REGION, and the AWS credentials.",
			g.table, g.queueURL, cmp.Or(g.region, "from the AWS configuration"))
	}
	return ""
}
