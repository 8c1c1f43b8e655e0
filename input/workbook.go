package input

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"golang.org/x/text/transform"
)

// ErrDamaged is a workbook whose zip archive or XML is broken: a part that
// does not unpack, XML cut off or not well-formed, a reference to something
// that is not there. The *FileError that wraps it says which part and what
// to do; errors.Is(err, ErrDamaged) tells it from other problems. Next
// returns it too, for damage found only after rows were read.
var ErrDamaged = errors.New("the workbook is damaged")

// Limits on what a workbook's parts may unpack to. Only the parts the reader
// needs are ever unpacked: the sheet it reads is streamed, never held, so it
// may be as large as a sheet of Excel's 1,048,576 rows gets; the shared
// strings are held, as cells refer to them by number; the rest are small.
// A part that unpacks to far more than its packed size is a zip bomb.
const (
	maxSheetPart   = 4 << 30
	maxStringsPart = 1 << 30
	maxSmallPart   = 64 << 20
	maxTotalParts  = 16 << 30
	bombSize       = 256 << 20 // a part this large must not have
	bombRatio      = 500       // been packed more than this much
	maxSheetRows   = 1 << 20   // Excel's limits
	maxSheetCols   = 16384
)

// workbook is what the reader needs of a workbook's parts besides the
// sheet's cells.
type workbook struct {
	path   string
	zr     *zip.ReadCloser
	parts  map[string]*zip.File // by lower-case name
	sheets []sheetEntry
	d1904  bool
	kinds  []fmtKind // by cell style index (cellXfs)
	sst    sharedStrings
	// the relationships' targets of the workbook part, by type's last word
	stylesPart, stringsPart string
}

type sheetEntry struct {
	name, kind, part string // kind "" is a worksheet; part "" is missing
}

// damaged is a FileError for a broken workbook: which part, what is wrong,
// and what to do.
func (w *workbook) damaged(part, format string, args ...any) error {
	return &FileError{Path: w.path, Err: fmt.Errorf("%w: %s %s: open it in Excel or LibreOffice and save it again", ErrDamaged, part, fmt.Sprintf(format, args...))}
}

// openWorkbook opens the zip archive and reads the workbook's structure:
// its sheets, date system, styles and, for the sheet it will read, nothing
// yet. Every problem is a *FileError.
func openWorkbook(p string) (*workbook, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, &FileError{Path: p, Err: workbookError(err)}
	}
	w := &workbook{path: p, zr: zr, parts: make(map[string]*zip.File, len(zr.File))}
	ok := false
	defer func() {
		if !ok {
			zr.Close()
		}
	}()
	var total uint64
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))
		w.parts[name] = f
		total += f.UncompressedSize64
		if f.UncompressedSize64 > bombSize && f.UncompressedSize64/max(f.CompressedSize64, 1) > bombRatio {
			return nil, &FileError{Path: p, Err: fmt.Errorf("not a valid workbook: its part %s unpacks to %s from %s, which no spreadsheet program writes (a zip bomb?)", f.Name, byteSize(f.UncompressedSize64), byteSize(f.CompressedSize64))}
		}
	}
	if total > maxTotalParts {
		return nil, &FileError{Path: p, Err: fmt.Errorf("not a valid workbook: its parts unpack to %s, more than the %s a workbook may have", byteSize(total), byteSize(maxTotalParts))}
	}

	wbPart := "xl/workbook.xml"
	if rels, err := w.rels("_rels/.rels", ""); err != nil {
		return nil, err
	} else if t, ok := rels.byType["officedocument"]; ok {
		wbPart = t
	}
	if w.parts[wbPart] == nil {
		return nil, &FileError{Path: p, Err: errors.New("not a valid workbook: it has no workbook part (xl/workbook.xml); is it an Excel workbook?")}
	}
	rels, err := w.rels(path.Join(path.Dir(wbPart), "_rels", path.Base(wbPart)+".rels"), path.Dir(wbPart))
	if err != nil {
		return nil, err
	}
	w.stylesPart = rels.byType["styles"]
	w.stringsPart = rels.byType["sharedstrings"]
	if err := w.readWorkbook(wbPart, rels); err != nil {
		return nil, err
	}
	if err := w.readStyles(); err != nil {
		return nil, err
	}
	ok = true
	return w, nil
}

func (w *workbook) Close() error { return w.zr.Close() }

// open opens a part for reading, refusing one past limit.
func (w *workbook) open(name string, limit uint64) (io.ReadCloser, error) {
	f := w.parts[strings.ToLower(name)]
	if f == nil {
		return nil, nil
	}
	if f.UncompressedSize64 > limit {
		return nil, &FileError{Path: w.path, Err: fmt.Errorf("not a valid workbook: its part %s unpacks to %s, more than the %s such a part may have", f.Name, byteSize(f.UncompressedSize64), byteSize(limit))}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, w.damaged("its part "+f.Name, "cannot be unpacked (%v)", err)
	}
	return rc, nil
}

