package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/input"
)

// The CRM walkthrough of issue 14: a new user exports 30 customers from a
// CRM (messy headers, real date cells and some dates typed as text,
// Swedish personal numbers in every form systems write them, phones with
// spaces and dashes, phones and zip codes typed as numbers, Swedish
// decimal numbers), runs `init -p payway -i crm.xlsx`, then `validate`,
// and applies the fixes the messages name, until validate is clean.

var crmHeader = []string{"Payway ID", "First  Name", "LAST NAME", "E-Mail Address", "Mobile Phone", "Pers. nr",
	"Date of Birth", "Company", "Org. number", "Street Address", "Zip/Postal", "City/Town", "Country",
	"Newsletter", "Balance (SEK)", "Customer since", "Notes"}

// crmCustomer is one row of the export; a cell is a string (text), an int
// or float (a number cell) or a time.Time (a date cell).
type crmCustomer []any

// personnummer writes a valid Swedish personal number for a birth date and
// serial in the form systems use: 0 YYYYMMDD-NNNN, 1 YYYYMMDDNNNN,
// 2 YYMMDDNNNN, 3 YYMMDD-NNNN, 4 YYMMDD+NNNN (a hundred or older).
func crmPersonnummer(born time.Time, serial, form int, coordination bool) string {
	day := born.Day()
	if coordination {
		day += 60
	}
	d9 := fmt.Sprintf("%02d%02d%02d%03d", born.Year()%100, born.Month(), day, serial)
	sum := 0
	for i := range 9 {
		n := int(d9[i] - '0')
		if i%2 == 0 {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	ten := d9 + strconv.Itoa((10-sum%10)%10)
	century := strconv.Itoa(born.Year() / 100)
	switch form {
	case 0:
		return century + ten[:6] + "-" + ten[6:]
	case 1:
		return century + ten
	case 2:
		return ten
	case 4:
		return ten[:6] + "+" + ten[6:]
	}
	return ten[:6] + "-" + ten[6:]
}

var (
	crmFirst  = []string{"Anna", "Erik", "Maria", "Johan", "Åsa", "Lars", "Karin", "Per", "Sofia", "Björn"}
	crmLast   = []string{"Karlsson", "Lindqvist", "Nilsson", "Berg", "Öberg", "Holm", "Ström", "Ek", "Wallin", "Åkesson"}
	crmCities = []struct{ zip, city string }{{"903 30", "Umeå"}, {"111 22", "Stockholm"}, {"411 03", "Göteborg"}, {"211 20", "Malmö"}, {"753 10", "Uppsala"}}
	crmOrgs   = []struct{ name, nr string }{
		{"Norrlands Tryckeri AB", "556036-0793"}, {"Bergs Bygg AB", "5567037485"}, {"Skatteverket", "202100-5448"},
		{"Möbelhuset i Älmhult AB", "165560747569"}, {"Statens Provanstalt", "212000-0142"},
	}
)

// crmCustomers is the export, made the same every time.
func crmCustomers() []crmCustomer {
	var out []crmCustomer
	for i := range 30 {
		born := time.Date(1921+i*3%80, time.Month(1+i%12), 1+i*7%28, 0, 0, 0, 0, time.UTC)
		form := i % 4
		if born.Year() < 1926 {
			form = 4 // over a hundred: the + form
		}
		pnr := crmPersonnummer(born, 100+i*13%900, form, i == 7)
		var dob any = born
		if i%5 == 3 {
			// Typed as text in the CRM, day first; days of 13 and more
			// tell the layout.
			born = time.Date(born.Year(), born.Month(), 13+i%15, 0, 0, 0, 0, time.UTC)
			dob = born.Format("02/01/2006")
			pnr = crmPersonnummer(born, 100+i*13%900, form, false)
		}
		var mobile any
		switch i % 5 {
		case 0:
			mobile = fmt.Sprintf("070-%03d %02d %02d", 100+i, i, 99-i)
		case 1:
			mobile = fmt.Sprintf("+46 70 %03d %02d %02d", 200+i, i, i)
		case 2:
			mobile = fmt.Sprintf("073%07d", 4500000+i)
		case 3:
			mobile = 46700000000 + i // a number cell
		default:
			mobile = fmt.Sprintf("(070) %03d-%02d-%02d", 300+i, i, i)
		}
		// People write their e-mail addresses without å, ä and ö.
		ascii := strings.NewReplacer("å", "a", "ä", "a", "ö", "o", "Å", "A", "Ä", "A", "Ö", "O")
		email := ascii.Replace(fmt.Sprintf("%s.%s@Example.se", strings.ToLower(crmFirst[i%10]), strings.ToLower(crmLast[(i+3)%10])))
		if i%9 == 4 {
			email += " " // pasted with a space
		}
		c := crmCities[i%len(crmCities)]
		var zip any = c.zip
		if i%4 == 1 {
			zip, _ = strconv.Atoi(strings.ReplaceAll(c.zip, " ", "")) // a number cell
		}
		company, org := "", ""
		if i%3 == 0 {
			o := crmOrgs[i/3%len(crmOrgs)]
			company, org = o.name, o.nr
		}
		var balance any = fmt.Sprintf("%d %03d,%02d", 1+i, i*37%1000, i%100) // Swedish decimals, as text
		if i%2 == 0 {
			balance = float64(i)*123.45 + 0.5 // a number cell
		}
		street, country := fmt.Sprintf("Storgatan %d", 1+i), "SE"
		if i%7 == 6 {
			street, zip, c.city, country = "", "", "", "" // no address: nothing sent for it
		}
		news := "Ja"
		if i%2 == 1 {
			news = "Nej"
		}
		out = append(out, crmCustomer{
			fmt.Sprintf("5f3ac249f6aef294d%07x", 0x100+i),
			crmFirst[i%10], crmLast[(i+3)%10], email, mobile, pnr, dob, company, org,
			street, zip, c.city, country, news, balance,
			time.Date(2015+i%10, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC),
			fmt.Sprintf("Kund sedan länge.\nRing före %d.", 8+i%10),
		})
	}
	return out
}

// writeCRM writes the export as a workbook, date cells as dates.
func writeCRM(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sh = "Sheet1"
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4})
	if err != nil {
		return err
	}
	for i, h := range crmHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(sh, cell, h); err != nil {
			return err
		}
	}
	for r, row := range crmCustomers() {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			switch v := v.(type) {
			case time.Time:
				err = f.SetCellValue(sh, cell, v)
				if err == nil {
					err = f.SetCellStyle(sh, cell, cell, date)
				}
			case float64:
				err = f.SetCellFloat(sh, cell, v, 2, 64)
				if err == nil {
					err = f.SetCellStyle(sh, cell, cell, money)
				}
			case int:
				err = f.SetCellInt(sh, cell, int64(v))
			case string:
				if v != "" {
					err = f.SetCellStr(sh, cell, v)
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return f.SaveAs(path)
}

const crmFixture = "testdata/crm/crm.xlsx"

// TestCRMFixture: the committed workbook is what crmCustomers says (go test
// ./cli -run CRMFixture -update writes it again).
func TestCRMFixture(t *testing.T) {
	if *update {
		if err := os.MkdirAll(filepath.Dir(crmFixture), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeCRM(crmFixture); err != nil {
			t.Fatal(err)
		}
	}
	fresh := filepath.Join(t.TempDir(), "crm.xlsx")
	if err := writeCRM(fresh); err != nil {
		t.Fatal(err)
	}
	want, got := readAll(t, fresh), readAll(t, crmFixture)
	if !slices.EqualFunc(want, got, slices.Equal[[]string]) {
		t.Fatalf("%s is not what crmCustomers makes; go test ./cli -run CRMFixture -update", crmFixture)
	}
	if len(got) != 31 {
		t.Fatalf("%d rows", len(got))
	}
}

// readAll reads a file as the importer does: header, then cells.
func readAll(t *testing.T, path string) [][]string {
	t.Helper()
	r, err := input.Open(path, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := [][]string{r.Header()}
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		rows = append(rows, rec.Cells)
	}
	return rows
}

// fixRe finds the fixes a message names: "Fix: in crm.yaml line 7, add
// transform: [digits]".
var fixRe = regexp.MustCompile(`Fix: in crm\.yaml line (\d+), ((?:add|change) (?:transform|format)[^;]*?)(?:; it makes this|\.(?: |$))`)

// applyFix makes one change a message names to the mapping's line.
func applyFix(t *testing.T, lines []string, n int, change string) {
	t.Helper()
	line := lines[n-1]
	open, end := strings.Index(line, "{"), strings.Index(line, "}")
	if open < 0 || end < open {
		t.Fatalf("line %d is no flow mapping: %s", n, line)
	}
	src := line[open+1 : end]
	switch {
	case strings.HasPrefix(change, "add transform: "), strings.HasPrefix(change, "add format: "):
		src += ", " + strings.TrimPrefix(change, "add ")
	case strings.HasPrefix(change, "change transform: "):
		from, to, ok := strings.Cut(strings.TrimPrefix(change, "change transform: "), " to ")
		if !ok || !strings.Contains(src, "transform: "+from) {
			t.Fatalf("line %d: cannot %s: %s", n, change, line)
		}
		src = strings.Replace(src, "transform: "+from, "transform: "+to, 1)
	default:
		t.Fatalf("a fix this walkthrough cannot apply: %s", change)
	}
	lines[n-1] = line[:open+1] + src + line[end:]
}

// walk runs validate, applies every fix its report names that is not a
// choice for a person (a date format when day and month could be swapped),
// and runs it again, until it is clean; it returns the fixes applied.
func walk(t *testing.T, h *harness, dir, mappingFile string) []string {
	t.Helper()
	var fixes []string
	for round := 0; ; round++ {
		out := filepath.Join(dir, fmt.Sprintf("report-%d.csv", round))
		code := h.run("validate", "-m", mappingFile, "-i", filepath.Join(dir, "crm.xlsx"), "-o", out)
		if code == ExitOK {
			return fixes
		}
		if code != ExitRowsFailed || round == 5 {
			t.Fatalf("validate, round %d: exit %d: %s", round, code, h.stderr.String())
		}
		header, rows := readReport(t, out)
		msgCol := column(t, header, "Message")
		named := map[string]bool{}
		var order []string
		for _, r := range rows {
			if r[column(t, header, "Status")] != "invalid" {
				continue
			}
			ms := fixRe.FindAllStringSubmatch(r[msgCol], -1)
			if len(ms) == 0 {
				t.Fatalf("round %d: an invalid row whose message names no fix: %s", round, r[msgCol])
			}
			for _, m := range ms {
				fix := m[1] + ": " + m[2]
				if strings.Contains(m[2], "whichever the file is written in") {
					continue // for a person to decide; another row tells
				}
				if !named[fix] {
					named[fix] = true
					order = append(order, fix)
				}
			}
			t.Logf("round %d, row %s: %s", round, r[0], r[msgCol])
		}
		if len(order) == 0 {
			t.Fatalf("round %d: invalid rows, but no fix to apply", round)
		}
		b, err := os.ReadFile(mappingFile)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for _, fix := range order {
			n, change, _ := strings.Cut(fix, ": ")
			line, _ := strconv.Atoi(n)
			applyFix(t, lines, line, change)
			fixes = append(fixes, fix)
		}
		if err := os.WriteFile(mappingFile, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCRMWalkthrough: init -i, then validate, with at most the fixes the
// messages name. With -i, init reads the values and the mapping is clean
// at once; from the header alone, every fix the rows need is named in the
// messages, the same on every row, and applying them makes it clean.
func TestCRMWalkthrough(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		name := "init -i"
		if !sampled {
			name = "init from the header alone"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			b, err := os.ReadFile(crmFixture)
			if err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(dir, "crm.xlsx")
			if err := os.WriteFile(in, b, 0o644); err != nil {
				t.Fatal(err)
			}
			h := newHarness(t)
			args := []string{"init", "-p", "payway", "-i", in}
			if !sampled {
				// The header alone: a CSV of the export's first row.
				hdr := filepath.Join(dir, "header.csv")
				if err := os.WriteFile(hdr, []byte(strings.Join(crmHeader, ",")+"\n"+strings.Repeat(",", len(crmHeader)-1)+"x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				args = []string{"init", "-p", "payway", "-i", hdr}
			}
			if code := h.run(args...); code != ExitOK {
				t.Fatalf("init: exit %d: %s", code, h.stderr.String())
			}
			starter := h.stdout.String()
			t.Logf("init wrote:\n%s", starter)
			for _, want := range []string{
				`  id: {column: "Payway ID"}`, `  first_name: {column: "First  Name"`, `  last_name: {column: "LAST NAME"`,
				`  email: {column: "E-Mail Address"`, `  mobile_phone_number: {column: "Mobile Phone"`,
				`  social_security_number: {column: "Pers. nr"`, `  birth_date: {column: "Date of Birth"`,
				`  company_name: {column: "Company"`, `  company_registration_number: {column: "Org. number"`,
				`  address.street: {column: "Street Address"`, `  address.zip_code: {column: "Zip/Postal"`,
				`  address.city: {column: "City/Town"`, `  address.country_code: {column: "Country"`,
				`#   "Newsletter", "Balance (SEK)", "Customer since", "Notes"`,
			} {
				if !strings.Contains(starter, want) {
					t.Errorf("starter lacks %q", want)
				}
			}
			mp := filepath.Join(dir, "crm.yaml")
			if err := os.WriteFile(mp, []byte(starter), 0o644); err != nil {
				t.Fatal(err)
			}
			fixes := walk(t, h, dir, mp)
			t.Logf("%d fixes applied:\n  %s", len(fixes), strings.Join(fixes, "\n  "))
			final, _ := os.ReadFile(mp)
			t.Logf("the mapping validate accepts:\n%s", final)
			if sampled && len(fixes) != 0 {
				t.Errorf("init -i sampled every row, yet %d fixes were needed", len(fixes))
			}
			if !sampled {
				// One per column that needs a transform or a format.
				want := []string{"add transform: [trim]", "add transform: [digits]", "add transform: [personnummer]",
					`add format: "02/01/2006"`, "add transform: [orgnummer]"}
				var got []string
				for _, f := range fixes {
					_, change, _ := strings.Cut(f, ": ")
					got = append(got, change)
				}
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("fixes %q, want %q", got, want)
				}
			}
		})
	}
}
