package main

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/providers/finerworks"
)

// The large-rows measurement (SPEC.md: 200 finerworks rows with two 5 MiB
// images each, concurrency 4, peak RSS < 1 GiB): memory must hold the rows
// in flight, not the rows done. It runs the same file at two lengths, so
// that memory that grows with the rows shows as a difference.
const (
	largeImage = 5 << 20 // the most a File field reads
	largeGoal  = 1 << 30
)

var largeRows = []int{200, 400}

const largeMapping = `provider: finerworks
fields:
  account_key: Account Key
  logo_data: Logo
  portrait_data: Portrait
`

// largePart measures `acctimport run` of rows with large bodies.
func (b *bench) largePart(ctx context.Context) {
	dir := filepath.Join(b.work, "large")
	if err := writeLargeInputs(dir); err != nil {
		b.fail("run, large rows", err)
		return
	}
	srv, err := startFinerworks()
	if err != nil {
		b.fail("run, large rows", err)
		return
	}
	defer srv.Close()
	for _, n := range largeRows {
		if ctx.Err() != nil {
			return
		}
		name := fmt.Sprintf("run, %d finerworks rows, two 5 MiB images each, c=4", n)
		in := filepath.Join(dir, fmt.Sprintf("large-%d.csv", n))
		out, done, err := b.measureDir()
		if err != nil {
			b.fail(name, err)
			return
		}
		srv.served.Store(0)
		srv.bytes.Store(0)
		cr, err := runChild(ctx, []string{finerworks.WebAPIKeyEnv + "=bench-web-key", finerworks.AppKeyEnv + "=bench-app-key"}, b.bin, "run",
			"-m", filepath.Join(dir, "large.yaml"), "-i", in, "-o", filepath.Join(out, "report.csv"),
			"--base-url", srv.URL, "--rate", "0", "--concurrency", "4", "--no-progress")
		done()
		if err == nil && int(srv.served.Load()) != n {
			err = fmt.Errorf("the server answered %d requests of %d", srv.served.Load(), n)
		}
		if err != nil {
			b.fail(name, err)
			continue
		}
		logf("large %d rows: %s, %s of bodies in %s", n, mib(cr.maxRSS), mib(srv.bytes.Load()), cr.wall.Round(time.Millisecond))
		b.lines = append(b.lines, line{
			name:      name,
			reference: fmt.Sprintf("%s of request bodies", mib(srv.bytes.Load())),
			measured:  fmt.Sprintf("peak RSS %s, %s", mib(cr.maxRSS), cr.wall.Round(time.Millisecond)),
			ratio:     fmt.Sprintf("%.2fx of 1 GiB", float64(cr.maxRSS)/largeGoal),
			goal:      "< 1 GiB",
			verdict:   verdict(cr.maxRSS < largeGoal),
		})
	}
}

// writeLargeInputs writes two JPEG files of the largest size a File field
// reads (random, so nothing compresses them) and CSV files whose every row
// names both.
func writeLargeInputs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"logo.jpg", "portrait.jpg"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Size() == largeImage {
			continue
		}
		img := make([]byte, largeImage)
		if _, err := rand.Read(img); err != nil {
			return err
		}
		copy(img, []byte{0xFF, 0xD8, 0xFF, 0xE0})
		copy(img[len(img)-2:], []byte{0xFF, 0xD9})
		if err := os.WriteFile(p, img, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "large.yaml"), []byte(largeMapping), 0o644); err != nil {
		return err
	}
	for _, n := range largeRows {
		var sb strings.Builder
		w := csv.NewWriter(&sb)
		_ = w.Write([]string{"Account Key", "Logo", "Portrait"})
		for i := range n {
			_ = w.Write([]string{fmt.Sprintf("FW-%06d", i), "logo.jpg", "portrait.jpg"})
		}
		w.Flush()
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("large-%d.csv", n)), []byte(sb.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// finerworksServer answers PUT /v3/update_user as FinerWorks documents,
// with a new account for every request, and keeps nothing of the bodies: the
// bench measures the client's memory, and the server's must not be mixed
// in (it is another process's, but it must not grow either).
type finerworksServer struct {
	*http.Server
	URL           string
	served, bytes atomic.Int64
}

func startFinerworks() (*finerworksServer, error) {
	s := &finerworksServer{}
	var err error
	s.Server, s.URL, err = serveLoopback(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/v3/update_user" || r.Header.Get("web_api_key") == "" || r.Header.Get("app_key") == "" {
			http.Error(w, `{"Message":"not the documented request"}`, http.StatusBadRequest)
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		s.bytes.Add(n)
		id := s.served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":{"success":true,"status_code":200,"message":"","debug":null},"user_account":{"account_id":%d,"account_username":"user%d"}}`, id, id)
	}))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// zipBombPart measures `acctimport validate` of a small workbook holding a
