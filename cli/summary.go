package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/acctimport/acctimport/importer"
	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/reports"
)

// summaryJSON is the Summary for automation (--summary-json).
type summaryJSON struct {
	Provider   string         `json:"provider"`
	Input      string         `json:"input"`
	Mapping    string         `json:"mapping"`
	Output     string         `json:"output"`
	DryRun     bool           `json:"dry_run"`
	Start      time.Time      `json:"start"`
	End        time.Time      `json:"end"`
	Seconds    float64        `json:"duration_seconds"`
	RowsPerSec float64        `json:"rows_per_second"`
	Total      int            `json:"rows"`
	Counts     map[string]int `json:"counts"`
	Stopped    string         `json:"stopped,omitempty"`
	// NotReached are rows a stopped run never read (in no sheet);
	// NotReachedAtLeast says the count was cut short.
	NotReached        int             `json:"not_reached"`
	NotReachedAtLeast bool            `json:"not_reached_at_least,omitempty"`
	Unjournaled       int             `json:"unjournaled"`
	Advice            []summaryAdvice `json:"advice"`
	Pace              float64         `json:"pace_requests_per_second,omitempty"`
	PeakPace          float64         `json:"peak_pace_requests_per_second,omitempty"`
	InputSum          string          `json:"input_sha256"`
	MappingSum        string          `json:"mapping_sha256"`
	Shard             string          `json:"shard,omitempty"`
	Destination       string          `json:"destination,omitempty"`
	Resume            string          `json:"resume_command,omitempty"`
}

// summaryAdvice is one problem of the mapping, for automation.
type summaryAdvice struct {
	Rows    int    `json:"rows"`
	Mapping string `json:"mapping"`
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Column  string `json:"column"`
	Change  string `json:"change"`
	Text    string `json:"text"`
}

func writeSummaryJSON(path string, s *reports.Summary, res *importer.Result, resume string) error {
	secs := s.End.Sub(s.Start).Seconds()
	out := summaryJSON{
		Provider: s.Provider, Input: s.Input, Mapping: s.Mapping, Output: s.Output,
		DryRun: s.DryRun, Start: s.Start.UTC(), End: s.End.UTC(), Seconds: secs,
		Total: s.Total, Counts: make(map[string]int, len(reports.Statuses)), Stopped: s.Stopped,
		NotReached: s.NotReached, NotReachedAtLeast: s.NotReachedAtLeast, Unjournaled: s.Unjournaled,
		Advice: make([]summaryAdvice, len(res.Advice)), Pace: s.Pace, PeakPace: s.PeakPace,
		InputSum: s.InputSum, MappingSum: s.MappingSum, Shard: s.Shard, Destination: s.Destination, Resume: resume,
	}
	if secs > 0 {
		out.RowsPerSec = float64(s.Total) / secs
	}
	for _, st := range reports.Statuses {
		out.Counts[string(st)] = s.Counts[st]
	}
	for i, a := range res.Advice {
		out.Advice[i] = summaryAdvice{Rows: a.Rows, Mapping: a.Advice.File, Line: a.Advice.Line, Field: a.Advice.Field,
			Column: a.Advice.Column, Change: a.Advice.Change, Text: mapping.AdviceLine(&res.Advice[i].Advice, a.Rows, s.Total)}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".summary-*.json")
	if err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("--summary-json: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	return nil
}
