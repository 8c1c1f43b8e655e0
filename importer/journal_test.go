package importer

import (
	"path/filepath"
	"testing"

	"github.com/acctimport/acctimport/reports"
)

// TestJournalRecordRoundTrip: a recorded line reads back as what was
// recorded, whatever the key holds.
func TestJournalRecordRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.journal")
	owner := JournalOwner{Provider: "p", MappingSum: "m", Input: "in.csv"}
	j, err := OpenJournal(path, owner, false)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"plain", `q"uote\back`, "line\nbreak", "ünï\u2028", ""}
	for i, k := range keys {
		j.Record(i+2, k, PayloadSum([]byte(k)), reports.StatusOK)
	}
	j.Record(99, "failed", PayloadSum(nil), reports.StatusFailed)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := OpenJournal(path, owner, true)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for _, k := range keys {
		if !again.Done(k, PayloadSum([]byte(k))) {
			t.Errorf("key %q not read back as done", k)
		}
	}
	if again.Done("failed", PayloadSum(nil)) {
		t.Error("a failed row counts as done")
	}
}
