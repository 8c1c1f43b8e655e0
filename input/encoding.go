package input

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// encodingNames are the names a message offers; each resolves through
// lookupEncoding, as do their usual aliases (latin1, cp1252, koi8r, ...).
var encodingNames = []string{
	"utf-8", "utf-16le", "utf-16be",
	"windows-1250", "windows-1251", "windows-1252", "windows-1253", "windows-1254", "windows-1255", "windows-1256", "windows-1257", "windows-1258",
	"iso-8859-1", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8", "iso-8859-9", "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15", "iso-8859-16",
	"koi8-r", "koi8-u", "macintosh", "ibm437", "ibm850", "ibm852", "ibm866",
	"shift_jis", "euc-jp", "gbk", "gb18030", "big5", "euc-kr",
}

// CheckEncoding reports whether name is a character set that Options.Encoding
// accepts, so that a command line can refuse a wrong --encoding before it
// opens anything. Names are IANA's or the WHATWG's, in any case; the error
// lists the common ones.
func CheckEncoding(name string) error {
	_, _, err := lookupEncoding(name)
	return err
}

// lookupEncoding resolves a character set name. IANA's names come first, so
// that iso-8859-1 is ISO 8859-1 itself (the WHATWG reads it as
// Windows-1252); the WHATWG's add the aliases web browsers know. The
// returned Encoding is nil for UTF-8, which needs no decoding.
func lookupEncoding(name string) (encoding.Encoding, string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	var enc encoding.Encoding
	if e, err := ianaindex.IANA.Encoding(n); err == nil && e != nil {
		enc = e
	} else if e, err := htmlindex.Get(n); err == nil && e != nil {
		enc = e
	}
	switch {
	case enc == nil:
		return nil, "", fmt.Errorf("unknown character set %q: name one of %s (or a usual alias of one)", name, strings.Join(encodingNames, ", "))
	case enc == unicode.UTF8, enc == encoding.Nop:
		return nil, "UTF-8", nil
	case enc == encoding.Replacement:
		return nil, "", fmt.Errorf("character set %q cannot be read: name one of %s", name, strings.Join(encodingNames, ", "))
	}
	// The MIME name is the one people know: ISO-8859-7, not
	// ISO_8859-7:1987.
	canon, err := ianaindex.MIME.Name(enc)
	if err != nil || canon == "" {
		if canon, err = ianaindex.IANA.Name(enc); err != nil || canon == "" {
			if canon, err = htmlindex.Name(enc); err != nil {
				canon = n
			}
		}
	}
	return enc, canon, nil
}

// chosenEncoding is the encoding the user named, checked against the byte
// order mark the file may start with.
func chosenEncoding(sample []byte, name string) (textEncoding, error) {
	enc, canon, err := lookupEncoding(name)
	if err != nil {
		return textEncoding{}, err
	}
	var bomName string
	var bom int
	switch {
	case bytes.HasPrefix(sample, utf8BOM):
		bomName, bom = "UTF-8", len(utf8BOM)
	case bytes.HasPrefix(sample, utf16LEBOM):
		bomName, bom = "UTF-16LE", 2
	case bytes.HasPrefix(sample, utf16BEBOM):
		bomName, bom = "UTF-16BE", 2
	}
	te := textEncoding{name: canon, decoder: enc, checkFFFD: true}
	if enc == nil {
		te = textEncoding{name: "UTF-8", checkUTF8: true}
	}
	if bomName != "" {
		if !strings.EqualFold(strings.ReplaceAll(bomName, "-", ""), strings.ReplaceAll(strings.ToUpper(te.name), "-", "")) &&
			!(bomName != "UTF-8" && strings.EqualFold(strings.ReplaceAll(te.name, "-", ""), "UTF16")) {
			return textEncoding{}, fmt.Errorf("the file starts with the byte-order mark of %s, but --encoding says %s: leave --encoding out", bomName, name)
		}
		te.bom = bom
	}
	if bytes.IndexByte(sample, 0) >= 0 && te.decoder != nil && !strings.HasPrefix(strings.ToUpper(te.name), "UTF-16") {
		return textEncoding{}, errors.New("this is not a text file (it contains NUL bytes): export the data as CSV")
	}
	return te, nil
}

