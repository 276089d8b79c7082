package order

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrGatewayTimeout is the transient failure FlakyGateway returns.
var ErrGatewayTimeout = errors.New("payment gateway timeout")

// DeclinedCard is the card number FlakyGateway always declines.
const DeclinedCard = "4000-0000-0000-0002"

// Fakes are deterministic in-memory services that count their calls. They are safe for
// concurrent use.
type Fakes struct {
	Warehouse *Warehouse
	Gateway   *FlakyGateway
	Carrier   *Carrier
	Mailer    *Mailer
}

// NewFakes returns fakes whose gateway fails the first failFirst charges of every order with
// ErrGatewayTimeout.
func NewFakes(failFirst int) *Fakes {
	return &Fakes{
		Warehouse: &Warehouse{},
		Gateway:   &FlakyGateway{FailFirst: failFirst},
		Carrier:   &Carrier{},
		Mailer:    &Mailer{},
	}
}

// Services returns the fakes as the workflow's services.
func (f *Fakes) Services() *Services {
	return &Services{Inventory: f.Warehouse, Payments: f.Gateway, Shipping: f.Carrier, Notifier: f.Mailer}
}

// counter counts calls by kind.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *counter) add(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[kind]++
	return c.calls[kind]
}

// Calls returns how many times kind was called.
func (c *counter) Calls(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[kind]
}

// Warehouse is a fake Inventory; Calls("reserve") and Calls("release") count its calls.
type Warehouse struct{ counter }

// Reserve implements Inventory.
func (w *Warehouse) Reserve(_ context.Context, orderID, sku string, quantity int) (string, error) {
	w.add("reserve")
	if quantity <= 0 {
		return "", fmt.Errorf("reserve %s: bad quantity %d", sku, quantity)
	}
	return "res-" + orderID, nil
}

// Release implements Inventory.
func (w *Warehouse) Release(_ context.Context, reservationID string) error {
	w.add("release")
	return nil
}

// FlakyGateway is a fake Payments that fails the first FailFirst charges of each idempotency
// key with ErrGatewayTimeout, then succeeds; it declines DeclinedCard every time. Calls("charge")
// counts every attempt.
type FlakyGateway struct {
	counter
	FailFirst int
}

// Charge implements Payments.
func (g *FlakyGateway) Charge(_ context.Context, key, card string, amountCents int64) (string, error) {
	g.add("charge")
	n := g.add("charge:" + key)
	if card == DeclinedCard {
		return "", fmt.Errorf("charging %d cents: %w", amountCents, ErrCardDeclined)
	}
	if n <= g.FailFirst {
		return "", fmt.Errorf("charge %d of order %s: %w", n, key, ErrGatewayTimeout)
	}
	return "ch-" + key, nil
}

// Carrier is a fake Shipping; Calls("ship") counts its calls.
type Carrier struct{ counter }

// Ship implements Shipping.
func (c *Carrier) Ship(_ context.Context, orderID, _ string) (string, error) {
	c.add("ship")
	return "TRACK-" + orderID, nil
}

// Mailer is a fake Notifier; Calls("send") counts its calls.
type Mailer struct{ counter }

// SendConfirmation implements Notifier.
func (m *Mailer) SendConfirmation(_ context.Context, email, orderID, _ string) (string, error) {
	m.add("send")
	return "msg-" + orderID + "-" + email, nil
}
