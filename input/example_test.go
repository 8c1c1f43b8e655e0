package input_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/acctimport/acctimport/input"
)

func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.csv")
	// As Excel on Windows saves it: semicolons, CRLF, a blank line.
	os.WriteFile(path, []byte("Email;Mobile\r\na@example.com;46701234567\r\n\r\nb@example.com\r\n"), 0o600)

	r, err := input.Open(path, input.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println(r.Header())
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rec.Line, rec.Cells, rec.Err)
	}
	// Output:
	// [Email Mobile]
	// 2 [a@example.com 46701234567] <nil>
	// 4 [b@example.com ] row has 1 cell, the header has 2
}
