package approval

import (
	"context"
	"sync"
)

// FakePublisher is a deterministic in-memory Publisher that remembers what it published. It is
// safe for concurrent use.
type FakePublisher struct {
	mu        sync.Mutex
	published []string
}

// Publish implements Publisher: the reference is "pub-" followed by the document ID.
func (p *FakePublisher) Publish(_ context.Context, document string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = append(p.published, document)
	return "pub-" + document, nil
}

// Published returns the documents published so far, in order.
func (p *FakePublisher) Published() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.published...)
}
