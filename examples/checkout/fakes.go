package checkout

import (
	"context"
	"sync"
)

// FakeFulfiller records the orders it ships, for tests and the example's main.
type FakeFulfiller struct {
	mu      sync.Mutex
	shipped []string
}

// Fulfil records the order and returns a shipment id made from it.
func (f *FakeFulfiller) Fulfil(_ context.Context, order, paymentIntent string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shipped = append(f.shipped, order+" "+paymentIntent)
	return "shp_" + order, nil
}

// Shipped returns what was shipped, as "order paymentIntent", in order.
func (f *FakeFulfiller) Shipped() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.shipped...)
}
