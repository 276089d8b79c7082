// Package devserver runs hookflow for development in one process: the embedded backend,
// persisted to a bbolt file, a worker (with its sweeper), and one HTTP server with
// everything a developer points tools at:
//
//	/.well-known/workflow/v1/webhook/{token}  the webhook route (pkg/webhook)
//	/.well-known/workflow/v1/resume           the resume endpoint (pkg/webhook)
//	/.well-known/workflow/v1/admin/...        the operations API (pkg/admin), which the CLI calls
//	/.well-known/workflow/v1/                  these URLs, as plain text
//	/                                          the web inspector (pkg/inspector), or Options.UI
//
// It is what `hookflow dev` runs for the examples' catalog. The hookflow binary cannot link
// your workflows, so a program of your own serves them the same way:
//
//	func main() {
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
//		defer stop()
//		srv, err := devserver.Start(ctx, devserver.Options{Registry: workflow.NewRegistry(myflows.All()...)})
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer srv.Close()
//		fmt.Println("serving on", srv.URL())
//		select {
//		case <-ctx.Done():
//		case err := <-srv.Err():
//			log.Print(err)
//		}
//	}
//
// and the hookflow CLI (`hookflow runs ls`, `hookflow resume`, ...) reads and drives its runs
// through the admin API at srv.URL().
//
// Nothing here authenticates anybody: the admin API and the resume endpoint can start, resume
// and cancel any run. Keep Addr on the loopback interface (the default); the server logs a
// warning when it listens anywhere else.
package devserver
