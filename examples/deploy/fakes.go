package deploy

import (
	"context"
	"errors"
	"sync"
)

// ErrDeployerBusy is the transient failure FakeDeployer returns for its first FailFirst calls.
var ErrDeployerBusy = errors.New("deployer busy")

// FakeDeployer is a deterministic in-memory Deployer that remembers its deployments. It is safe
// for concurrent use.
type FakeDeployer struct {
	// FailFirst is how many calls fail with ErrDeployerBusy before one succeeds.
	FailFirst int

	mu       sync.Mutex
	calls    int
	deployed []string
}

// Deploy implements Deployer: it records "<environment> <repo>@<commit>" and returns
// https://<environment>.example.com/releases/<short commit>.
func (d *FakeDeployer) Deploy(_ context.Context, environment, repo, commit string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.calls <= d.FailFirst {
		return "", ErrDeployerBusy
	}
	d.deployed = append(d.deployed, environment+" "+repo+"@"+commit)
	return "https://" + environment + ".example.com/releases/" + short(commit), nil
}

// Calls returns how many times Deploy was called.
func (d *FakeDeployer) Calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}

// Deployed returns the successful deployments so far, in order.
func (d *FakeDeployer) Deployed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.deployed...)
}
