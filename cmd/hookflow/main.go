// Command hookflow is the hookflow CLI for the workflows of the examples' catalog (the ones
// the reference runner serves): `hookflow dev` runs them on an embedded dev server, and the
// other commands start, resume, list, read, cancel and retry runs, through the dev server's
// admin API (--server) or straight on DynamoDB (--backend aws). Its `gate` command checks a
// deploy against the runs in flight; `make deploy` runs `hookflow gate check` first.
//
// The binary cannot link your workflows: serve them with pkg/devserver from a main of your
// own, and point this CLI at it with --server. A gate for your own workflows is
// deploygate.Command with your registry.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv))
}
