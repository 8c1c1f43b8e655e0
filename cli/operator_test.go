package cli

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
	"github.com/acctimport/acctimport/providers/fairwarning"
	"github.com/acctimport/acctimport/providers/fakeapi"
)

// operatorMapping is the day's mapping; the edit before the resume makes
// company names upper case.
const operatorMapping = `provider: fairwarning
fields:
  user_id: Customer ID
  user_fname: First Name
  user_lname: Last Name
  user_email: {column: E-mail, transform: [trim, lower]}
  user_pass: {column: Password, transform: sha1}
  user_phone: {column: Phone, transform: us_phone}
  user_company: {column: Company, transform: [collapse]}
`

// TestOperatorsDay chains what an operator does in one folder with the
// default names, against FairWarning's fake on loopback: a sandbox
// rehearsal; the real run, during which the provider has an outage; two
// cells fixed on the Failed sheet, the masked passwords put back but one;
// the sheet fed back, killed with SIGKILL midway; the mapping edited; the
// run resumed. The fake's own record must show every valid row applied as
// the mapping in force said, none more than twice, and no mask ever sent.
func TestOperatorsDay(t *testing.T) {
	const rows = 300
	dir := t.TempDir()
	m := filepath.Join(dir, "fw.yaml")
	in := filepath.Join(dir, "accounts.csv")
	if err := os.WriteFile(m, []byte(operatorMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	password := func(i int) string { return fmt.Sprintf("pw-%d!secret", i) }
	var csv strings.Builder
	csv.WriteString("Customer ID,First Name,Last Name,E-mail,Password,Phone,Company\n")
	for i := range rows {
		phone := fmt.Sprintf("(416) 555-%04d", i)
		if i%50 == 7 {
			phone = "555-01" // invalid: six rows
		}
		company := ""
		if i%3 == 0 {
			company = fmt.Sprintf("Outfitters  %d Ltd", i)
		}
		fmt.Fprintf(&csv, "%d,Ann%d,Lee,User%d@Example.com,%s,%s,%s\n", 1000+i, i, i, password(i), phone, company)
	}
	if err := os.WriteFile(in, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	creds := providers.Credentials{fairwarning.PublicKeyEnv: providers.NewSecret("pub-e2e-3f9a"), fairwarning.PrivateKeyEnv: providers.NewSecret("priv-e2e-77c1")}
	fake := fairwarning.NewFake(creds)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	h := newHarness(t)
	h.env[fairwarning.PublicKeyEnv] = "pub-e2e-3f9a"
	h.env[fairwarning.PrivateKeyEnv] = "priv-e2e-77c1"

	// 1. The rehearsal, twice: the same result each time, nothing real sent.
	for range 2 {
		if code := h.run("run", "--sandbox", "--no-progress", "--rate", "0", "-m", m, "-i", in); code != ExitRowsFailed {
			t.Fatalf("rehearsal: exit %d: %s", code, h.stderr.String())
		}
		if got := firstLine(h.stdout.String()); !strings.Contains(got, "ok 294, invalid 6; 294 sent") {
			t.Fatalf("rehearsal: %s", got)
		}
	}
	if n := len(fake.Applied()); n != 0 {
		t.Fatalf("the rehearsal reached the real fake: %d applied", n)
	}

	// 2. The real run; the provider is down for requests 101 to 200.
	var seen atomic.Int64
	fake.SetFault(func(*http.Request) (fakeapi.Fault, bool) {
		if n := seen.Add(1); n > 100 && n <= 200 {
			return fakeapi.Fault{Status: http.StatusServiceUnavailable}, true
		}
		return fakeapi.Fault{}, false
	})
	if code := h.run("run", "--no-progress", "-m", m, "-i", in, "--base-url", srv.URL, "--rate", "0", "--retries", "0"); code != ExitRowsFailed {
		t.Fatalf("real run: exit %d: %s", code, h.stderr.String())
	}
	if got := firstLine(h.stdout.String()); strings.Contains(got, "skipped") || !strings.Contains(got, "ok 194, failed 100, invalid 6") {
		t.Fatalf("real run after the rehearsals: %s", got)
	}
	fake.SetFault(nil)

	// 3. The Failed sheet, fixed as a person would in Excel: two phone
	// numbers corrected, the masked passwords put back from the original
	// file, but one forgotten.
	report := filepath.Join(dir, "accounts.results.xlsx")
	forgotten := fixFailedSheet(t, report, password)

	// 4. Fed back, and killed midway.
	fake.SetFault(func(*http.Request) (fakeapi.Fault, bool) {
		return fakeapi.Fault{Delay: 15 * time.Millisecond}, true
	})
	before := len(fake.Applied())
	feed := []string{"run", "--no-progress", "-m", m, "-i", report, "--sheet", "Failed", "--base-url", srv.URL, "--rate", "0", "--concurrency", "4"}
	p := startProgramEnv(t, h.env, feed...)
	waitFor(t, "a third of the fed-back rows", func() bool { return len(fake.Applied())-before >= 35 })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	fake.SetFault(nil)

	// 5. The mapping edited, and 6. the run resumed.
	edited := strings.Replace(operatorMapping, "transform: [collapse]", "transform: [collapse, upper]", 1)
	if err := os.WriteFile(m, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := h.run(append(feed, "--resume")...); code != ExitRowsFailed {
		t.Fatalf("resumed: exit %d: %s%s", code, h.stdout.String(), h.stderr.String())
	}
	if !strings.Contains(h.stderr.String(), "another version of the mapping") {
		t.Errorf("the resume does not say the mapping changed: %s", h.stderr.String())
	}

	// What the fake applied.
	want := expectedBodies(t, in, operatorMapping, "")
	// A row fed back is applied as the edited mapping makes the fixed
	// sheet's row, or not at all when it is still invalid there.
	refed := expectedBodies(t, report, edited, "Failed")
	for key := range refed.all {
		delete(want.valid, key)
		if body, ok := refed.valid[key]; ok {
			want.valid[key] = body
		}
	}
	applied := map[string][][]byte{}
	mask := []string{providers.MaskedCell, providers.Redacted, sha1Hex(providers.MaskedCell), sha1Hex(providers.Redacted)}
	for _, a := range fake.Applied() {
		applied[a.Key] = append(applied[a.Key], a.Body)
		for _, m := range mask {
			if bytes.Contains(a.Body, []byte(m)) {
				t.Fatalf("account %s was sent a mask: %s", a.Key, a.Body)
			}
		}
	}
	for key, body := range want.valid {
		got := applied[key]
		switch {
		case len(got) == 0:
			t.Errorf("account %s was never applied", key)
		case len(got) > 2:
			t.Errorf("account %s was applied %d times", key, len(got))
		case !bytes.Equal(got[len(got)-1], body):
			t.Errorf("account %s ends with\n%s\nwant\n%s", key, got[len(got)-1], body)
		}
	}
	for key := range applied {
		if _, ok := want.valid[key]; !ok {
			t.Errorf("account %s was applied, but its row is invalid", key)
		}
	}
	if _, ok := applied[forgotten]; ok {
		t.Errorf("account %s, whose password was left masked, was sent", forgotten)
	}
	final := sheet(t, filepath.Join(dir, "accounts.results.results.xlsx"), "Results")
	said := false
	for _, r := range final[1:] {
		if r[2] == forgotten {
			said = r[1] == "invalid" && strings.Contains(r[5], "masked in a report: put the value back")
			if !said {
				t.Errorf("the row left masked: %q", r[:6])
			}
		}
	}
	if !said {
		t.Errorf("account %s is not in the final report", forgotten)
	}
	twice := 0
	for _, got := range applied {
		if len(got) == 2 {
			twice++
		}
	}
	t.Logf("applied %d accounts (%d twice: in flight at the kill, or changed by the mapping edit); %d rows invalid at the end", len(applied), twice, rows-len(want.valid))
}

// fixFailedSheet edits the Failed sheet of report in place: the phone of
// the first two invalid rows, and every masked password but one put back;
// it returns the account whose password was left masked.
func fixFailedSheet(t *testing.T, report string, password func(int) string) string {
	t.Helper()
	f, err := excelize.OpenFile(report)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Failed")
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i + 1
	}
	set := func(r, c int, v string) {
		cell, _ := excelize.CoordinatesToCellName(c, r)
		if err := f.SetCellStr("Failed", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	fixed, forgotten := 0, ""
	for r := 1; r < len(rows); r++ {
		id := rows[r][col["Customer ID"]-1]
		var i int
		fmt.Sscan(id, &i)
		i -= 1000
		if rows[r][col["Password"]-1] != providers.MaskedCell {
			t.Fatalf("the Failed sheet shows a password: %q", rows[r][col["Password"]-1])
		}
		if forgotten == "" && i%50 != 7 {
			forgotten = id // left masked
		} else {
			set(r+1, col["Password"], password(i))
		}
		if i%50 == 7 && fixed < 2 {
			set(r+1, col["Phone"], "(416) 555-0100")
			fixed++
		}
	}
	if fixed != 2 {
		t.Fatalf("fixed %d phones", fixed)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	return forgotten
}

// bodies are the request bodies a mapping makes of an input, by account.
type bodies struct {
	valid map[string][]byte
	all   map[string]bool // every account key, valid or not
}

func expectedBodies(t *testing.T, path, mappingText, sheet string) bodies {
	t.Helper()
	m, err := mapping.Parse("fw.yaml", []byte(mappingText), all.Registry)
	if err != nil {
		t.Fatal(err)
	}
	r, err := input.Open(path, input.Options{Sheet: sheet})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	plan, err := m.Compile(r.Header(), filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	out := bodies{valid: map[string][]byte{}, all: map[string]bool{}}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		row := plan.Build(rec.Cells)
		out.all[plan.Key(rec.Cells)] = true
		if !row.Valid() {
			continue
		}
		req, err := m.Provider.Encode(row.Payload, m.Options)
		if err != nil {
			t.Fatal(err)
		}
		out.valid[row.Key] = req.Body
	}
	return out
}

func sha1Hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// startProgramEnv starts acctimport as a process with env's variables.
func startProgramEnv(t *testing.T, env map[string]string, args ...string) *program {
	t.Helper()
	p := &program{cmd: exec.Command(os.Args[0], args...)}
	p.cmd.Env = append(os.Environ(), "ACCTIMPORT_AS_PROGRAM=1")
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	return p
}