// part that inflates to 3 GiB of zeros: it must be refused quickly, in
// bounded memory, with a message naming the part.
func (b *bench) zipBombPart(ctx context.Context) {
	const name = "validate, 3 MB workbook with a 3 GiB zero-filled part"
	p := filepath.Join(b.work, "zipbomb.xlsx")
	if _, err := os.Stat(p); err != nil {
		start := time.Now()
		if err := writeZipBomb(p, 3<<30); err != nil {
			b.fail(name, err)
			return
		}
		logf("generated %s in %s", filepath.Base(p), time.Since(start).Round(time.Millisecond))
	}
	st, err := os.Stat(p)
	if err != nil {
		b.fail(name, err)
		return
	}
	out, done, err := b.measureDir()
	if err != nil {
		b.fail(name, err)
		return
	}
	defer done()
	cr, code, err := runChildCode(ctx, nil, b.bin, "validate", "-m", b.mapping, "-i", p, "-o", filepath.Join(out, "report.csv"), "--no-progress")
	if err != nil {
		b.fail(name, err)
		return
	}
	msg := strings.TrimSpace(cr.output)
	if i := strings.LastIndex(msg, "\n"); i >= 0 {
		msg = msg[i+1:]
	}
	logf("zip bomb: exit %d in %s, %s: %s", code, cr.wall.Round(time.Millisecond), mib(cr.maxRSS), msg)
	b.lines = append(b.lines, line{
		name:      name,
		reference: fmt.Sprintf("%s on disk", mib(st.Size())),
		measured:  fmt.Sprintf("exit %d in %s, peak RSS %s", code, cr.wall.Round(time.Millisecond), mib(cr.maxRSS)),
		ratio:     "",
		goal:      "exit 2, RSS < 350 MiB",
		verdict:   verdict(code == 2 && cr.maxRSS < 350<<20),
	})
}

// writeZipBomb writes a valid workbook with a header and one data row of the
// bench's mapping, plus a part of size zero bytes deflated (a thousand to
// one): the shape of a workbook crafted to exhaust a reader's memory.
func writeZipBomb(path string, size int64) error {
	f := excelize.NewFile()
	defer f.Close()
	head := header
	for i, h := range head {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		_ = f.SetCellStr("Sheet1", cell, h)
	}
	for i, v := range row(0) {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		_ = f.SetCellStr("Sheet1", cell, v)
	}
	tmp := path + ".base.xlsx"
	if err := f.SaveAs(tmp); err != nil {
		return err
	}
	defer os.Remove(tmp)
	zr, err := zip.OpenReader(tmp)
	if err != nil {
		return err
	}
	defer zr.Close()
	return writeAtomically(path, func(out string) error {
		o, err := os.Create(out)
		if err != nil {
			return err
		}
		defer o.Close()
		zw := zip.NewWriter(o)
		for _, zf := range zr.File {
			if err := zw.Copy(zf); err != nil {
				return err
			}
		}
		w, err := zw.Create("xl/media/image1.png")
		if err != nil {
			return err
		}
		zeros := make([]byte, 1<<20)
		for left := size; left > 0; left -= int64(len(zeros)) {
			if _, err := w.Write(zeros[:min(int64(len(zeros)), left)]); err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		return o.Close()
	})
}
