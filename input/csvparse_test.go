package input

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

// parseAll runs csvParser over text to the end.
func parseAll(t testing.TB, src io.Reader, comma byte) ([][]string, []problem) {
	t.Helper()
	p := newCSVParser(src, comma)
	var recs [][]string
	var probs []problem
	for i := 0; ; i++ {
		cells, prob, err := p.next()
		if err == io.EOF {
			return recs, probs
		}
		if err != nil {
			t.Fatal(err)
		}
		if i > 1<<20 {
			t.Fatal("no end")
		}
		recs = append(recs, cells)
		probs = append(probs, prob)
	}
}

// FuzzParse compares csvParser with encoding/csv on every input both read
// the same way: text encoding/csv parses without error and without a CR
// (encoding/csv keeps a lone CR as data, where Excel ends the line) and
// without blank lines (encoding/csv skips them, and so does Reader). On any
// input, the parser must not panic, must end, and must read the same records
// when the input arrives one byte at a time.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n",
		"a,\"b,c\"\n\"x\"\"y\",\"multi\nline\"\n",
		"a,b\r\n1,2\r\n",
		"a;b\r1;2\r",
		"a,b\n1,12\" pizza\n",
		"a,b\n1,\"x\"y,2\n",
		"a,b\n1,\"unclosed\n2,3\n",
		"\"\",\"\"\"\"\n,\n",
		"a,b,\n,,\n",
		"x\r\n\r\n\"y\r\nz\"\r",
	} {
		f.Add([]byte(s), byte(','))
	}
	f.Add([]byte("a;b\n1;\"2;3\"\n"), byte(';'))
	f.Add([]byte("a\tb\n1\t\"2\t3\"\n"), byte('\t'))
	f.Fuzz(func(t *testing.T, data []byte, comma byte) {
		if bytes.IndexByte(delimiters[:], comma) < 0 {
			comma = ','
		}
		recs, probs := parseAll(t, bytes.NewReader(data), comma)
		slow, slowProbs := parseAll(t, iotest.OneByteReader(bytes.NewReader(data)), comma)
		if !slices.EqualFunc(recs, slow, slices.Equal) || !slices.Equal(probs, slowProbs) {
			t.Fatalf("read whole %q, one byte at a time %q", recs, slow)
		}
		for i, r := range recs {
			if probs[i].kind == probNone && len(r) == 0 {
				t.Fatalf("record %d has no cells", i)
			}
		}

		if bytes.IndexByte(data, '\r') >= 0 {
			return
		}
		cr := csv.NewReader(bytes.NewReader(data))
		cr.Comma = rune(comma)
		cr.FieldsPerRecord = -1
		want, err := cr.ReadAll()
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for i, r := range recs {
			if probs[i].kind != probNone {
				t.Fatalf("encoding/csv reads %q, csvParser finds %+v in record %d", data, probs[i], i)
			}
			if len(r) == 1 && r[0] == "" {
				// A blank line, or a record of one empty cell, which
				// encoding/csv skips too unless quoted.
				continue
			}
			got = append(got, r)
		}
		want = slices.DeleteFunc(want, func(r []string) bool { return len(r) == 1 && r[0] == "" })
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("input %q\ncsvParser    %q\nencoding/csv %q", data, got, want)
		}
	})
}