// Byte classes of Windows-1252 above 0x7F, for fits1252.
const (
	c1252Undefined = iota + 1 // no character: the text is not Windows-1252
	c1252Letter
	c1252Joiner // may stand between letters: ’ ‘ · ´ – — and the soft hyphen
	c1252Prefix // may open a word: ¿ ¡ « ‹ “ „ ‚ and °
	c1252Suffix // may close one: » › ” ¹ ² ³ and …
	c1252Either // may open or close one, not stand inside: © ® ™
	c1252Symbol // anything else
	c1252Space  // the no-break space
)

var class1252 = func() (t [256]uint8) {
	for b := 0x80; b < 0x100; b++ {
		t[b] = c1252Symbol
	}
	for b := 0xC0; b < 0x100; b++ {
		t[b] = c1252Letter
	}
	t[0xD7], t[0xF7] = c1252Symbol, c1252Symbol // × ÷
	for _, b := range []byte{0x8A, 0x8C, 0x8E, 0x9A, 0x9C, 0x9E, 0x9F, 0xAA, 0xB5, 0xBA} {
		t[b] = c1252Letter
	}
	for _, b := range []byte{0x81, 0x8D, 0x8F, 0x90, 0x9D} {
		t[b] = c1252Undefined
	}
	for _, b := range []byte{0x91, 0x92, 0xB4, 0xB7, 0x96, 0x97, 0xAD} {
		t[b] = c1252Joiner
	}
	for _, b := range []byte{0xBF, 0xA1, 0xAB, 0x8B, 0x93, 0x84, 0x82} {
		t[b] = c1252Prefix
	}
	for _, b := range []byte{0xBB, 0x9B, 0x94, 0xB9, 0xB2, 0xB3} {
		t[b] = c1252Suffix
	}
	for _, b := range []byte{0xAE, 0xA9, 0x99} {
		t[b] = c1252Either
	}
	t[0xB0] = c1252Joiner                       // ° stands next to digits and letters alike: 20°C
	t[0x85] = c1252Suffix                       // …
	t[0x95], t[0x86] = c1252Prefix, c1252Prefix // • †
	t[0xA0] = c1252Space
	return t
}()

// Languages written in Windows-1252, by the letters above ASCII they use: a
// word whose letters no one language has together is mojibake of another
// code page (Hungarian fűtő read as fûtõ, Turkish Güneş as Güneþ).
var langLetters = []string{
	"äöüßé",              // German
	"åäöéü",              // Swedish
	"äöåšžé",             // Finnish, Estonian-ish
	"æøåéèêóòôü",         // Danish, Norwegian
	"àâæçéèêëîïôœùûüÿ",   // French
	"áéíñóúü",            // Spanish, Galician
	"áâãàçéêíóôõúü",      // Portuguese
	"àèéìíîòóùú",         // Italian
	"áàâäéèêëíïóòôöúùûü", // Dutch, Afrikaans
	"áðéíóúýþæö",         // Icelandic
	"áðíóúýæø",           // Faroese
	"àçéèíïóòúü",         // Catalan
	"äöüõšž",             // Estonian
	"çë",                 // Albanian
}

// letterLangs maps a lower-case letter of Windows-1252 (as its byte) to the
// set of langLetters it belongs to; letters every language may borrow
// (ª º µ š ž œ ƒ ÿ and their capitals) belong to all.
var letterLangs = func() (t [256]uint32) {
	for i, set := range langLetters {
		for _, r := range set {
			b, _ := charmap.Windows1252.EncodeRune(r)
			t[b] |= 1 << i
		}
	}
	for _, b := range []byte{0xAA, 0xBA, 0xB5, 0x9A, 0x9E, 0x9C} {
		t[b] = ^uint32(0)
	}
	return t
}()

