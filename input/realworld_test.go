package input

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realWorld holds workbooks written by other spreadsheet programs, with
// their quirks; see its README and LICENSE (BSD 3-Clause, from tealeg/xlsx).
// They are checked in so that CI reads them too.
const realWorld = "testdata/realworld-xlsx"

// TestRealWorldXLSX opens every workbook in realWorld: each must give rows
// or a clear *FileError, never a panic or a hang. Files whose outcome is
// known are pinned.
func TestRealWorldXLSX(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(realWorld, "*.xlsx"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workbooks in %s: %v", realWorld, err)
	}
	// Either the header and the first record, or a part of the error.
	type outcome struct {
		header []string
		first  row
		rows   int
		err    string
	}
	known := map[string]outcome{
		"badfile_noWorkbookRels.xlsx": {err: `the workbook is damaged: sheet "Tabelle1" is listed in the workbook, but its cells are missing: open it in Excel or LibreOffice and save it again`},
		"badfile_noWorksheets.xlsx":   {err: `sheet "Tabelle1" is listed in the workbook, but its cells are missing`},
		"empty_cells.xlsx":            {err: "header (row 1): column A has no name"},
		"empty_rows.xlsx":             {header: []string{"A3", "B3"}, first: row{4, []string{"A4", "B4"}, ""}, rows: 1},
		"googleDocsTest.xlsx":         {header: []string{"This is a test spreadsheet", "It has a couple of columns"}, first: row{2, []string{"as well as a couple of rows", "hello hello"}, ""}, rows: 1},
		"inlineStrings.xlsx":          {err: `sheet "Activity by Day": header (row 1): column A has no name`},
		"issue574.xlsx":               {header: []string{"产品", "推广期", "媒体", "广告位", "推广计划名称", "推广单元名称", "关键词名称", "访问URL", "修改访问URL"}, first: row{2, []string{"古剑奇谭网络版", "古剑奇谭网络版-2020年6月", "百度搜索", "百度搜索关键字", "古剑奇谭网络版-推广期2020年06-百度搜索", "古网-PC-品牌-重点", "古剑奇谭 古网", "http://gjol.wangyuan.com/", "http://gjol.wangyuan.com/home"}, ""}, rows: 3},
		"macExcelTest.xlsx":           {err: "header (row 1) has no data rows under it"},
		"max_sheet_name_length.xlsx":  {err: `sheet "αααααβββββγγγγγδδδδδεεεεεζζζζζη": header (row 1) has no data rows under it`},
		// A long title above the data: the title is taken for the header,
		// and each row says where its values have no name.
		"panic_test.xlsx": {header: []string{"银行卡账户批量打款模板(单个批次文件最大支持10000条订单,单笔订单最大支持金额可在『商户中心-合作信息』中查看,请勿修改此条信息)"}, first: row{2, []string{"批次号(与文件名称一致)"}, "column B has a value, but no name in the header"}, rows: 5},
		// Rows 2 and 4 are blank.
		"wpsBlankLineTest.xlsx":             {header: []string{"编号"}, first: row{3, []string{"编号"}, ""}, rows: 2},
		"macNumbersTest.xlsx":               {err: "header (row 1) has no data rows under it"},
		"merged_cells.xlsx":                 {header: []string{"Date", "Product", "Quantity"}, first: row{2, []string{"01.01.2016", "A", "4"}, ""}, rows: 6},
		"namespaced.xlsx":                   {err: `duplicate column name "w" in columns A, B, C, D, E, F, G, H, I, J, K, L and M`},
		"noStylesAndSharedStringsTest.xlsx": {err: "header (row 1): columns A to V have no name"},
		"testcelltypes.xlsx":                {header: []string{"hello world", "string"}, first: row{2, []string{"日本語", "string"}, ""}, rows: 7},
		"testchartsheet.xlsx":               {header: []string{"Value"}, first: row{2, []string{"1"}, ""}, rows: 4},
		"testrels.xlsx":                     {err: `sheet "Dave": header (row 1) has no data rows under it`},
	}
	for _, p := range files {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			type result struct {
				r    Reader
				recs []Record
				err  error
				pan  any
			}
			done := make(chan result, 1)
			go func() {
				var res result
				defer func() {
					res.pan = recover()
					done <- res
				}()
				res.r, res.recs, res.err = readAll(t, p, Options{})
			}()
			var res result
			select {
			case res = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("reading hangs")
			}
			if res.pan != nil {
				t.Fatalf("panic: %v", res.pan)
			}
			if res.err != nil {
				var fe *FileError
				if !errors.As(res.err, &fe) || fe.Path != p || len(fe.Err.Error()) < 10 {
					t.Fatalf("err = %v (%T), want a *FileError naming the file and the problem", res.err, res.err)
				}
			} else {
				n := len(res.r.Header())
				for _, rec := range res.recs {
					if len(rec.Cells) != n {
						t.Fatalf("line %d has %d cells, header %d", rec.Line, len(rec.Cells), n)
					}
				}
			}
			want, ok := known[name]
			switch {
			case !ok:
				t.Errorf("not pinned: err %v, %d records", res.err, len(res.recs))
			case want.err != "":
				if res.err == nil || !strings.Contains(res.err.Error(), want.err) {
					t.Errorf("err = %v, want one containing %q", res.err, want.err)
				}
			case res.err != nil:
				t.Errorf("err = %v, want rows", res.err)
			default:
				if !equal(res.r.Header(), want.header) {
					t.Errorf("header = %q, want %q", res.r.Header(), want.header)
				}
				if len(res.recs) != want.rows {
					t.Errorf("%d records, want %d", len(res.recs), want.rows)
				}
				checkRows(t, res.recs[:1], []row{want.first})
			}
		})
	}
}

// TestRealWorldCellTypes pins the values of the workbook with every kind of
// cell: a date typed as a date arrives as a date.
func TestRealWorldCellTypes(t *testing.T) {
	p := filepath.Join(realWorld, "testcelltypes.xlsx")
	_, recs, err := readAll(t, p, Options{})
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	checkRows(t, recs, []row{
		{2, []string{"日本語", "string"}, ""},
		{3, []string{"12345", "int"}, ""},
		{4, []string{"1.024", "float"}, ""},
		{5, []string{"2015-01-01", "date"}, ""},
		{6, []string{"TRUE", "bool"}, ""},
		{7, []string{"30", "formula"}, ""},
		{8, []string{"#DIV/0!", "error"}, ""},
	})
}

// TestRealWorldSheets chooses sheets in a workbook with several.
func TestRealWorldSheets(t *testing.T) {
	p := filepath.Join(realWorld, "testrels.xlsx")
	_, err := Open(p, Options{Sheet: "Carol"})
	checkFileError(t, err, p, `sheet "Carol" not found; the workbook has "Dave", "Bob"`)
	_, err = Open(p, Options{Sheet: "bob"})
	checkFileError(t, err, p, `sheet "Bob": header (row 1) has no data rows under it`)
}
