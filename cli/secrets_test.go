package cli

import (
	"archive/zip"
	"bytes"
	"io"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
	"github.com/acctimport/acctimport/sandbox"
)

// TestSecretsNeverLeak runs every provider's sample three ways (accepted
// credentials, rejected credentials, a server that is not there) and greps
// everything acctimport wrote, every file and both streams, for the
// credentials, as they are and URL-escaped.
func TestSecretsNeverLeak(t *testing.T) {
	for _, p := range all.Registry.All() {
		info := p.Info()
		t.Run(info.Name, func(t *testing.T) {
			sample := filepath.Join("..", "samples", info.Name+".csv")
			if _, err := os.Stat(sample); err != nil {
				t.Skip("no sample")
			}
			// Secrets with characters that URL-escape, to catch a leak in
			// either form.
			mine, theirs := providers.Credentials{}, providers.Credentials{}
			for _, c := range info.Credentials {
				mine[c.Env] = providers.NewSecret(c.Sample + "s3cr+t/" + c.Env + "=x")
				theirs[c.Env] = providers.NewSecret(c.Sample + "other")
			}
			// A closed loopback port: connections are refused.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			closed := "http://" + ln.Addr().String()
			ln.Close()

			for _, sc := range []struct {
				name   string
				accept providers.Credentials
				base   string
				codes  []int
			}{
				{"accepted", mine, "", []int{ExitOK, ExitRowsFailed}},
				{"rejected", theirs, "", []int{ExitStopped}},
				{"unreachable", nil, closed, []int{ExitRowsFailed}},
			} {
				t.Run(sc.name, func(t *testing.T) {
					base := sc.base
					if sc.accept != nil {
						srv := httptest.NewServer(sandbox.One(p, sc.accept, sandbox.Faults{}))
						defer srv.Close()
						base = srv.URL
					}
					dir := t.TempDir()
					copyTree(t, filepath.Join("..", "samples"), dir)
					h := newHarness(t)
					for k, v := range mine {
						h.env[k] = v.Reveal()
					}
					out := filepath.Join(dir, "report.xlsx")
					code := h.run("run", "-m", filepath.Join(dir, info.Name+".yaml"), "-i", filepath.Join(dir, info.Name+".csv"),
						"-o", out, "--base-url", base, "--payloads", "--summary-json", filepath.Join(dir, "summary.json"),
						"--rate", "0", "--retries", "1", "--timeout", "5s", "--no-progress")
					if !slices.Contains(sc.codes, code) {
						t.Fatalf("exit %d, want one of %v: %s", code, sc.codes, h.stderr.String())
					}
					outputs := map[string][]byte{"stdout": h.stdout.Bytes(), "stderr": h.stderr.Bytes()}
					readOutputs(t, dir, outputs)
					if _, ok := outputs["report.xlsx"]; !ok {
						t.Fatalf("no report written (exit %d): %s", code, h.stderr.String())
					}
					for name, b := range outputs {
						for env, s := range mine {
							for _, form := range []string{s.Reveal(), url.QueryEscape(s.Reveal()), url.PathEscape(s.Reveal())} {
								if bytes.Contains(b, []byte(form)) {
									t.Errorf("%s holds %s (%q)", name, env, form)
								}
							}
						}
					}
				})
			}
		})
	}
}

// copyTree copies the samples (mappings, inputs, and files they name).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if strings.Contains(rel, ".results.") || strings.HasSuffix(rel, ".journal") || strings.HasSuffix(rel, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readOutputs adds every file acctimport wrote in dir, with each XLSX
// opened up into its parts.
func readOutputs(t *testing.T, dir string, into map[string][]byte) {
	t.Helper()
	for _, pattern := range []string{"report*", "summary.json", "*.journal"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, path := range matches {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(path)
			into[name] = b
			if !strings.HasSuffix(name, ".xlsx") {
				continue
			}
			z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range z.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				part, _ := io.ReadAll(rc)
				rc.Close()
				into[name+"/"+f.Name] = part
			}
		}
	}
}