// lower1252 folds a Windows-1252 capital letter to its small letter.
func lower1252(b byte) byte {
	switch {
	case b >= 'A' && b <= 'Z', b >= 0xC0 && b <= 0xDE && b != 0xD7:
		return b + 0x20
	case b == 0x8A, b == 0x8C, b == 0x8E:
		return b + 0x10
	case b == 0x9F:
		return 0xFF
	}
	return b
}

// fits1252 reports whether bytes that are not UTF-8 read well as Windows-1252
// text, the code page of Excel's "CSV" on Western European Windows. When not,
// it returns the first word that gave it away and its line.
//
// Every byte above 0x7F is a character in most 8-bit code pages, so decoding
// never fails; what tells them apart is the words the decoding makes. In
// Western European text a word has a letter or two above ASCII among ASCII
// ones (Göteborg, Größe, café, Åsa), letters that one language uses together,
// and symbols (© ° ½ £) stand beside digits and spaces, not inside words.
// Other code pages read as Windows-1252 break that:
//
//   - Greek and Cyrillic words are nothing but letters above ASCII:
//     Καλημέρα in ISO-8859-7 reads ÊáëçìÝñá, Привет in Windows-1251 Ïðèâåò.
//     Three such letters in a row are suspect.
//   - Central European letters land on symbols: Polish złoty reads z³oty,
//     Łukasz £ukasz, są s¹ (Windows-1250), and ł ą ś on ³ ± ¶ in
//     ISO-8859-2.
//   - Turkish ş ğ ı land on the Icelandic letters þ ð ý, which no other
//     language uses, next to ç and ü, which Icelandic does not.
//   - Five bytes mean nothing in Windows-1252 (0x81 0x8D 0x8F 0x90 0x9D);
//     IBM code pages and Cyrillic ones use them.
//   - Mac Roman keeps its accented letters where Windows-1252 has Š š Ž ž
//     Œ œ Ÿ, which Western text seldom holds: Müller reads MŸller, Köln
//     Kšln. More than one letter in four of these is suspect.
//
// The file is taken to be Windows-1252 when fewer than one word in twenty
// with letters above ASCII is suspect, and it does not look Turkish: words
// with þ ð ý but none of Icelandic's á é í ó ú æ, more than words with both,
// and ç or ü beside them. When in doubt it refuses: --encoding
// windows-1252 reads such a file all the same, while mojibake reaches the
// accounts.
func fits1252(b []byte) (ok bool, word string, line int) {
	var words, suspect int
	var firstWord string
	firstLine := 0
	// Words with þ ð ý: Icelandic ones mostly have á é í ó ú or æ too,
	// Turkish ones (ş ğ ı read as þ ð ý) never do.
	icelandic, turkish, notIcelandic := 0, 0, 0
	// Letters among 0x80-0x9F (Š š Ž ž Œ œ Ÿ) are rare in Windows-1252
	// text, and where Mac Roman keeps é ö ü å ä (Ž š Ÿ Œ Š).
	highLetters, c1Letters := 0, 0
	lineNo := 1
	note := func(w []byte, ln int) {
		suspect++
		if firstWord == "" {
			dec, _ := charmap.Windows1252.NewDecoder().Bytes(w)
			firstWord, firstLine = string(dec), ln
		}
	}
	isLetter := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || class1252[c] == c1252Letter
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c == '\n' || c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			lineNo++
		}
		if c < 0x80 && !isLetter(c) || class1252[c] == c1252Space {
			i++
			continue
		}
		if class1252[c] == c1252Undefined {
			return false, fmt.Sprintf("byte 0x%02X", c), lineNo
		}
		if !isLetter(c) {
			// A symbol above ASCII: suspect when glued to a letter on a
			// side where it does not belong.
			cl := class1252[c]
			before := i > 0 && isLetter(b[i-1])
			after := i+1 < len(b) && isLetter(b[i+1])
			bad := cl == c1252Symbol && (before || after) ||
				(cl == c1252Prefix || cl == c1252Either) && before && after ||
				cl == c1252Suffix && after
			if bad {
				words++
				s, e := i, i+1
				for s > 0 && (isLetter(b[s-1]) || b[s-1] >= 0x80) {
					s--
				}
				for e < len(b) && (isLetter(b[e]) || b[e] >= 0x80) {
					e++
				}
				note(b[s:e], lineNo)
			}
			i++
			continue
		}
		// A word: letters, and the joiners between them.
		s := i
		high, run, longest := 0, 0, 0
		langs := ^uint32(0)
		interior, thorn, acute := false, false, false
		for i < len(b) && (isLetter(b[i]) || class1252[b[i]] == c1252Joiner && i+1 < len(b) && isLetter(b[i+1]) && i > s) {
			c := b[i]
			if c >= 0x80 && class1252[c] == c1252Letter {
				high++
				highLetters++
				if c < 0xA0 {
					c1Letters++
				}
				run++
				longest = max(longest, run)
				l := lower1252(c)
				langs &= letterLangs[l]
				switch l {
				case 0xF0, 0xFE, 0xFD: // ð þ ý
					thorn = true
				case 0xE1, 0xE9, 0xED, 0xF3, 0xFA, 0xE6: // á é í ó ú æ
					acute = true
				case 0xE7, 0xFC: // ç ü
					notIcelandic++
				case 0xEC, 0xF9: // ì ù: word-final in Italian and French
					if i > s && i+1 < len(b) && isLetter(b[i+1]) {
						interior = true
					}
				}
			} else {
				run = 0
			}
			i++
		}
		if high == 0 {
			continue
		}
		switch {
		case thorn && acute:
			icelandic++
		case thorn:
			turkish++
		}
		words++
		if longest >= 3 || langs == 0 || interior {
			note(b[s:i], lineNo)
		}
	}
	switch {
	case turkish >= 2 && notIcelandic >= 2 && turkish > icelandic:
		if firstWord == "" {
			firstWord, firstLine = "þ, ð or ý beside ç or ü", 0
		}
		return false, firstWord, firstLine
	case suspect > 0 && suspect*20 >= words:
		return false, firstWord, firstLine
	case c1Letters >= 3 && c1Letters*4 > highLetters:
		return false, "Š š Ž ž Œ œ Ÿ, as many as other letters", 0
	}
	return true, "", 0
}

