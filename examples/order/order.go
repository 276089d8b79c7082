// Package order is an order-fulfilment workflow: reserve stock, charge the card (retrying a
// transient gateway failure), wait for the shipping window, ship, and send a confirmation.
//
// The services it calls are interfaces gathered in Services, so the same workflow runs against
// real systems or against the deterministic fakes in fakes.go, which the demo and the tests use.
package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Name is the workflow's name, stored in every run's history: keep it stable.
const Name = "order-fulfilment"

// Order is the workflow's input.
type Order struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	// AmountCents is the amount to charge, in cents.
	AmountCents int64  `json:"amountCents"`
	Card        string `json:"card"`
	// ShipAfter is how long the order waits for the shipping window after it is paid: seconds
	// in the demo, days in production (and in tests, under the fake clock).
	ShipAfter time.Duration `json:"shipAfter"`
}

// Receipt is the workflow's output.
type Receipt struct {
	OrderID        string    `json:"orderId"`
	ReservationID  string    `json:"reservationId"`
	ChargeID       string    `json:"chargeId"`
	TrackingNumber string    `json:"trackingNumber"`
	ConfirmationID string    `json:"confirmationId"`
	ShippedAt      time.Time `json:"shippedAt"`
}

// Inventory reserves and releases stock.
type Inventory interface {
	Reserve(ctx context.Context, orderID, sku string, quantity int) (reservationID string, err error)
	Release(ctx context.Context, reservationID string) error
}

// Payments charges cards. Charge is called with the order ID as idempotency key, since a step
// may run more than once; an error matching ErrCardDeclined is permanent, any other is retried.
type Payments interface {
	Charge(ctx context.Context, idempotencyKey, card string, amountCents int64) (chargeID string, err error)
}

// Shipping hands reserved stock to a carrier.
type Shipping interface {
	Ship(ctx context.Context, orderID, reservationID string) (trackingNumber string, err error)
}

// Notifier tells the customer.
type Notifier interface {
	SendConfirmation(ctx context.Context, email, orderID, trackingNumber string) (messageID string, err error)
}

// Services are what the workflow's steps call.
type Services struct {
	Inventory Inventory
	Payments  Payments
	Shipping  Shipping
	Notifier  Notifier
}

// ErrCardDeclined is a permanent payment failure: the charge is not retried.
var ErrCardDeclined = errors.New("card declined")

// New returns the order workflow bound to s. Register it with a worker and start runs of it;
// each worker (or test) may bind its own services.
func New(s *Services) *workflow.Workflow[Order, Receipt] {
	return workflow.Define(Name, func(ctx workflow.Context, o Order) (Receipt, error) {
		return fulfil(ctx, s, o)
	})
}

func fulfil(ctx workflow.Context, s *Services, o Order) (Receipt, error) {
	log := workflow.Logger(ctx).With("order", o.ID)
	r := Receipt{OrderID: o.ID}

	var err error
	r.ReservationID, err = workflow.Step(ctx, "reserve-stock", func(ctx context.Context) (string, error) {
		return s.Inventory.Reserve(ctx, o.ID, o.SKU, o.Quantity)
	})
	if err != nil {
		return r, fmt.Errorf("reserving stock: %w", err)
	}

	r.ChargeID, err = workflow.Step(ctx, "charge-card", func(ctx context.Context) (string, error) {
		id, err := s.Payments.Charge(ctx, o.ID, o.Card, o.AmountCents)
		if errors.Is(err, ErrCardDeclined) {
			return "", workflow.Fatal(err)
		}
		return id, err
	}, workflow.WithRetries(3), workflow.WithRetryDelay(time.Second))
	if err != nil {
		// Compensate: give the stock back before failing the order.
		if _, rerr := workflow.Step(ctx, "release-stock", func(ctx context.Context) (struct{}, error) {
			return struct{}{}, s.Inventory.Release(ctx, r.ReservationID)
		}); rerr != nil {
			return r, errors.Join(fmt.Errorf("charging card: %w", err), fmt.Errorf("releasing stock: %w", rerr))
		}
		return r, fmt.Errorf("charging card: %w", err)
	}

	log.Info("paid; waiting for the shipping window", "shipAfter", o.ShipAfter)
	if err := workflow.Sleep(ctx, o.ShipAfter); err != nil {
		return r, err
	}

	r.TrackingNumber, err = workflow.Step(ctx, "ship", func(ctx context.Context) (string, error) {
		return s.Shipping.Ship(ctx, o.ID, r.ReservationID)
	})
	if err != nil {
		return r, fmt.Errorf("shipping: %w", err)
	}
	r.ShippedAt = workflow.Now(ctx)

	r.ConfirmationID, err = workflow.Step(ctx, "send-confirmation", func(ctx context.Context) (string, error) {
		return s.Notifier.SendConfirmation(ctx, o.Email, o.ID, r.TrackingNumber)
	})
	if err != nil {
		return r, fmt.Errorf("sending confirmation: %w", err)
	}
	return r, nil
}
