package cli

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
	"github.com/acctimport/acctimport/sandbox"
)

// TestEveryProviderSample runs each sample mapping on its CSV and XLSX
// input against the provider's strict fake, as `run --sandbox` does, and
// compares what the fake applied (the exact request bodies) and what the
// report says, row by row, with golden files.
func TestEveryProviderSample(t *testing.T) {
	mappings, _ := filepath.Glob("../samples/*.yaml")
	for _, mp := range mappings {
		name := strings.TrimSuffix(filepath.Base(mp), ".yaml")
		if strings.HasPrefix(name, "kubernetes") || name == "payway" { // payway has its own, finer test
			continue
		}
		for _, ext := range []string{".csv", ".xlsx"} {
			t.Run(name+ext, func(t *testing.T) {
				dir := t.TempDir()
				copyTree(t, filepath.Join("..", "samples"), dir)
				m, err := mapping.Load(filepath.Join(dir, name+".yaml"), all.Registry)
				if err != nil {
					t.Fatal(err)
				}
				p := m.Provider
				creds := providers.Credentials{}
				for _, c := range p.Info().Credentials {
					creds[c.Env] = providers.NewSecret(c.Sample + "e2e")
				}
				sb := sandbox.One(p, creds, sandbox.Faults{})
				srv := httptest.NewServer(sb)
				defer srv.Close()
				h := newHarness(t)
				for k, v := range creds {
					h.env[k] = v.Reveal()
				}
				out := filepath.Join(dir, "report.xlsx")
				// One at a time, so which of two rows sharing an e-mail
				// address wins is decided by input order.
				code := h.run("run", "-m", filepath.Join(dir, name+".yaml"), "-i", filepath.Join(dir, p.Info().Name+ext), "-o", out,
					"--base-url", srv.URL, "--rate", "0", "--concurrency", "1", "--no-progress", "--payloads")
				if code != ExitRowsFailed {
					t.Fatalf("exit %d (the samples hold broken rows on purpose: want 1)\n%s%s", code, h.stdout.String(), h.stderr.String())
				}
				var applied bytes.Buffer
				for _, a := range sb.Entries()[0].Fake.Applied() {
					fmt.Fprintf(&applied, "%s %s\n", a.Key, a.Body)
				}
				golden(t, name+"_applied.golden", applied.Bytes())

				results := sheet(t, out, "Results")
				var b strings.Builder
				ok := 0
				for _, r := range results {
					fmt.Fprintf(&b, "%s\n", strings.Join(r[:min(6, len(r))], " | "))
					if r[1] == "ok" {
						ok++
					}
				}
				golden(t, name+"_results.golden", []byte(b.String()))
				if ok == 0 || ok != len(sb.Entries()[0].Fake.Applied()) {
					t.Errorf("%d rows ok, %d applied", ok, len(sb.Entries()[0].Fake.Applied()))
				}
			})
		}
	}
}

// TestHeadlineOutcomes: the answers each provider reports in its own way
// come out in the report as the right status with the server's message.
func TestHeadlineOutcomes(t *testing.T) {
	results := func(t *testing.T, name string) map[string][]string {
		t.Helper()
		rows := map[string][]string{}
		for _, r := range sheetOfGolden(t, name+"_results.golden") {
			rows[r[0]] = r
		}
		return rows
	}
	t.Run("finerworks 200 with success false", func(t *testing.T) {
		found := false
		for _, r := range results(t, "finerworks") {
			if r[1] == "failed" && r[3] == "200" && strings.Contains(r[5], "Billing zip code") {
				found = true
			}
		}
		if !found {
			t.Error("no row failed with HTTP 200 and FinerWorks' status.message")
		}
	})
	t.Run("fairwarning XML error", func(t *testing.T) {
		found := false
		for _, r := range results(t, "fairwarning-xml") {
			if r[1] == "failed" && r[3] == "500" && r[4] == "1" && strings.Contains(r[5], "already in use") {
				found = true
			}
		}
		if !found {
			t.Error("no row failed with FairWarning's XML error message, sent once")
		}
	})
	t.Run("payway partial", func(t *testing.T) {
		fake, srv := fakeServer(t, token)
		fake.SetAccount("bbbbbbbbbbbbbbbbbbbbbbbb", "taken@example.com", "")
		dir := t.TempDir()
		in := filepath.Join(dir, "in.csv")
		m := filepath.Join(dir, "m.yaml")
		must(t, os.WriteFile(in, []byte("Account,E-mail,First name\naaaaaaaaaaaaaaaaaaaaaaaa,taken@example.com,Ann\n"), 0o644))
		must(t, os.WriteFile(m, []byte("provider: payway\noptions: {atomic: false}\nfields:\n  id: Account\n  email: E-mail\n  first_name: First name\n"), 0o644))
		out := filepath.Join(dir, "r.csv")
		h := newHarness(t)
		h.env["PAYWAY_TOKEN"] = token
		if code := h.run("run", "-m", m, "-i", in, "-o", out, "--base-url", srv.URL, "--no-progress"); code != ExitRowsFailed {
			t.Fatalf("exit %d: %s", code, h.stderr.String())
		}
		header, rows := readReport(t, out)
		r := rows["2"]
		if r[column(t, header, "Status")] != "partial" || !strings.Contains(r[column(t, header, "Message")], "email") {
			t.Errorf("row: %q", r)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sheetOfGolden reads back a results golden file: "a | b | c" lines.
func sheetOfGolden(t *testing.T, name string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		rows = append(rows, strings.Split(line, " | "))
	}
	return rows
}
