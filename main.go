// Command acctimport updates customer accounts in remote account APIs from
// CSV or XLSX spreadsheets. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/acctimport/acctimport/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
