package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
}

func writeSummaryJSON(path string, s *reports.Summary) error {
	secs := s.End.Sub(s.Start).Seconds()
	out := summaryJSON{
		Provider: s.Provider, Input: s.Input, Mapping: s.Mapping, Output: s.Output,
		DryRun: s.DryRun, Start: s.Start.UTC(), End: s.End.UTC(), Seconds: secs,
		Total: s.Total, Counts: make(map[string]int, len(reports.Statuses)), Stopped: s.Stopped,
	}
	if secs > 0 {
		out.RowsPerSec = float64(s.Total) / secs
	}
	for _, st := range reports.Statuses {
		out.Counts[string(st)] = s.Counts[st]
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
