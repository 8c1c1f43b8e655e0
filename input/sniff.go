package input

import (
	"bytes"
	"errors"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sampleSize is how much of a text file decides its encoding and delimiter.
const sampleSize = 64 << 10

// textEncoding is what sniffEncoding learned about a text file.
type textEncoding struct {
	name    string            // for messages
	bom     int               // bytes of byte-order mark to skip
	decoder encoding.Encoding // nil: the bytes are UTF-8 already
	// checkUTF8 is set when the file sampled as UTF-8: a later row that is
	// not valid UTF-8 must be refused rather than passed on as mojibake.
	checkUTF8 bool
	// checkFFFD is set for an encoding the user chose: a byte it has no
	// character for decodes to U+FFFD, and makes its row invalid.
	checkFFFD bool
}

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
	zipMagic   = []byte("PK\x03\x04")
	oleMagic   = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniffEncoding decides how to decode a text file from its first bytes.
//
// A byte-order mark settles it (Excel writes one for "CSV UTF-8" and for
// "Unicode text", which is UTF-16LE). Without one, text that is valid UTF-8 is
// UTF-8 (plain ASCII included), and so is text that is mostly UTF-8 with a
// few bytes that are not (a row pasted from elsewhere): those rows are
// invalid, the others read right. Anything else is Windows-1252 (what Excel
// on Windows writes for "CSV"; ISO 8859-1 files are in practice Windows-1252
// too) when it reads well as such (see fits1252), and refused otherwise with
// a message that names --encoding. Lines that end in CR alone come from old
// Mac Excel's "CSV (Macintosh)", which writes Mac Roman: such a file is read
// as Mac Roman when that reads well. NUL bytes mean UTF-16 without a mark or
// not text at all.
func sniffEncoding(sample []byte, atEOF bool) (textEncoding, error) {
	switch {
	case bytes.HasPrefix(sample, utf8BOM):
		return textEncoding{name: "UTF-8", bom: len(utf8BOM), checkUTF8: true}, nil
	case bytes.HasPrefix(sample, utf16LEBOM):
		return textEncoding{name: "UTF-16LE", bom: 2, decoder: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, nil
	case bytes.HasPrefix(sample, utf16BEBOM):
		return textEncoding{name: "UTF-16BE", bom: 2, decoder: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, nil
	case bytes.HasPrefix(sample, zipMagic):
		return textEncoding{}, errors.New("this is a zip archive, not delimited text: if it is an Excel workbook, name it .xlsx")
	case bytes.HasPrefix(sample, oleMagic):
		return textEncoding{}, errors.New("this is an old binary Excel (.xls) file, not delimited text: open it in Excel or LibreOffice and save it as .xlsx or .csv")
	}
	if i := bytes.IndexByte(sample, 0); i >= 0 {
		// UTF-16 text without a byte-order mark has a NUL in every other byte
		// where the text is ASCII: on odd offsets for little-endian.
		var even, odd int
		for j, b := range sample {
			if b == 0 {
				if j%2 == 0 {
					even++
				} else {
					odd++
				}
			}
		}
		half := len(sample) / 2
		switch {
		case odd > half*3/10 && even == 0:
			return textEncoding{name: "UTF-16LE", decoder: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, nil
		case even > half*3/10 && odd == 0:
			return textEncoding{name: "UTF-16BE", decoder: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, nil
		}
		return textEncoding{}, errors.New("this is not a text file (it contains NUL bytes): export the data as CSV")
	}
	if validUTF8Prefix(sample, atEOF) || mostlyUTF8(sample) {
		return textEncoding{name: "UTF-8", checkUTF8: true}, nil
	}
	if crOnly(sample) && fitsMacRoman(sample) {
		return textEncoding{name: "Macintosh", decoder: charmap.Macintosh, checkFFFD: true}, nil
	}
	if ok, word, line := fits1252(sample); !ok {
		return textEncoding{}, not1252Error(word, line)
	}
	return textEncoding{name: "Windows-1252", decoder: charmap.Windows1252}, nil
}

// mostlyUTF8 reports whether at least as many characters above ASCII are
// well-formed UTF-8 as not. Windows-1252 text almost never holds a UTF-8 sequence by
// chance (that would take, say, Ã followed by ¶).
func mostlyUTF8(b []byte) bool {
	good, bad := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			bad++
		} else {
			good++
		}
		i += size
	}
	return good > 0 && good >= bad
}

// validUTF8Prefix is utf8.Valid, except that when the sample was cut short a
// character split by the cut is not held against it.
func validUTF8Prefix(b []byte, atEOF bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if atEOF {
		return false
	}
	// Back up to the start of the last character; an incomplete one is fine.
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			return !utf8.FullRune(b[i:]) && utf8.Valid(b[:i])
		}
	}
	return false
}

// decodeSample returns the sample as UTF-8 for delimiter detection.
func (e textEncoding) decodeSample(sample []byte) []byte {
	sample = sample[e.bom:]
	if e.decoder == nil {
		return sample
	}
	out, _, err := transform.Bytes(e.decoder.NewDecoder(), sample)
	if err != nil {
		return sample
	}
	return out
}

// delimiters are the candidates, in order of preference when two fit a file
// equally well: characters that rarely occur in text first.
var delimiters = [...]byte{'\t', ';', '|', ','}

// sniffDelimiter picks the delimiter of a text sample: the candidate that
// occurs (outside quotes) on the header line and the same number of times on
// most of the lines under it. The header counts for most, as its names rarely
// contain a delimiter while data (decimal commas, lists) often does. Without
// a clear winner, the delimiter is a comma.
func sniffDelimiter(sample []byte, atEOF bool) rune {
	lines := sampleLines(sample, atEOF, 50)
	if len(lines) == 0 {
		return ','
	}
	best, bestScore, bestHeader := byte(','), -1.0, 0
	for _, d := range delimiters {
		header := countOutsideQuotes(lines[0], d)
		if header == 0 {
			continue
		}
		score := 1.0
		if len(lines) > 1 {
			same := 0
			for _, l := range lines[1:] {
				if countOutsideQuotes(l, d) == header {
					same++
				}
			}
			score = float64(same) / float64(len(lines)-1)
		}
		if score > bestScore || (score == bestScore && header > bestHeader) {
			best, bestScore, bestHeader = d, score, header
		}
	}
	return rune(best)
}

// sampleLines splits a sample into up to max non-blank records, keeping
// line breaks inside quotes within their record. A line ends at LF, CRLF or
// CR. A quote opens a quoted part only where a cell may start (at the start
// of the line or after a candidate delimiter), as csvParser reads it. A last
// line cut off by the end of the sample is dropped, unless it is the only
// one.
func sampleLines(sample []byte, atEOF bool, max int) [][]byte {
	var lines [][]byte
	inQuote, start := false, 0
	for i := 0; i < len(sample) && len(lines) < max; i++ {
		switch c := sample[i]; c {
		case '"':
			switch {
			case inQuote && i+1 < len(sample) && sample[i+1] == '"':
				i++
			case inQuote:
				inQuote = false
			case i == start || isCandidate(sample[i-1]):
				inQuote = true
			}
		case '\n', '\r':
			if inQuote {
				break
			}
			if l := sample[start:i]; len(bytes.TrimSpace(l)) > 0 {
				lines = append(lines, l)
			}
			if c == '\r' && i+1 < len(sample) && sample[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if rest := sample[start:]; len(lines) < max && len(bytes.TrimSpace(rest)) > 0 && (atEOF || len(lines) == 0) {
		lines = append(lines, rest)
	}
	return lines
}

func isCandidate(c byte) bool { return bytes.IndexByte(delimiters[:], c) >= 0 }

// countOutsideQuotes counts d in line outside quoted cells: a quote opens one
// only at the start of a cell, and a doubled quote inside is no end.
func countOutsideQuotes(line []byte, d byte) int {
	n := 0
	for i := 0; i < len(line); i++ {
		if line[i] == '"' && (i == 0 || line[i-1] == d) {
			for i++; i < len(line); i++ {
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						i++
						continue
					}
					break
				}
			}
			continue
		}
		if line[i] == d {
			n++
		}
	}
	return n
}