// fitsMacRoman reports whether a file whose lines end in CR alone, and so
// comes from old Mac Excel's "CSV (Macintosh)", reads well as the Mac Roman
// it writes: decoded, every character is one Windows-1252 has too, and as
// such the text passes fits1252.
func fitsMacRoman(b []byte) bool {
	text, err := charmap.Macintosh.NewDecoder().Bytes(b)
	if err != nil {
		return false
	}
	as1252, err := charmap.Windows1252.NewEncoder().Bytes(text)
	if err != nil {
		return false
	}
	ok, _, _ := fits1252(as1252)
	return ok
}

// crOnly reports whether the sample's lines end in CR alone.
func crOnly(b []byte) bool {
	return bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') >= 0
}

// not1252Error refuses a file that is neither UTF-8 nor Windows-1252.
func not1252Error(word string, line int) error {
	where := ""
	switch {
	case strings.HasPrefix(word, "byte "):
		where = fmt.Sprintf(" (line %d has %s, which is no character in Windows-1252)", line, word)
	case line == 0 && word != "":
		where = " (it has " + word + ")"
	case line > 0 && utf8.ValidString(word):
		where = fmt.Sprintf(" (line %d would read %q)", line, word)
	}
	return fmt.Errorf("the file is not UTF-8, and it does not read as Windows-1252 (Western European) text either%s: "+
		"save it as UTF-8 (in Excel: \"CSV UTF-8\"), or name its character set with --encoding, "+
		"such as --encoding windows-1250 (Central European), windows-1251 (Cyrillic), iso-8859-7 (Greek) or windows-1254 (Turkish); "+
		"--encoding windows-1252 reads it as Western European all the same", where)
}
