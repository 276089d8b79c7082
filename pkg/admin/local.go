package admin

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Local returns the API on c. With a registry, Start and a redelivery as a new run refuse a
// workflow that it does not hold (ErrInvalidArgument, naming the ones it does), and
// Workflows lists it; without one, any name is started (a worker without the workflow parks
// the run as stuck).
func Local(c *workflow.Client, reg *workflow.Registry) API { return &local{c: c, reg: reg} }

type local struct {
	c   *workflow.Client
	reg *workflow.Registry
}

func (l *local) ListRuns(ctx context.Context, f workflow.RunFilter) (workflow.RunPage, error) {
	return l.c.ListRuns(ctx, f)
}

func (l *local) GetRun(ctx context.Context, runID string) (workflow.RunInfo, error) {
	return l.c.GetRun(ctx, runID)
}

func (l *local) ListEvents(ctx context.Context, runID string) ([]workflow.Event, error) {
	return l.c.ListEvents(ctx, runID)
}

func (l *local) ListDeliveries(ctx context.Context, runID string) ([]workflow.Delivery, error) {
	return l.c.ListDeliveries(ctx, runID)
}

func (l *local) ListHooks(ctx context.Context, f workflow.HookFilter) ([]workflow.HookInfo, error) {
	return l.c.ListHooks(ctx, f)
}

func (l *local) Workflows(context.Context) ([]string, error) {
	if l.reg == nil {
		return nil, nil
	}
	return l.reg.Names(), nil
}

// known refuses a workflow the registry does not hold.
func (l *local) known(name string) error {
	if l.reg == nil || l.reg.Has(name) {
		return nil
	}
	return fmt.Errorf("%w: no workflow %q is registered; these are: %v", workflow.ErrInvalidArgument, name, l.reg.Names())
}

func (l *local) Start(ctx context.Context, req StartRequest) (string, error) {
	if err := l.known(req.Workflow); err != nil {
		return "", err
	}
	var opts []workflow.StartOption
	if req.RunID != "" {
		opts = append(opts, workflow.WithRunID(req.RunID))
	}
	return l.c.StartByName(ctx, req.Workflow, req.Input, opts...)
}

func (l *local) Resume(ctx context.Context, req ResumeRequest) (workflow.ResumeResult, error) {
	var opts []workflow.ResumeOption
	if req.IdempotencyKey != "" {
		opts = append(opts, workflow.WithIdempotencyKey(req.IdempotencyKey))
	}
	payload := any(req.Payload)
	if len(req.Payload) == 0 {
		payload = nil
	}
	return l.c.ResumeHook(ctx, req.Token, payload, opts...)
}

func (l *local) Cancel(ctx context.Context, runID string) error { return l.c.CancelRun(ctx, runID) }

func (l *local) Retry(ctx context.Context, runID string) error { return l.c.RetryRun(ctx, runID) }

func (l *local) Export(ctx context.Context, runID string) (workflow.RunExport, error) {
	return l.c.ExportRun(ctx, runID)
}

func (l *local) Delete(ctx context.Context, runID string) error { return l.c.DeleteRun(ctx, runID) }

func (l *local) Redeliver(ctx context.Context, req RedeliverRequest) (RedeliverResult, error) {
	if req.NewRunOf != "" {
		if err := l.known(req.NewRunOf); err != nil {
			return RedeliverResult{}, err
		}
		id, err := l.c.RedeliverAsRun(ctx, req.RunID, req.DeliveryID, req.NewRunOf)
		if err != nil {
			return RedeliverResult{}, err
		}
		return RedeliverResult{RunID: id, NewRun: true}, nil
	}
	res, err := l.c.Redeliver(ctx, req.RunID, req.DeliveryID)
	if err != nil {
		return RedeliverResult{}, err
	}
	return RedeliverResult{RunID: res.RunID, DeliveryID: res.DeliveryID}, nil
}
