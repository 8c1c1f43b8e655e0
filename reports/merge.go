package reports

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// MergeOptions shape a merge.
type MergeOptions struct {
	// Partial merges the reports even when their Shard says that some of the
	// run's shards are missing; the merged Summary's Shard then lists the
	// shards it holds. Without it a missing shard is an error, since a merged
	// report that looks whole but is not would be read as the whole run.
	Partial bool
}

// Merge writes at output, in its format (.xlsx or .csv), one report from the
// reports of a run's shards, which may mix formats: Results holds every row
// in input order, Failed is made again from those rows (as one unsharded
// run would have made it), and the Summary adds the counts up over the run's
// span (the earliest start, the latest end).
//
// The reports must be of one run: the same provider, input and mapping
// (their SHA-256), destination, dry run or not, Payload column and input
// columns; otherwise the error names the difference. Two reports of one
// shard, or holding the same row, are refused, and so are missing shards
// unless opts.Partial. Reports are read as they stream (a k-way merge by Row),
// so memory does not grow with the rows; a report that is not as acctimport
// wrote it (edited, sorted, damaged) is an error naming the file, sheet and
// row. Nothing appears at output unless the merge succeeds.
//
// A cancelled ctx stops the merge, leaving nothing behind.
func Merge(ctx context.Context, output string, reports []string, opts MergeOptions) (*Summary, error) {
	if len(reports) == 0 {
		return nil, errors.New("merge: no reports given")
	}
	if err := CheckPath(output); err != nil {
		return nil, err
	}
	if err := checkMergePaths(output, reports); err != nil {
		return nil, err
	}
	// excelize unpacks large sheets of the reports it reads: into a private
	// directory beside the output, as the writer does.
	tmp, err := newWorkDir(output)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer tmp.remove()

	var srcs []*reportSource
	defer func() {
		for _, s := range srcs {
			_ = s.close()
		}
	}()
	for _, p := range reports {
		s, err := openReport(p, tmp.path)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	if err := sameRun(srcs); err != nil {
		return nil, err
	}
	shard, err := mergedShard(srcs, opts.Partial)
	if err != nil {
		return nil, err
	}

	first := srcs[0]
	w, err := Create(output, first.header, Options{Payloads: first.payloads})
	if err != nil {
		return nil, err
	}
	if err := mergeRows(ctx, srcs, w); err != nil {
		w.(interface{ discard() }).discard()
		return nil, err
	}
	sum := mergedSummary(srcs, output, shard)
	if err := w.Close(sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// checkMergePaths refuses a report named twice, and an output that would
// overwrite one of the reports (a CSV report's companions included).
func checkMergePaths(output string, reports []string) error {
	var inputs []string
	owner := map[string]string{}
	for _, r := range reports {
		for _, f := range Files(r) {
			inputs = append(inputs, f)
			owner[f] = r
		}
	}
	for i, a := range reports {
		for _, b := range reports[:i] {
			if same(a, b) {
				return fmt.Errorf("merge: %s is given twice (as %s)", b, a)
			}
		}
	}
	for _, o := range Files(output) {
		for _, in := range inputs {
			if same(o, in) {
				return fmt.Errorf("merge: the output %s would overwrite %s, a file of the report %s; choose another -o", output, in, owner[in])
			}
		}
	}
	return nil
}

// same reports whether two names are one file: the same file on disk, or,
// for a file that does not exist yet, the same clean path.
func same(a, b string) bool {
	ia, ea := os.Stat(a)
	ib, eb := os.Stat(b)
	if ea == nil && eb == nil {
		return os.SameFile(ia, ib)
	}
	pa, _ := filepath.Abs(a)
	pb, _ := filepath.Abs(b)
	return pa == pb
}

// sameRun refuses reports of different runs, naming the first difference.
func sameRun(srcs []*reportSource) error {
	short := func(sum string) string {
		if len(sum) > 12 {
			return sum[:12] + "…"
		}
		return sum
	}
	base := func(p string) string { return filepath.Base(p) }
	checks := []struct {
		what string
		get  func(*reportSource) string
		skip func(a, b *reportSource) bool
	}{
		{"provider", func(s *reportSource) string { return s.summary.Provider }, nil},
		{"input (SHA-256)", func(s *reportSource) string { return short(s.summary.InputSum) }, nil},
		// Without sums (a report of an older version), the names are all
		// there is to go by; with them, a file may have another path on
		// another machine.
		{"input", func(s *reportSource) string { return base(s.summary.Input) },
			func(a, b *reportSource) bool { return a.summary.InputSum != "" }},
		{"mapping (SHA-256)", func(s *reportSource) string { return short(s.summary.MappingSum) }, nil},
		{"mapping", func(s *reportSource) string { return base(s.summary.Mapping) },
			func(a, b *reportSource) bool { return a.summary.MappingSum != "" }},
		{"destination", func(s *reportSource) string { return s.summary.Destination }, nil},
		{"dry run", func(s *reportSource) string { return yesNo(s.summary.DryRun) }, nil},
		{"Payload column", func(s *reportSource) string { return yesNo(s.payloads) }, nil},
	}
	a := srcs[0]
	for _, b := range srcs[1:] {
		for _, c := range checks {
			if c.skip != nil && c.skip(a, b) {
				continue
			}
			if va, vb := c.get(a), c.get(b); va != vb {
				return fmt.Errorf("merge: %s and %s are reports of different runs: %s %q and %q", a.path, b.path, c.what, va, vb)
			}
		}
		if !slices.Equal(a.header, b.header) {
			return fmt.Errorf("merge: %s and %s are reports of different runs: %s", a.path, b.path, headerDiff(a.header, b.header))
		}
	}
	return nil
}

// headerDiff names the first difference of two lists of input columns.
func headerDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("input column %d is %q in one and %q in the other", i+1, a[i], b[i])
		}
	}
	return fmt.Sprintf("the input has %d columns in one and %d in the other", len(a), len(b))
}

