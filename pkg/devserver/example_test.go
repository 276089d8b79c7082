package devserver_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/devserver"
	"github.com/hookflow/hookflow/pkg/workflow"
)

var greet = workflow.Define("greet", func(ctx workflow.Context, name string) (string, error) {
	return "hello, " + name, nil
})

// A program serves its own workflows on a dev server; the hookflow CLI (or any client of
// the admin API) drives them at srv.URL().
func ExampleStart() {
	dir, err := os.MkdirTemp("", "devserver-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Options{
		Addr:     "127.0.0.1:0", // a free port; the default is 127.0.0.1:8080
		Dir:      dir,           // the default is .hookflow
		Registry: workflow.NewRegistry(greet),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	api := admin.Remote(srv.URL(), nil) // what `hookflow --server URL ...` calls
	names, _ := api.Workflows(ctx)
	fmt.Println("workflows:", strings.Join(names, ", "))

	run, err := workflow.Start(ctx, srv.Client(), greet, "ada")
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := run.Result(ctx)
	fmt.Println(out, err)
	// Output:
	// workflows: greet
	// hello, ada <nil>
}
