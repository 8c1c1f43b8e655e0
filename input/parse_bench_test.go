package input

import (
	"bytes"
	"encoding/csv"
	"io"
	"testing"
)

// benchText is the CSV of the benchmarks' rows, in memory, so that the
// parsers are compared without the file system.
func benchText(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	must(b, cw.Write(benchHeader))
	for i := range benchCSVRows {
		must(b, cw.Write(benchRow(i)))
	}
	cw.Flush()
	return buf.Bytes()
}

// BenchmarkParse compares csvParser with encoding/csv on the same text, each
// handing out a fresh slice of cells a record as Reader must.
func BenchmarkParse(b *testing.B) {
	text := benchText(b)
	b.Run("csvParser", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for range b.N {
			p := newCSVParser(bytes.NewReader(text), ',')
			n := 0
			for {
				_, prob, err := p.next()
				if err == io.EOF {
					break
				}
				must(b, err)
				if prob.kind != probNone {
					b.Fatal(prob)
				}
				n++
			}
			if n != benchCSVRows+1 {
				b.Fatalf("%d records", n)
			}
		}
		reportRows(b, benchCSVRows)
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for range b.N {
			cr := csv.NewReader(bytes.NewReader(text))
			n := 0
			for {
				_, err := cr.Read()
				if err == io.EOF {
					break
				}
				must(b, err)
				n++
			}
			if n != benchCSVRows+1 {
				b.Fatalf("%d records", n)
			}
		}
		reportRows(b, benchCSVRows)
	})
}
