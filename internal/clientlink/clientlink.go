// Package clientlink hands the engine client behind a workflow.Client to the packages that
// serve one (pkg/webhook, the Lambda handlers, the test kit), so that a request goes from
// its edge into the engine without the engine's types appearing in pkg/workflow's API.
// pkg/workflow fills in the functions when it is initialised.
package clientlink

import "github.com/hookflow/hookflow/internal/engine"

// Engine returns the engine client behind client (a *workflow.Client), or the error that
// client reports (workflow.Client.Err, or that it has no backend).
var Engine func(client any) (*engine.Client, error)

// SetPoll makes the polling waits of client (a *workflow.Client) call poll before each read
// (engine.ClientOptions.Poll): the test kit runs queued turns there. Call it right after
// NewClient, before the client is shared.
var SetPoll func(client any, poll func())