// decoder returns an XML decoder over r, which reads the character sets a
// part may declare.
func xmlDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		enc, _, err := lookupEncoding(label)
		if err != nil {
			return nil, err
		}
		if enc == nil {
			return in, nil
		}
		return transform.NewReader(in, enc.NewDecoder()), nil
	}
	return d
}

// parse runs fn on every start element of a small part. A missing part is
// no error: parse reports whether it was there.
func (w *workbook) parse(name string, fn func(d *xml.Decoder, se xml.StartElement) error) (bool, error) {
	name = strings.ToLower(name)
	rc, err := w.open(name, maxSmallPart)
	if err != nil || rc == nil {
		return false, err
	}
	defer rc.Close()
	d := xmlDecoder(rc)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return true, w.damaged("its part "+w.parts[name].Name, "is not valid XML (%v)", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if err := fn(d, se); err != nil {
				return true, err
			}
		}
	}
}

type relationships struct {
	byID   map[string]rel
	byType map[string]string // the first target of each type (its last word, lower case)
}

type rel struct{ kind, target string }

// rels reads a relationships part; targets are made paths from the root,
// relative ones against dir.
func (w *workbook) rels(name, dir string) (relationships, error) {
	r := relationships{byID: map[string]rel{}, byType: map[string]string{}}
	_, err := w.parse(name, func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name.Local != "Relationship" {
			return nil
		}
		var id, typ, target, mode string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Id":
				id = a.Value
			case "Type":
				typ = a.Value
			case "Target":
				target = a.Value
			case "TargetMode":
				mode = a.Value
			}
		}
		if strings.EqualFold(mode, "External") {
			return nil
		}
		target = strings.ReplaceAll(target, `\`, "/")
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Join(dir, target)
		}
		kind := strings.ToLower(typ[strings.LastIndexByte(typ, '/')+1:])
		r.byID[id] = rel{kind: kind, target: strings.ToLower(target)}
		if _, ok := r.byType[kind]; !ok {
			r.byType[kind] = strings.ToLower(target)
		}
		return nil
	})
	return r, err
}

// readWorkbook reads the sheets' names, kinds and parts, and the date system.
func (w *workbook) readWorkbook(name string, rels relationships) error {
	_, err := w.parse(name, func(d *xml.Decoder, se xml.StartElement) error {
		switch se.Name.Local {
		case "workbookPr":
			for _, a := range se.Attr {
				if a.Name.Local == "date1904" {
					w.d1904 = a.Value == "1" || strings.EqualFold(a.Value, "true")
				}
			}
		case "sheet":
			var s sheetEntry
			var id string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "name":
					s.name = a.Value
				case "id":
					id = a.Value
				}
			}
			if r, ok := rels.byID[id]; ok {
				switch r.kind {
				case "worksheet":
				case "chartsheet":
					s.kind = "chart sheet"
				case "dialogsheet":
					s.kind = "dialog sheet"
				case "xlmacrosheet", "xlintlmacrosheet":
					s.kind = "macro sheet"
				default:
					s.kind = r.kind
				}
				if w.parts[r.target] != nil {
					s.part = r.target
				}
			}
			w.sheets = append(w.sheets, s)
		}
		return nil
	})
	return err
}

// readStyles reads what each cell style makes of a number: a date, a time,
// or a number (see numFmtKind).
func (w *workbook) readStyles() error {
	name := strings.ToLower(w.stylesPart)
	if name == "" {
		name = "xl/styles.xml"
	}
	custom := map[int]string{}
	var ids []int
	_, err := w.parse(name, func(d *xml.Decoder, se xml.StartElement) error {
		switch se.Name.Local {
		case "numFmt":
			id, code, code16 := -1, "", ""
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "numFmtId":
					id, _ = strconv.Atoi(strings.TrimSpace(a.Value))
				case "formatCode":
					code = a.Value
				case "formatCode16":
					code16 = a.Value
				}
			}
			if code16 != "" {
				code = code16
			}
			custom[id] = code
		case "cellXfs":
			// Its xf elements are the cell styles; those of cellStyleXfs
			// are not. Read them here, to know where cellXfs ends.
			for {
				tok, err := d.Token()
				if err != nil {
					return w.damaged("its part "+w.parts[name].Name, "is not valid XML (%v)", err)
				}
				switch t := tok.(type) {
				case xml.StartElement:
					if t.Name.Local == "xf" {
						id := 0
						for _, a := range t.Attr {
							if a.Name.Local == "numFmtId" {
								id, _ = strconv.Atoi(strings.TrimSpace(a.Value))
							}
						}
						ids = append(ids, id)
					}
				case xml.EndElement:
					if t.Name.Local == "cellXfs" {
						return nil
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.kinds = make([]fmtKind, len(ids))
	for i, id := range ids {
		if code, ok := custom[id]; ok {
			w.kinds[i] = numFmtKind(code)
		} else {
			w.kinds[i] = builtinKind(id)
		}
	}
	return nil
}

// styleKind is what cell style s makes of a number; a style that is not
// there is General, as in Excel.
func (w *workbook) styleKind(s int) fmtKind {
	if s < 0 || s >= len(w.kinds) {
		return kindNumber
	}
	return w.kinds[s]
}

// sharedStrings holds the workbook's table of strings compactly: one buffer
// and where each string ends, rather than a string header and allocation
// each (a sheet of a million rows can refer to millions).
type sharedStrings struct {
	text string
	ends []uint32
}

func (s *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.text[start:s.ends[i]], true
}

// readSharedStrings reads the table of strings: each si is its t, or the t
// of its runs (r) one after another; phonetic runs (rPh) are not part of the
// text. _xHHHH_ escapes are decoded.
func (w *workbook) readSharedStrings() error {
	name := w.stringsPart
	if name == "" {
		name = "xl/sharedstrings.xml"
	}
	rc, err := w.open(name, maxStringsPart)
	if err != nil || rc == nil {
		return err
	}
	name = w.parts[name].Name
	defer rc.Close()
	d := xmlDecoder(guardGaps(rc, maxGap))
	var buf []byte
	var si []byte
	depthPh, inT, inSI := 0, false, false
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return w.damaged("its shared strings ("+name+")", "are not valid XML (%v)", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, si = true, si[:0]
			case "rPh":
				depthPh++
			case "t":
				inT = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if inSI {
					buf = append(buf, decodeEscapes(si)...)
					if uint64(len(buf)) > maxStringsPart {
						return w.damaged("its shared strings ("+name+")", "hold more than %s", byteSize(maxStringsPart))
					}
					w.sst.ends = append(w.sst.ends, uint32(len(buf)))
				}
				inSI = false
			case "rPh":
				depthPh--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inSI && inT && depthPh == 0 {
				si = append(si, t...)
			}
		}
	}
	w.sst.text = string(buf)
	return nil
}

// decodeEscapes decodes the _xHHHH_ escapes of OOXML strings (ECMA-376
// part 1, 22.9.2.19), by which a workbook holds characters XML cannot:
// _x000D_ is a CR, and _x005F_ an underscore, which escapes an escape.
func decodeEscapes(b []byte) []byte {
	i := bytes.Index(b, []byte("_x"))
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for {
		i = bytes.Index(b, []byte("_x"))
		if i < 0 {
			break
		}
		r, ok := escapeAt(b[i:])
		if !ok {
			out = append(out, b[:i+2]...)
			b = b[i+2:]
			continue
		}
		out = append(out, b[:i]...)
		b = b[i+7:]
		if r >= 0xD800 && r < 0xDC00 {
			// A character past U+FFFF is two escapes, its UTF-16 halves.
			if lo, ok := escapeAt(b); ok && lo >= 0xDC00 && lo < 0xE000 {
				r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
				b = b[7:]
			} else {
				r = 0xFFFD
			}
		} else if r >= 0xDC00 && r < 0xE000 {
			r = 0xFFFD
		}
		out = appendRune(out, r)
	}
	return append(out, b...)
}

// escapeAt decodes the _xHHHH_ escape at the start of b.
func escapeAt(b []byte) (rune, bool) {
	if len(b) < 7 || b[0] != '_' || b[1] != 'x' || b[6] != '_' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[2:6]), 16, 16)
	return rune(v), err == nil
}

func appendRune(b []byte, r rune) []byte {
	var tmp [4]byte
	n := copy(tmp[:], string(r))
	return append(b, tmp[:n]...)
}

// maxGap bounds what encoding/xml reads into memory as one token: more
// bytes than this without a '<' is no cell or tag a spreadsheet program
// writes.
const maxGap = 8 << 20

// guardGaps passes r through, failing when more than limit bytes come
// without a '<'.
func guardGaps(r io.Reader, limit int) io.Reader { return &gapReader{r: r, limit: limit} }

type gapReader struct {
	r     io.Reader
	limit int
	gap   int
}

var errGap = errors.New("more than 8 MiB without a tag: a cell far larger than a spreadsheet holds")

func (g *gapReader) Read(b []byte) (int, error) {
	n, err := g.r.Read(b)
	if i := bytes.LastIndexByte(b[:n], '<'); i >= 0 {
		g.gap = n - i - 1
	} else {
		g.gap += n
	}
	if g.gap > g.limit {
		return n, errGap
	}
	return n, err
}

func byteSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
