package workflow

import (
	"fmt"

	"github.com/hookflow/hookflow/internal/clientlink"
	"github.com/hookflow/hookflow/internal/engine"
)

func init() {
	clientlink.Engine = func(client any) (*engine.Client, error) {
		c, ok := client.(*Client)
		if !ok {
			return nil, fmt.Errorf("%w: %T is not a *workflow.Client", ErrInvalidArgument, client)
		}
		return c.engine()
	}
	clientlink.SetPoll = func(client any, poll func()) {
		if c, ok := client.(*Client); ok && c != nil && c.e != nil {
			c.e = c.e.WithPoll(poll)
		}
	}
}
