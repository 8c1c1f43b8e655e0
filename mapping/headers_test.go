package mapping

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fairwarning"
	"github.com/acctimport/acctimport/providers/finerworks"
	"github.com/acctimport/acctimport/providers/payway"
	"github.com/acctimport/acctimport/providers/userapi"
)

// tableProviders are the providers of testdata/headers.txt, in its order.
var tableProviders = []providers.Provider{payway.Provider{}, fairwarning.Provider{}, finerworks.Provider{}, userapi.Provider{}}

// headerBlock is one system's header row and what each column should fill.
type headerBlock struct {
	system string
	line   int
	header []string
	want   [][]string // per column, per provider: a field, "-" or "?"
}

func readHeaderTable(t *testing.T, name string) []headerBlock {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []headerBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "== "):
			blocks = append(blocks, headerBlock{system: strings.TrimPrefix(line, "== "), line: n})
		default:
			parts := strings.Split(line, "|")
			if len(blocks) == 0 || len(parts) != 1+len(tableProviders) {
				t.Fatalf("%s:%d: want a header and %d fields: %q", name, n, len(tableProviders), line)
			}
			b := &blocks[len(blocks)-1]
			b.header = append(b.header, strings.TrimRight(parts[0], " "))
			var want []string
			for i, p := range parts[1:] {
				field := strings.TrimSpace(p)
				if field != "-" && field != "?" {
					if _, ok := tableProviders[i].Table().Lookup(field); !ok {
						t.Fatalf("%s:%d: %s has no field %q", name, n, tableProviders[i].Info().Name, field)
					}
				}
				want = append(want, field)
			}
			b.want = append(b.want, want)
		}
	}
	return blocks
}

// starterLine is a field line of a starter mapping, filled or offered in a
// comment: `  email: {column: "E-mail"}` or `  # address.city: {column: "City"}`.
var starterLine = regexp.MustCompile(`^\s*(?:#\s*)?([A-Za-z0-9_.\[\]]+): \{column: ("(?:[^"\\]|\\.)*")`)

// starterChoices reads which field a starter gives each column.
func starterChoices(t *testing.T, out []byte) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		m := starterLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		col, err := strconv.Unquote(m[2])
		if err != nil || col == "" || col == "COLUMN NAME" {
			continue
		}
		if prev, dup := got[col]; dup && prev != m[1] {
			got[col] = prev + " and " + m[1]
			continue
		}
		got[col] = m[1]
	}
	return got
}

// TestStarterHeaderTable runs init (without sampling values) on the header
// rows of testdata/headers.txt for every provider and counts the columns it
// maps right, wrong (a field other than the table's, or one where the table
// says none) and not at all. A wrong match is worse than none: there must
// be none. testdata/headers-heldout.txt, written after the lexicon and not
// used to tune it, is held to the same.
func TestStarterHeaderTable(t *testing.T) {
	for _, name := range []string{"headers.txt", "headers-heldout.txt"} {
		t.Run(name, func(t *testing.T) { measureHeaderTable(t, name) })
	}
}

func measureHeaderTable(t *testing.T, name string) {
	var right, wrong, missed, leftAlone int
	var report strings.Builder
	for _, b := range readHeaderTable(t, name) {
		for pi, p := range tableProviders {
			got := starterChoices(t, starterFor(p, b.header))
			for ci, col := range b.header {
				want, have := b.want[ci][pi], got[col]
				switch {
				case want == "?":
				case want == "-" && have == "":
					leftAlone++
				case want == have:
					right++
				case have == "":
					missed++
					fmt.Fprintf(&report, "  missed  %-12s %-40q want %s (%s)\n", p.Info().Name, col, want, b.system)
				default:
					wrong++
					fmt.Fprintf(&report, "  WRONG   %-12s %-40q got %s, want %s (%s)\n", p.Info().Name, col, have, want, b.system)
				}
			}
		}
	}
	t.Logf("init on %d header cells of %s: %d right, %d wrong, %d not mapped (and %d rightly left unmapped)\n%s",
		right+wrong+missed+leftAlone, name, right, wrong, missed, leftAlone, report.String())
	if wrong > 0 {
		t.Errorf("%d columns mapped to the wrong field", wrong)
	}
}