// shardSpec is a report's Shard: the shard indices it holds, of n. n is 0
// for a report of the whole input.
type shardSpec struct {
	idx []int
	n   int
}

// parseShard reads "I/N", or "I,J,K/N" for a merge of some shards.
func parseShard(s string) (shardSpec, error) {
	s = normalShard(s)
	if s == "" {
		return shardSpec{}, nil
	}
	list, ns, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 {
		return shardSpec{}, fmt.Errorf("shard %q is not I/N", s)
	}
	var spec shardSpec
	spec.n = n
	for is := range strings.SplitSeq(list, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(is))
		if err != nil || i < 0 || i >= n {
			return shardSpec{}, fmt.Errorf("shard %q is not I/N with I from 0 to N-1", s)
		}
		spec.idx = append(spec.idx, i)
	}
	return spec, nil
}

// mergedShard checks that the reports are of distinct shards of one
// --shard N, and returns the merged report's Shard: "" when every shard is
// there.
func mergedShard(srcs []*reportSource, partial bool) (string, error) {
	owner := map[int]string{}
	n := -1
	var nFrom string
	for _, s := range srcs {
		spec, err := parseShard(s.summary.Shard)
		if err != nil {
			return "", fmt.Errorf("merge: %s: %v", s.path, err)
		}
		if spec.n == 0 {
			if len(srcs) > 1 {
				return "", fmt.Errorf("merge: %s is the report of a whole run (no --shard): it holds every row, and cannot be merged with other reports", s.path)
			}
			return "", nil
		}
		if n >= 0 && spec.n != n {
			return "", fmt.Errorf("merge: %s is a shard of %d and %s a shard of %d: reports of different --shard splits", nFrom, n, s.path, spec.n)
		}
		n, nFrom = spec.n, s.path
		for _, i := range spec.idx {
			if o, ok := owner[i]; ok {
				return "", fmt.Errorf("merge: %s and %s both hold shard %d/%d", o, s.path, i, n)
			}
			owner[i] = s.path
		}
	}
	var have, missing []string
	for i := range n {
		if _, ok := owner[i]; ok {
			have = append(have, strconv.Itoa(i))
		} else {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) == 0 {
		return "", nil
	}
	if !partial {
		return "", fmt.Errorf("merge: shards %s are missing: give their reports too, or --partial to merge the %d there are", strings.Join(missing, ", "), len(have))
	}
	return strings.Join(have, ",") + "/" + strconv.Itoa(n), nil
}

// mergeRows writes the reports' rows in input order: a k-way merge, one row
// per report in memory.
func mergeRows(ctx context.Context, srcs []*reportSource, w Writer) error {
	h := &rowHeap{}
	pull := func(s *reportSource) error {
		r, err := s.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		heap.Push(h, headRow{r, s})
		return nil
	}
	for _, s := range srcs {
		if err := pull(s); err != nil {
			return err
		}
	}
	for n := 0; h.Len() > 0; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		top := heap.Pop(h).(headRow)
		if h.Len() > 0 && (*h)[0].row.Line == top.row.Line {
			return fmt.Errorf("merge: row %d is in both %s and %s: the reports overlap", top.row.Line, top.src.path, (*h)[0].src.path)
		}
		if err := w.Write(top.row); err != nil {
			return err
		}
		if err := pull(top.src); err != nil {
			return err
		}
	}
	return nil
}

type headRow struct {
	row *Row
	src *reportSource
}

type rowHeap []headRow

func (h rowHeap) Len() int           { return len(h) }
func (h rowHeap) Less(i, j int) bool { return h[i].row.Line < h[j].row.Line }
func (h rowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rowHeap) Push(x any)        { *h = append(*h, x.(headRow)) }
func (h *rowHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergedSummary adds the shards' Summaries up.
func mergedSummary(srcs []*reportSource, output, shard string) *Summary {
	first := srcs[0].summary
	m := &Summary{
		Provider:    first.Provider,
		Input:       first.Input,
		Mapping:     first.Mapping,
		Output:      output,
		DryRun:      first.DryRun,
		InputSum:    first.InputSum,
		MappingSum:  first.MappingSum,
		Destination: first.Destination,
		Shard:       shard,
		Counts:      map[Status]int{},
	}
	var stopped []string
	advice := map[string]bool{}
	for _, s := range srcs {
		sum := s.summary
		for st, n := range sum.Counts {
			m.Counts[st] += n
		}
		m.Total += sum.Total
		m.NotReached += sum.NotReached
		m.NotReachedAtLeast = m.NotReachedAtLeast || sum.NotReachedAtLeast
		m.Unjournaled += sum.Unjournaled
		m.Pace += sum.Pace
		m.PeakPace += sum.PeakPace
		if !sum.Start.IsZero() && (m.Start.IsZero() || sum.Start.Before(m.Start)) {
			m.Start = sum.Start
		}
		if sum.End.After(m.End) {
			m.End = sum.End
		}
		if sum.Stopped != "" {
			who := s.path
			if sh := normalShard(sum.Shard); sh != "" {
				who = "shard " + sh
			}
			stopped = append(stopped, who+": "+sum.Stopped)
		}
		for _, a := range sum.Advice {
			if !advice[a] {
				advice[a] = true
				m.Advice = append(m.Advice, a)
			}
		}
	}
	m.Stopped = strings.Join(stopped, "; ")
	return m
}
