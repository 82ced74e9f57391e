// Command segbridge keeps segments of unified customer profiles alive in
// Omnisend. All behaviour lives in internal/cli and internal/app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"segbridge/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
