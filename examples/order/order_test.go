package order_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/order"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

const day = 24 * time.Hour

func newOrder(id string) order.Order {
	return order.Order{
		ID: id, Email: "ada@example.com", SKU: "BOOK-42", Quantity: 1,
		AmountCents: 2599, Card: "4242-4242-4242-4242", ShipAfter: 3 * day,
	}
}

func TestOrderFulfilment(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		opts workflowtest.Options
	}{
		{"warm", workflowtest.Options{}},
		{"replay every turn", workflowtest.Options{ReplayEveryTurn: true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			fakes := order.NewFakes(1) // the first charge times out
			wf := order.New(fakes.Services())
			env := workflowtest.NewWithOptions(t, mode.opts, wf)
			c := env.Client()
			ctx := t.Context()

			run, err := workflow.Start(ctx, c, wf, newOrder("A-1001"))
			require.NoError(t, err)

			// Stock is reserved and the first charge fails; the retry waits a second.
			env.WaitIdle()
			require.Equal(t, 1, fakes.Warehouse.Calls("reserve"))
			require.Equal(t, 1, fakes.Gateway.Calls("charge"))
			require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))

			// The retry succeeds, then the order sleeps until the shipping window.
			env.AdvanceTime(time.Second)
			require.Equal(t, 2, fakes.Gateway.Calls("charge"))
			require.Equal(t, 0, fakes.Carrier.Calls("ship"))
			require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))

			// Three days pass in an instant.
			env.AdvanceTime(3 * day)
			receipt, err := run.Result(ctx)
			require.NoError(t, err)
			require.Equal(t, order.Receipt{
				OrderID:        "A-1001",
				ReservationID:  "res-A-1001",
				ChargeID:       "ch-A-1001",
				TrackingNumber: "TRACK-A-1001",
				ConfirmationID: "msg-A-1001-ada@example.com",
				ShippedAt:      workflowtest.Start.Add(time.Second + 3*day),
			}, receipt)

			require.Equal(t, 1, fakes.Warehouse.Calls("reserve"))
			require.Equal(t, 2, fakes.Gateway.Calls("charge"))
			require.Equal(t, 1, fakes.Carrier.Calls("ship"))
			require.Equal(t, 1, fakes.Mailer.Calls("send"))
			require.Equal(t, 0, fakes.Warehouse.Calls("release"))

			require.Equal(t, []string{
				"run_created",
				"step_completed", // reserve-stock
				"step_retrying",  // charge-card, attempt 1: gateway timeout
				"step_completed", // charge-card, attempt 2
				"timer_created",  // the shipping window
				"timer_fired",
				"step_completed", // ship
				"step_completed", // send-confirmation
				"run_completed",
			}, env.EventTypes(run.ID()))
			require.Equal(t, workflow.StatusCompleted, env.Status(run.ID()))

			evs, err := c.ListEvents(ctx, run.ID())
			require.NoError(t, err)
			require.NoError(t, workflow.ReplayHistory(wf, run.ID(), evs))
		})
	}
}

func TestOrderDeclinedCardReleasesStock(t *testing.T) {
	t.Parallel()
	fakes := order.NewFakes(0)
	wf := order.New(fakes.Services())
	env := workflowtest.New(t, wf)
	c := env.Client()
	ctx := t.Context()

	o := newOrder("A-1002")
	o.Card = order.DeclinedCard
	run, err := workflow.Start(ctx, c, wf, o)
	require.NoError(t, err)

	_, err = run.Result(ctx)
	require.ErrorContains(t, err, "card declined")
	require.Equal(t, workflow.StatusFailed, env.Status(run.ID()))

	require.Equal(t, 1, fakes.Gateway.Calls("charge"), "a declined card is not retried")
	require.Equal(t, 1, fakes.Warehouse.Calls("release"), "the reservation is given back")
	require.Equal(t, 0, fakes.Carrier.Calls("ship"))
	require.Equal(t, 0, fakes.Mailer.Calls("send"))
	require.Equal(t, []string{
		"run_created",
		"step_completed", // reserve-stock
		"step_failed",    // charge-card: Fatal
		"step_completed", // release-stock
		"run_failed",
	}, env.EventTypes(run.ID()))
}
