package slackapproval

import (
	"context"
	"sync"
)

// FakeTS is the ts of every message FakePoster posts.
const FakeTS = "1700000000.000100"

// Post is a message FakePoster posted.
type Post struct {
	Channel string
	Text    string
}

// FakePoster is a Poster for tests and the example's main: it records the messages and
// "posts" each with ts FakeTS in the channel it is given. It is safe for concurrent use.
type FakePoster struct {
	// Posted, when not nil, is sent each posted message, without blocking (give it room).
	Posted chan<- Message

	mu    sync.Mutex
	posts []Post
}

// Post implements Poster.
func (p *FakePoster) Post(_ context.Context, channel, text string) (Message, error) {
	p.mu.Lock()
	p.posts = append(p.posts, Post{Channel: channel, Text: text})
	p.mu.Unlock()
	msg := Message{Channel: channel, TS: FakeTS}
	if p.Posted != nil {
		select {
		case p.Posted <- msg:
		default:
		}
	}
	return msg, nil
}

// Posts returns the messages posted so far, in order.
func (p *FakePoster) Posts() []Post {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Post(nil), p.posts...)
}
