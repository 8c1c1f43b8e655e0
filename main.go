// Command acctimport updates customer accounts in remote account APIs from
// CSV or XLSX spreadsheets. See README.md.
package main

import (
	"os"

	"github.com/acctimport/acctimport/cli"
)

func main() { os.Exit(cli.Execute()) }
