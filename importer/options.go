package importer

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard selects the rows of the accounts whose key hashes to Index mod
// Count, so one file can be split across machines without overlap, and
// every row of one account is on one shard (its rows stay in order). A row
// without a key (a broken one) goes by its index among the data rows.
type Shard struct {
	Index, Count int
}

// ParseShard reads "I/N".
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard %q: write it as I/N, like 0/4", s)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil || cnt < 1 || idx < 0 || idx >= cnt {
		return Shard{}, fmt.Errorf("--shard %q: I and N must be whole numbers with 0 <= I < N", s)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

// Has reports whether the row with account key key (as sent; "" for none)
// at index (0-based, among data rows) belongs to the shard. The hash is
// FNV-1a of the key, the same on every machine and every version.
func (s Shard) Has(key string, index int) bool {
	if s.Count <= 1 {
		return true
	}
	if key == "" {
		return index%s.Count == s.Index
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()%uint64(s.Count) == uint64(s.Index)
}

func (s Shard) String() string {
	if s.Count <= 1 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Threshold is --max-failures: a count of failed rows, or a percentage of
// the rows done that applies once 100 rows are done. The zero value never
// triggers.
type Threshold struct {
	N       int
	Percent bool
}

// ParseThreshold reads "N" or "N%".
func ParseThreshold(s string) (Threshold, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Threshold{}, nil
	}
	pct := strings.HasSuffix(s, "%")
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil || n < 1 || (pct && n > 100) {
		return Threshold{}, fmt.Errorf("--max-failures %q: give a number of rows (50) or a percentage from 1%% to 100%% (10%%)", s)
	}
	return Threshold{N: n, Percent: pct}, nil
}

// Reached reports whether failed rows out of done rows reach the threshold.
func (t Threshold) Reached(failed, done int) bool {
	switch {
	case t.N == 0:
		return false
	case t.Percent:
		return done >= 100 && failed*100 >= t.N*done
	}
	return failed >= t.N
}

func (t Threshold) String() string {
	if t.Percent {
		return fmt.Sprintf("%d%%", t.N)
	}
	return strconv.Itoa(t.N)
}
