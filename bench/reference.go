package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/xuri/excelize/v2"
)

// referenceCmd is the hidden first argument with which the bench runs
// itself as a child to do the libraries' own work on a file, so that its
// time and peak RSS are measured exactly as acctimport's are.
const referenceCmd = "__reference"

// reference is the child side: `bench __reference xlsx|csv IN OUT`.
func reference(args []string) error {
	if len(args) != 3 {
		return errors.New("usage: " + referenceCmd + " xlsx|csv IN OUT")
	}
	switch args[0] {
	case "xlsx":
		return copyXLSX(args[1], args[2])
	case "csv":
		return copyCSV(args[1], args[2])
	}
	return fmt.Errorf("unknown reference %q", args[0])
}

// copyXLSX is excelize's own streaming read (Rows) of the first sheet plus
// a streaming write (StreamWriter) of the same cells to a new workbook: the
// floor for `acctimport validate` of an XLSX with an XLSX report.
func copyXLSX(in, out string) error {
	f, err := excelize.OpenFile(in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		return err
	}
	defer rows.Close()

	nf := excelize.NewFile()
	defer nf.Close()
	sw, err := nf.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	var cells []any
	n := 0
	for rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		cells = cells[:0]
		for _, c := range cols {
			cells = append(cells, c)
		}
		n++
		name, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		if err := sw.SetRow(name, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return nf.SaveAs(out)
}

// copyCSV is encoding/csv reading and writing the same rows: context for
// `validate` of a CSV, whose goal is absolute (rows/s and RSS).
func copyCSV(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	r.ReuseRecord = true
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	bw := bufio.NewWriterSize(o, 1<<16)
	w := csv.NewWriter(bw)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return o.Close()
}
