package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/providers/all"
)

// The generated input: the columns of samples/payway.csv, every row valid
// under benchMapping, with a unique account id, e-mail address and personal
// number (Payway's fake enforces the uniqueness of the last two).

// benchMapping is samples/payway.yaml without the base URL (the bench passes
// --base-url): written into the work folder so that an edit of the sample
// cannot change what the bench measures.
const benchMapping = `provider: payway
options:
  atomic: true
fields:
  id: Account ID
  email: {column: E-mail, transform: [trim, lower]}
  first_name: {column: First name, transform: trim}
  last_name: {column: Last name, transform: trim}
  mobile_phone_number: {column: Mobile, transform: digits}
  social_security_number: Personal number
  birth_date: {column: Born, format: "DD/MM/YYYY"}
  tags: {column: Tags, split: ";"}
  address.street: Street
  address.zip_code: {column: Zip, transform: digits}
  address.city: City
  address.country_code: {column: Country, transform: [trim, upper]}
  account_origin: {value: Daily News}
`

var header = []string{"Account ID", "E-mail", "First name", "Last name", "Mobile", "Personal number", "Born", "Tags", "Street", "Zip", "City", "Country"}

// bornColumn is the index of Born, written as a real date cell in XLSX.
const bornColumn = 6

var (
	firstNames = []string{"Anna", "Erik", "Maria", "Johan", "Åsa", "Lars", "Karin", "Per", "Sofia", "Björn"}
	lastNames  = []string{"Karlsson", "Lindqvist", "Nilsson", "Berg", "Öberg", "Johansson", "Andersson", "Ek"}
	cities     = []string{"Umeå", "Stockholm", "Göteborg", "Malmö", "Luleå"}
	tagSets    = []string{"print;digital", "digital", "print", "print;digital;weekend"}
)

// born is row i's birth date.
func born(i int) time.Time {
	return time.Date(1940+i%60, time.Month(1+i/28%12), 1+i%28, 0, 0, 0, 0, time.UTC)
}

// row returns data row i (0-based) as text, as a person would type it.
func row(i int) []string {
	return []string{
		fmt.Sprintf("5f3ac249%016x", i),
		fmt.Sprintf("User.%d@Example.SE", i),
		firstNames[i%len(firstNames)],
		lastNames[i%len(lastNames)],
		fmt.Sprintf("070-%03d %02d %02d", i/10000%1000, i/100%100, i%100),
		fmt.Sprintf("%06d-%04d", 400000+i/10000, i%10000),
		born(i).Format("02/01/2006"),
		tagSets[i%len(tagSets)],
		fmt.Sprintf("Storgatan %d", 1+i%120),
		fmt.Sprintf("%03d %02d", 100+i%900, i%100),
		cities[i%len(cities)],
		"se",
	}
}

// writeCSV writes rows 0..n-1 to path (through a temporary name, so that an
// interrupted bench never leaves a short file to be reused).
func writeCSV(path string, n int) error {
	return writeAtomically(path, func(tmp string) error {
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 1<<20)
		w := csv.NewWriter(bw)
		if err := w.Write(header); err != nil {
			return err
		}
		for i := range n {
			if err := w.Write(row(i)); err != nil {
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
		return f.Close()
	})
}

// writeXLSX writes rows 0..n-1 to path with excelize's StreamWriter, Born
// as a real date cell (as Excel stores a typed date), the rest as text.
func writeXLSX(path string, n int) error {
	return writeAtomically(path, func(tmp string) error {
		f := excelize.NewFile()
		defer f.Close()
		date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		if err != nil {
			return err
		}
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		cells := make([]any, len(header))
		for i, h := range header {
			cells[i] = h
		}
		if err := sw.SetRow("A1", cells); err != nil {
			return err
		}
		for i := range n {
			for c, v := range row(i) {
				cells[c] = v
			}
			cells[bornColumn] = excelize.Cell{StyleID: date, Value: born(i)}
			name, err := excelize.CoordinatesToCellName(1, i+2)
			if err != nil {
				return err
			}
			if err := sw.SetRow(name, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		return f.SaveAs(tmp)
	})
}

func writeAtomically(path string, write func(tmp string) error) error {
	tmp := path + ".tmp" + filepath.Ext(path) // excelize wants the extension
	if err := write(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("generating %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// bodies encodes rows 0..n-1 into the request bodies acctimport sends for
// them, through the same mapping and provider code, so the bare client
// sends byte for byte the same requests.
type bodies struct {
	plan *mapping.Plan
	list [][]byte
}

func newBodies(mappingPath string) (*bodies, error) {
	m, err := mapping.Load(mappingPath, all.Registry)
	if err != nil {
		return nil, err
	}
	plan, err := m.Compile(header, filepath.Dir(mappingPath))
	if err != nil {
		return nil, err
	}
	return &bodies{plan: plan}, nil
}

// first returns the bodies of the first n rows, encoding more as needed.
func (b *bodies) first(n int) ([][]byte, error) {
	m := b.plan.Mapping()
	for i := len(b.list); i < n; i++ {
		built := b.plan.Build(row(i))
		if !built.Valid() {
			return nil, fmt.Errorf("generated row %d is invalid: %s", i, b.plan.Message(&built))
		}
		req, err := m.Provider.Encode(built.Payload, m.Options)
		if err != nil {
			return nil, fmt.Errorf("generated row %d: %w", i, err)
		}
		b.list = append(b.list, req.Body)
	}
	return b.list[:n], nil
}
