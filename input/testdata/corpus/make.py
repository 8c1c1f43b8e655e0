#!/usr/bin/python3
"""Makes the corpus of input files and the cells each must read as.

Run from this folder with Debian's python3 (python3-openpyxl) and, for the
files LibreOffice saves, soffice (libreoffice-calc) on the PATH:

    /usr/bin/python3 make.py

Files named lo-* are saved by LibreOffice from typed.fods; the others are
written here, byte by byte, to reproduce one class of file each. Every
input gets NAME.json: the options to read it with and what it must read as,
taken from Python's csv module (CSV) or openpyxl (XLSX), through the rules
the reader documents (see corpus_test.go), or an error it must give.
"""
import csv, datetime, decimal, io, json, os, shutil, subprocess, tempfile, zipfile
import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
TRIGGERS = "=+-@\t\r"


def unescape(c):
    # csvsafe.Unescape: a quote before a formula trigger is our reports' escape.
    s = c.lstrip("'")
    if len(c) > 1 and c[0] == "'" and s[:1] in tuple(TRIGGERS) and s != "":
        return c[1:]
    return c


def blank(cells):
    return all(c.strip() == "" for c in cells)


def expect_rows(records, kinds=None, xlsx=False):
    """Python's records (one a row, blank lines too) as the reader gives them."""
    header, rows, n = None, [], 0
    for i, cells in enumerate(records):
        line = i + 1
        k = kinds[i] if kinds else None
        if header is None:
            if blank(cells):
                continue
            names = [(c if kinds else unescape(c)).replace("\ufeff", "").strip() for c in cells]
            while names and names[-1] == "":
                names.pop()
            header, n = names, len(names)
            continue
        if blank(cells):
            continue
        row = {"line": line}
        if xlsx and len(cells) > n and not blank(cells[n:]):
            row["err"] = "has a value, but no name in the header"
        elif not xlsx and (len(cells) < n or (len(cells) > n and not blank(cells[n:]))):
            row["err"] = "row has %d cell%s, the header has %d" % (len(cells), "" if len(cells) == 1 else "s", n)
        cells = (cells + [""] * n)[:n]
        row["cells"] = cells if kinds else [unescape(c) for c in cells]
        if k is not None and any(x != "text" for x in k):
            row["kinds"] = (k + ["text"] * n)[:n]
        rows.append(row)
    return {"header": header, "rows": rows}


def python_csv(data, encoding, delimiter):
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    recs = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    # A line break inside a quoted cell is LF, as encoding/csv and Excel keep it.
    return [[c.replace("\r\n", "\n") for c in r] for r in recs]


