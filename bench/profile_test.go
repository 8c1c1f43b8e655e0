package main

// In-process benchmarks of the importer, for profiling what the bench
// program measures from outside (the acctimport binary has no profiling
// flag):
//
//	go test ./bench -run '^$' -bench 'Run/c=1$' -cpuprofile cpu.out
//	go tool pprof -top bench.test cpu.out
//
// They use the bench's generated rows and its loopback server with the
// canned answer, so the profile is the client's work rather than the fake's.

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/acctimport/acctimport/importer"
	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
	"github.com/acctimport/acctimport/providers/payway"
	"github.com/acctimport/acctimport/reports"
)

const profileRows = 20_000

// fixture is a generated input, its mapping and a server.
type fixture struct {
	dir, mapping, csv, xlsx string
	srv                     *server
}

func newFixture(b *testing.B, xlsx bool) *fixture {
	b.Helper()
	f := &fixture{dir: b.TempDir()}
	f.mapping = filepath.Join(f.dir, "bench.yaml")
	if err := os.WriteFile(f.mapping, []byte(benchMapping), 0o644); err != nil {
		b.Fatal(err)
	}
	f.csv = filepath.Join(f.dir, "in.csv")
	if err := writeCSV(f.csv, profileRows); err != nil {
		b.Fatal(err)
	}
	if xlsx {
		f.xlsx = filepath.Join(f.dir, "in.xlsx")
		if err := writeXLSX(f.xlsx, profileRows); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := startServer(true)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	f.srv = srv
	return f
}

// importOnce is what `acctimport run` (or validate, with dryRun) does
// between parsing its flags and printing its summary.
// journalDir is where its journal goes, "" for none.
func (f *fixture) importOnce(b *testing.B, in string, conc int, dryRun bool, journalDir, report string) {
	m, err := mapping.Load(f.mapping, all.Registry)
	if err != nil {
		b.Fatal(err)
	}
	r, err := input.Open(in, input.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	plan, err := m.Compile(r.Header(), f.dir)
	if err != nil {
		b.Fatal(err)
	}
	opts := importer.Options{DryRun: dryRun, Concurrency: conc}
	var ex *providers.Exchange
	if !dryRun {
		u, _ := url.Parse(f.srv.URL)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = max(100, conc), max(2, conc)
		defer tr.CloseIdleConnections()
		ex = &providers.Exchange{
			Provider: m.Provider, Client: &http.Client{Transport: tr}, BaseURL: u,
			Creds:   providers.Credentials{payway.TokenEnv: providers.NewSecret(token)},
			Options: m.Options, Timeout: 30 * time.Second,
		}
		if journalDir != "" {
			jpath := filepath.Join(journalDir, "run.journal")
			os.Remove(jpath) // a fresh run each time
			j, err := importer.OpenJournal(jpath, importer.JournalOwner{Destination: importer.Destination{Provider: "payway", BaseURL: u.String()}, Input: filepath.Base(in)}, false)
			if err != nil {
				b.Fatal(err)
			}
			opts.Journal = j
			defer func() {
				if err := j.Close(); err != nil {
					b.Fatal(err)
				}
			}()
		}
	}
	rep, err := reports.Create(filepath.Join(f.dir, report), r.Header(), reports.Options{})
	if err != nil {
		b.Fatal(err)
	}
	res, err := importer.Run(context.Background(), plan, r, rep, ex, opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := rep.Close(&reports.Summary{Provider: "payway", Counts: res.Counts, Total: res.Total, DryRun: dryRun}); err != nil {
		b.Fatal(err)
	}
	want := reports.StatusOK
	if dryRun {
		want = reports.StatusValid
	}
	if res.Counts[want] != profileRows {
		b.Fatalf("%v, want %d %s", res.Counts, profileRows, want)
	}
}

func reportRowsPerSec(b *testing.B) {
	b.ReportMetric(float64(profileRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRun is `acctimport run` of a CSV with a CSV report: with the
// journal on disk (as a user runs it), on tmpfs (where fsync costs
// nothing, to show what the syncs cost) and without a journal.
func BenchmarkRun(b *testing.B) {
	f := newFixture(b, false)
	journals := []struct{ name, dir string }{{"", f.dir}, {"/nojournal", ""}}
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		tmpfs, err := os.MkdirTemp("/dev/shm", "bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(tmpfs) })
		journals = append(journals, struct{ name, dir string }{"/tmpfsjournal", tmpfs})
	}
	for _, conc := range []int{1, 32} {
		for _, j := range journals {
			b.Run("c="+strconv.Itoa(conc)+j.name, func(b *testing.B) {
				for b.Loop() {
					f.importOnce(b, f.csv, conc, false, j.dir, "out.csv")
				}
				reportRowsPerSec(b)
			})
		}
	}
}

// BenchmarkBare is the bare client loop with the same bodies, for the
// ratio.
func BenchmarkBare(b *testing.B) {
	f := newFixture(b, false)
	bs, err := newBodies(f.mapping)
	if err != nil {
		b.Fatal(err)
	}
	bodies, err := bs.first(profileRows)
	if err != nil {
		b.Fatal(err)
	}
	for _, conc := range []int{1, 32} {
		b.Run("c="+strconv.Itoa(conc), func(b *testing.B) {
			for b.Loop() {
				if _, err := bare(context.Background(), f.srv.URL, bodies, conc); err != nil {
					b.Fatal(err)
				}
			}
			reportRowsPerSec(b)
		})
	}
}

// BenchmarkValidate is `acctimport validate` with a report in the input's
// format.
func BenchmarkValidate(b *testing.B) {
	f := newFixture(b, true)
	b.Run("csv", func(b *testing.B) {
		for b.Loop() {
			f.importOnce(b, f.csv, 4, true, "", "out.csv")
		}
		reportRowsPerSec(b)
	})
	b.Run("xlsx", func(b *testing.B) {
		for b.Loop() {
			f.importOnce(b, f.xlsx, 4, true, "", "out.xlsx")
		}
		reportRowsPerSec(b)
	})
}
