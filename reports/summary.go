package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// summaryItem is one line of the Summary. Value is a string, an int or a
// float64, so that the XLSX Summary keeps numbers as numbers.
type summaryItem struct {
	Item  string
	Value any
}

// The Summary's item names. Merge reads a report's Summary back by them.
const (
	itemTotal      = "Total"
	itemNotReached = "Not reached"
	// itemNotReachedAtLeast is Not reached when the count is a lower bound.
	itemNotReachedAtLeast = "Not reached, at least"
	itemProvider          = "Provider"
	itemInput             = "Input"
	itemMapping           = "Mapping"
	itemOutput            = "Output"
	itemStart             = "Start"
	itemEnd               = "End"
	itemDuration          = "Duration"
	itemRate              = "Rows per second"
	itemDryRun            = "Dry run"
	itemStopped           = "Stopped early"
	itemUnjournaled       = "Sent, not journaled"
	itemPace              = "Pace (requests/s)"
	itemPeakPace          = "Peak pace (requests/s)"
	itemShard             = "Shard"
	itemDestination       = "Destination"
	itemInputSum          = "Input SHA-256"
	itemMappingSum        = "Mapping SHA-256"
	itemPayloads          = "Payload column"
	itemAdvice            = "Advice"
)

// summaryItems lays out the Summary shared by both formats. tally is what
// the writer counted itself; the caller's Counts and Total win when given,
// since the caller knows about rows that never reached the writer. payloads
// records whether Results has a Payload column, which its header alone
// cannot tell when an input column is called Payload.
func summaryItems(s *Summary, tally map[Status]int, output string, payloads bool) []summaryItem {
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
	items := make([]summaryItem, 0, len(Statuses)+24)
	for _, st := range Statuses {
		items = append(items, summaryItem{string(st), counts[st]})
	}
	items = append(items, summaryItem{itemTotal, total})
	if s.NotReached > 0 && s.NotReachedAtLeast {
		items = append(items, summaryItem{itemNotReachedAtLeast, s.NotReached})
	} else if s.NotReached > 0 {
		items = append(items, summaryItem{itemNotReached, s.NotReached})
	}

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
		summaryItem{itemProvider, s.Provider},
		summaryItem{itemInput, s.Input},
		summaryItem{itemMapping, s.Mapping},
		summaryItem{itemOutput, output},
		summaryItem{itemStart, formatTime(s.Start)},
		summaryItem{itemEnd, formatTime(s.End)},
		summaryItem{itemDuration, duration},
		summaryItem{itemRate, rate},
		summaryItem{itemDryRun, yesNo(s.DryRun)},
	)
	optional := func(item, v string) {
		if v != "" {
			items = append(items, summaryItem{item, v})
		}
	}
	optional(itemStopped, s.Stopped)
	if s.Unjournaled > 0 {
		items = append(items, summaryItem{itemUnjournaled, s.Unjournaled})
	}
	if s.Pace > 0 || s.PeakPace > 0 {
		items = append(items, summaryItem{itemPace, round1(s.Pace)}, summaryItem{itemPeakPace, round1(s.PeakPace)})
	}
	if sh := normalShard(s.Shard); sh != "" {
		items = append(items, summaryItem{itemShard, sh})
	}
	optional(itemDestination, s.Destination)
	optional(itemInputSum, s.InputSum)
	optional(itemMappingSum, s.MappingSum)
	if payloads {
		items = append(items, summaryItem{itemPayloads, "yes"})
	}
	for _, a := range s.Advice {
		optional(itemAdvice, a)
	}
	return items
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// normalShard writes the whole input ("" or "0/1") as "".
func normalShard(s string) string {
	s = strings.TrimSpace(s)
	if s == "0/1" {
		return ""
	}
	return s
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