def write(name, data, expect, options=None):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    expect = dict(expect)
    expect["options"] = options or {}
    with open(os.path.join(HERE, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(expect, f, ensure_ascii=False, indent=1)
        f.write("\n")


def csv_case(name, text, encoding, delimiter, options=None, refused=None):
    data = text.encode(encoding)
    exp = expect_rows(python_csv(data, encoding, delimiter))
    if refused:
        # Without --encoding the file is refused; with it, it reads as Python
        # reads it in that encoding.
        write(name, data, {"error": refused, "with": exp}, options)
    else:
        write(name, data, exp, options)


def number(v):
    """A number as the reader writes it: plain digits, 15 significant."""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    d = decimal.Decimal(repr(float("%.15g" % v)))
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def xlsx_cells(path):
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb.worksheets[0]
    recs, kinds = [], []
    for row in ws.iter_rows():
        cells, ks = [], []
        for c in row:
            v = c.value
            if v is None:
                cells.append(""); ks.append("text")
            elif isinstance(v, bool):
                cells.append("TRUE" if v else "FALSE"); ks.append("bool")
            elif isinstance(v, datetime.datetime):
                fmt = c.number_format.lower()
                if any(t in fmt for t in ("h", "s")):
                    cells.append(v.strftime("%Y-%m-%dT%H:%M:%S")); ks.append("date-time")
                else:
                    cells.append(v.strftime("%Y-%m-%d")); ks.append("date")
            elif isinstance(v, datetime.time):
                cells.append(v.strftime("%H:%M:%S")); ks.append("time")
            elif isinstance(v, (int, float)):
                cells.append(number(v)); ks.append("number")
            else:
                cells.append(str(v)); ks.append("text")
        while cells and cells[-1] == "":
            cells.pop(); ks.pop()
        recs.append(cells); kinds.append(ks)
    return recs, kinds


def workbook(sheet, strings=None, styles="", d1904=False, parts=None):
    """A minimal workbook written by hand, for cells no program writes alike."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    p = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="%sofficeDocument" Target="xl/workbook.xml"/></Relationships>' % rel,
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook %s>%s<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>' % (ns, '<workbookPr date1904="1"/>' if d1904 else ""),
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="%sworksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="%sstyles" Target="styles.xml"/><Relationship Id="rId3" Type="%ssharedStrings" Target="sharedStrings.xml"/></Relationships>' % (rel, rel, rel),
        "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8"?><styleSheet %s>%s</styleSheet>' % (ns, styles),
        "xl/sharedStrings.xml": '<?xml version="1.0" encoding="UTF-8"?><sst %s>%s</sst>' % (ns, "".join("<si><t>%s</t></si>" % s for s in (strings or []))),
        "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet %s><sheetData>%s</sheetData></worksheet>' % (ns, sheet),
    }
    p.update(parts or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in p.items():
            z.writestr(k, v)
    return buf.getvalue()


def xlsx_case(name, data, expect=None, options=None):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(data)
    if expect is None:
        recs, kinds = xlsx_cells(path)
        expect = expect_rows(recs, kinds, xlsx=True)
    write(name, data, expect, options)


def inl(ref, s):
    return '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, s)


def main():
    not1252 = "it does not read as Windows-1252 (Western European) text either"
    greek = "Όνομα;Πόλη\nΓιώργος Παπαδόπουλος;Αθήνα\nΜαρία Κωνσταντίνου;Θεσσαλονίκη\nΕλένη Δημητρίου;Ηράκλειο\n"
    russian = "Имя,Город\nИван Петров,Москва\nОльга Смирнова,Санкт-Петербург\nАнна Попова,Екатеринбург\n"
    polish = "Imię;Miasto\nŁukasz Wójcik;Łódź\nMałgorzata Kowalska;Wrocław\nPaweł Zieliński;Białystok\n"
    turkish = "Ad;Şehir\nAyşe Yılmaz;İstanbul\nMehmet Doğan;Muğla\nFatma Çelik;Gümüşhane\nMustafa Öztürk;Diyarbakır\n"
    western = "Namn;Stad;Anteckning\r\nÅsa Öberg;Göteborg;Ring före lunch\r\nJürgen Müller;München;Größe XL\r\nFrançoise Lefèvre;Besançon;Très bien – déjà payé\r\n"

    # Encodings.
    csv_case("western-1252.csv", western, "cp1252", ";")
    csv_case("greek-iso-8859-7.csv", greek, "iso8859_7", ";", {"encoding": "iso-8859-7"}, not1252)
    csv_case("cyrillic-1251.csv", russian, "cp1251", ",", {"encoding": "windows-1251"}, not1252)
    csv_case("polish-1250.csv", polish, "cp1250", ";", {"encoding": "windows-1250"}, not1252)
    csv_case("turkish-1254.csv", turkish, "cp1254", ";", {"encoding": "windows-1254"}, not1252)
    csv_case("utf16-tab.txt", "\ufeffName\tCity\r\nÅsa\tGöteborg\r\n李\t北京\r\n", "utf-16-le", "\t")
    # Line endings: old Mac Excel's "CSV (Macintosh)" is Mac Roman, CR alone.
    csv_case("mac-excel-cr.csv", "Namn;Stad;Belopp\rÅsa Öberg;Göteborg;1,50\r\rKarl Åström;Malmö;\"2\r3\"\rMärta;Västerås;4\r", "mac_roman", ";")
    csv_case("mixed-line-endings.csv", "a,b\n1,x\r\n2,y\r3,z\n\r4,w", "utf-8", ",")
    # Quotes: a literal character inside a cell that does not start with one.
    csv_case("literal-quotes.csv", "place,position,note\nBerga,37°36'37.8\"N,He said \"hi\" twice\nPizza,12\" pizza,\"a, b\"\n", "utf-8", ",")
    csv_case("space-before-quote.csv", "\"int\", \"number\", \"text\"\n1, 2, \"three\"\n", "utf-8", ",")
    csv_case("rfc4180.csv", "id,note,city\r\n1,\"a, b\",\"x\"\"y\"\r\n2,\"line 1\r\nline 2\",Lund\r\n3,plain,\"\"\r\n", "utf-8", ",")
    # What Python reads differently, by design (see corpus_test.go).
    write("unclosed-quote.csv", b"id,name,city\n1,\"Bob,Stockholm\n2,Alice,Malm\xc3\xb6\n3,Eve,Lund\n", {
        "header": ["id", "name", "city"],
        "rows": [
            {"line": 2, "cells": ["1", "", ""], "err": "column \"name\" starts with a \" that is not closed by a \" followed by a comma"},
            {"line": 3, "cells": ["2", "Alice", "Malmö"]},
            {"line": 4, "cells": ["3", "Eve", "Lund"]},
        ]})
    write("text-after-quote.csv", b"id,name\n1,\"The Boss\" Smith\n2,Ann\n", {
        "header": ["id", "name"],
        "rows": [
            {"line": 2, "cells": ["1", "\"The Boss\" Smith"], "err": "column \"name\" starts with a \" that is not closed"},
            {"line": 3, "cells": ["2", "Ann"]},
        ]})
    write("broken-first-row.csv", b"\"id,name\n1,Bob\n2,Eve\n", {"error": "header (row 1) cannot be read: column A starts with a \" that is not closed"})
    ctl = "id,name\n" + "".join("%d,ok\n" % i for i in range(2, 5000)) + "5000,\x1b[2Jwiped\n5001,ok\n"
    exp = expect_rows(python_csv(ctl.encode(), "utf-8", ","))
    exp["rows"][-2]["cells"][1] = "\ufffd[2Jwiped"
    exp["rows"][-2]["err"] = "column \"name\" holds a control character (ESC, 0x1B)"
    exp["rows"] = exp["rows"][-3:]
    exp["tail"] = True
    write("control-character.csv", ctl.encode(), exp)

    # XLSX written by hand, one quirk each.
    head = '<row r="1">' + inl("A1", "name") + inl("B1", "value") + "</row>"
    xlsx_case("empty-style.xlsx", workbook(
        '<row r="1" s=""><c r="A1" s="" t="s"><v>0</v></c><c r="B1" s="" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" s="" t="s"><v>2</v></c><c r="B2" s=""><v>5</v></c></row>',
        strings=["name", "value", "a"], styles='<cellXfs count="1"><xf numFmtId="0"/></cellXfs>'),
        # openpyxl fails on s="" (TypeError); Excel reads it as style 0.
        {"header": ["name", "value"], "rows": [{"line": 2, "cells": ["a", "5"], "kinds": ["text", "number"]}]})
    xlsx_case("exponent-text.xlsx", workbook(
        head + '<row r="2">' + inl("A2", "text") + '<c r="B2" t="s"><v>0</v></c></row>'
        '<row r="3">' + inl("A3", "formula") + '<c r="B3" t="str"><f>TEXT(1.12346E-10,"0.00000E+00")</f><v>-1.12346E-10</v></c></row>'
        '<row r="4">' + inl("A4", "number") + '<c r="B4"><v>1E+11</v></c></row>', strings=["1E+11"]))
    xlsx_case("escapes.xlsx", workbook(
        head + '<row r="2">' + inl("A2", "formula") + '<c r="B2" t="str"><f>A1&amp;CHAR(13)</f><v>x_x000D_y</v></c></row>'
        '<row r="3">' + inl("A3", "shared") + '<c r="B3" t="s"><v>0</v></c></row>', strings=["a_x000D_b"]),
        {"header": ["name", "value"], "rows": [{"line": 2, "cells": ["formula", "x\ry"]}, {"line": 3, "cells": ["shared", "a\rb"]}]})
    xlsx_case("date1904-isodate.xlsx", workbook(
        head + '<row r="2">' + inl("A2", "serial") + '<c r="B2" s="1"><v>42369</v></c></row>'
        '<row r="3">' + inl("A3", "iso") + '<c r="B3" t="d" s="1"><v>2021-06-30T00:00:00</v></c></row>',
        styles='<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>', d1904=True),
        {"header": ["name", "value"], "rows": [
            {"line": 2, "cells": ["serial", "2020-01-01"], "kinds": ["text", "date"]},
            {"line": 3, "cells": ["iso", "2021-06-30"], "kinds": ["text", "date"]}]})
    full = workbook(head + '<row r="2">' + inl("A2", "x") + '<c r="B2"><v>1</v></c></row><row r="3">' + inl("A3", "y") + '<c r="B3"><v>2</v></c></row>')
    with zipfile.ZipFile(io.BytesIO(full)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    xlsx_case("truncated-sheet.xlsx", workbook("", parts={"xl/worksheets/sheet1.xml": sheet[:len(sheet) * 2 // 3]}),
              {"error": "the workbook is damaged: sheet \"Data\" (xl/worksheets/sheet1.xml) is cut off", "damaged": True})
    xlsx_case("bad-entity.xlsx", workbook(head, strings=["&a5;"]),
              {"error": "the workbook is damaged: its shared strings (xl/sharedStrings.xml) are not valid XML (XML syntax error on line 1: invalid character entity &a5;)", "damaged": True})
    xlsx_case("workbook-eof.xlsx", workbook(head, parts={"xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Data"'}),
              {"error": "the workbook is damaged: its part xl/workbook.xml is not valid XML (XML syntax error on line 1: unexpected EOF)", "damaged": True})

    # Saved by LibreOffice from typed.fods.
    if shutil.which("soffice"):
        tmp = tempfile.mkdtemp()
        src = os.path.join(HERE, "typed.fods")
        for outdir, conv in [
            ("xlsx", "xlsx"),
            ("utf8", "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,false"),
            ("ansi", "csv:Text - txt - csv (StarCalc):44,34,1,1"),
        ]:
            subprocess.run(["soffice", "--headless", "--convert-to", conv, "--outdir", os.path.join(tmp, outdir), src], check=True, capture_output=True)
        with open(os.path.join(tmp, "xlsx", "typed.xlsx"), "rb") as f:
            xlsx_case("lo-typed.xlsx", f.read())
        with open(os.path.join(tmp, "utf8", "typed.csv"), "rb") as f:
            data = f.read()
        write("lo-utf8-semicolon.csv", data, expect_rows(python_csv(data, "utf-8", ";")))
        with open(os.path.join(tmp, "ansi", "typed.csv"), "rb") as f:
            data = f.read()
        write("lo-1252-comma.csv", data, expect_rows(python_csv(data, "cp1252", ",")))
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
