package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// Goals of the validate measurements (SPEC.md, "Performance").
const (
	csvRowsPerSec = 200_000
	csvMaxRSS     = 64 << 20
	xlsxMaxRatio  = 1.3
	xlsxMaxRSS    = 350 << 20
)

// validatePart measures `acctimport validate` of a large generated file with
// a report in the same format, and the libraries' own read and write of the
// same file, each in a child process.
func (b *bench) validatePart(ctx context.Context) {
	for _, ext := range []string{"csv", "xlsx"} {
		if !b.cfg.inputs[ext] || ctx.Err() != nil {
			continue
		}
		name := fmt.Sprintf("validate, %s, %s rows, %s report", strings.ToUpper(ext), count(float64(b.cfg.rows)), strings.ToUpper(ext))
		ref, acc, err := b.validatePair(ctx, ext)
		if err != nil {
			if ctx.Err() == nil {
				b.fail(name, err)
			}
			continue
		}
		rows := float64(b.cfg.rows)
		ratio := acc.wall.Seconds() / ref.wall.Seconds()
		l := line{name: name, ratio: fmt.Sprintf("%.2fx time", ratio)}
		if ext == "csv" {
			rps := rows / acc.wall.Seconds()
			l.reference = fmt.Sprintf("encoding/csv read+write %s rows/s, %s", count(rows/ref.wall.Seconds()), mib(ref.maxRSS))
			l.measured = fmt.Sprintf("%s rows/s, %s", count(rps), mib(acc.maxRSS))
			l.goal = fmt.Sprintf(">= %s rows/s, <= %s", count(csvRowsPerSec), mib(csvMaxRSS))
			l.verdict = verdict(rps >= csvRowsPerSec && acc.maxRSS <= csvMaxRSS)
		} else {
			l.reference = fmt.Sprintf("excelize Rows+StreamWriter %.1f s, %s", ref.wall.Seconds(), mib(ref.maxRSS))
			l.measured = fmt.Sprintf("%.1f s (%s rows/s), %s", acc.wall.Seconds(), count(rows/acc.wall.Seconds()), mib(acc.maxRSS))
			l.goal = fmt.Sprintf("<= %.1fx time, <= %s", xlsxMaxRatio, mib(xlsxMaxRSS))
			l.verdict = verdict(ratio <= xlsxMaxRatio && acc.maxRSS <= xlsxMaxRSS)
		}
		b.lines = append(b.lines, l)
	}
}

// validatePair runs the reference and acctimport alternately, -vrepeat
// times each, and keeps each one's fastest time and highest peak RSS.
func (b *bench) validatePair(ctx context.Context, ext string) (ref, acc childResult, err error) {
	in, err := b.input("big", b.cfg.rows, ext)
	if err != nil {
		return ref, acc, err
	}
	keep := func(best *childResult, r childResult) {
		rss := max(best.maxRSS, r.maxRSS)
		if best.wall == 0 || r.wall < best.wall {
			*best = r
		}
		best.maxRSS = rss
	}
	for rep := 1; rep <= b.cfg.vrepeat; rep++ {
		dir, done, err := b.measureDir()
		if err != nil {
			return ref, acc, err
		}
		r, err := runChild(ctx, nil, b.self, referenceCmd, ext, in, filepath.Join(dir, "copy."+ext))
		done()
		if err != nil {
			return ref, acc, err
		}
		keep(&ref, r)
		logf("  %d/%d %s reference   %7.2f s, peak RSS %s", rep, b.cfg.vrepeat, ext, r.wall.Seconds(), mib(r.maxRSS))

		if dir, done, err = b.measureDir(); err != nil {
			return ref, acc, err
		}
		r, err = runChild(ctx, nil, b.bin, "validate", "-m", b.mapping, "-i", in,
			"-o", filepath.Join(dir, "report."+ext), "--no-progress")
		done()
		if err != nil {
			return ref, acc, err
		}
		keep(&acc, r)
		logf("  %d/%d %s validate    %7.2f s, peak RSS %s, cpu %s", rep, b.cfg.vrepeat, ext, r.wall.Seconds(), mib(r.maxRSS), r.cpu.Round(1e7))
	}
	return ref, acc, nil
}
