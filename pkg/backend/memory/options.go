package memory

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Options configure a Backend, as aws.Options configure the DynamoDB one: every field has a
// documented default, and NewWithOptions and OpenWithOptions refuse impossible values.
type Options struct {
	// Clock is used for delayed messages, visibility timeouts and the time part of assigned
	// inbox IDs. Default: backend.SystemClock{}.
	Clock backend.Clock
	// VisibilityTimeout is how long a received wake message stays invisible before it is
	// delivered again unless acknowledged. Default: DefaultVisibilityTimeout.
	VisibilityTimeout time.Duration
	// MaxReceives is how many times a wake message may be received without being
	// acknowledged, like the maxReceiveCount of an SQS redrive policy: when the visibility
	// timeout after its n-th receive ends, the message is moved out of the queue to the dead
	// letters (see DeadLetters) instead of being delivered again. Default: DefaultMaxReceives.
	MaxReceives int
}

// WithDefaults returns o with every unset field set to its default.
func (o Options) WithDefaults() Options {
	if o.Clock == nil {
		o.Clock = backend.SystemClock{}
	}
	o.VisibilityTimeout = cmp.Or(o.VisibilityTimeout, DefaultVisibilityTimeout)
	o.MaxReceives = cmp.Or(o.MaxReceives, DefaultMaxReceives)
	return o
}

// validate reports every problem of o at once.
func (o Options) validate() error {
	var errs []error
	if o.VisibilityTimeout < 0 {
		errs = append(errs, fmt.Errorf("memory: Options.VisibilityTimeout %v is negative", o.VisibilityTimeout))
	}
	if o.MaxReceives < 0 {
		errs = append(errs, fmt.Errorf("memory: Options.MaxReceives %d is negative", o.MaxReceives))
	}
	return errors.Join(errs...)
}

// Option sets a field of the Options of a Backend made by New or Open: a shorthand for the
// constructors that take no Options.
type Option func(*Options)

// WithClock sets Options.Clock. A nil clock is ignored.
func WithClock(c backend.Clock) Option {
	return func(o *Options) {
		if c != nil {
			o.Clock = c
		}
	}
}

// WithVisibilityTimeout sets Options.VisibilityTimeout; a value that is not positive is
// ignored.
func WithVisibilityTimeout(d time.Duration) Option {
	return func(o *Options) {
		if d > 0 {
			o.VisibilityTimeout = d
		}
	}
}

// WithMaxReceives sets Options.MaxReceives; a value that is not positive is ignored.
func WithMaxReceives(n int) Option {
	return func(o *Options) {
		if n > 0 {
			o.MaxReceives = n
		}
	}
}
