package reports

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// summaryItem is one line of the Summary. Value is a string, an int or a
// float64, so that the XLSX Summary keeps numbers as numbers.
type summaryItem struct {
	Item  string
	Value any
}

// summaryItems lays out the Summary shared by both formats. tally is what
// the writer counted itself; the caller's Counts and Total win when given,
// since the caller knows about rows that never reached the writer.
func summaryItems(s *Summary, tally map[Status]int, output string) []summaryItem {
	if s == nil {
		s = &Summary{}
	}
	counts := s.Counts
	if counts == nil {
		counts = tally
	}
	total := s.Total
	if total == 0 {
		for _, n := range counts {
			total += n
		}
	}
	items := make([]summaryItem, 0, len(Statuses)+12)
	for _, st := range Statuses {
		items = append(items, summaryItem{string(st), counts[st]})
	}
	items = append(items, summaryItem{"Total", total})

	if s.Output != "" {
		output = s.Output
	}
	var duration any = ""
	var rate any = ""
	if !s.Start.IsZero() && !s.End.IsZero() {
		d := s.End.Sub(s.Start)
		duration = d.Round(time.Millisecond).String()
		if d > 0 {
			rate = math.Round(float64(total)/d.Seconds()*10) / 10
		}
	}
	items = append(items,
		summaryItem{"Provider", s.Provider},
		summaryItem{"Input", s.Input},
		summaryItem{"Mapping", s.Mapping},
		summaryItem{"Output", output},
		summaryItem{"Start", formatTime(s.Start)},
		summaryItem{"End", formatTime(s.End)},
		summaryItem{"Duration", duration},
		summaryItem{"Rows per second", rate},
		summaryItem{"Dry run", yesNo(s.DryRun)},
	)
	if s.Stopped != "" {
		items = append(items, summaryItem{"Stopped early", s.Stopped})
	}
	return items
}

// formatTime writes RFC 3339 with the offset: a spreadsheet date cell has
// no time zone, and a report read in another office must not shift.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// valueText is a Summary value as CSV text.
func valueText(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return fmt.Sprint(v)
}
