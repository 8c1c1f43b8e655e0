package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/reports"
)

// TestJournalRecordRoundTrip: a recorded line reads back as what was
// recorded, whatever the key holds.
func TestJournalRecordRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.journal")
	j, err := OpenJournal(path, testOwner, false)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"plain", `q"uote\back`, "line\nbreak", "ünï\u2028", ""}
	for i, k := range keys {
		if err := j.Record(i+2, k, PayloadSum([]byte(k)), i%2, reports.StatusOK); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Record(99, "failed", PayloadSum(nil), 0, reports.StatusFailed)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := OpenJournal(path, testOwner, true)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for i, k := range keys {
		if again.Done(k, PayloadSum([]byte(k)), 1-i%2) {
			t.Errorf("key %q done at the wrong occurrence", k)
		}
		if !again.Done(k, PayloadSum([]byte(k)), i%2) {
			t.Errorf("key %q not read back as done", k)
		}
	}
	if again.Done("failed", PayloadSum(nil), 0) {
		t.Error("a failed row counts as done")
	}
	if again.Unmatched() != 0 {
		t.Errorf("Unmatched = %d after matching every row", again.Unmatched())
	}
}

// TestJournalBelongsToOneDestination: a resume is refused for another
// destination, naming what differs; another mapping or input is allowed
// and said.
func TestJournalBelongsToOneDestination(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "j.journal")
	j, err := OpenJournal(path, testOwner, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = j.Record(2, "a", PayloadSum([]byte("a")), 0, reports.StatusOK)
	_ = j.Close()

	other := func(f func(*JournalOwner)) JournalOwner { o := testOwner; f(&o); return o }
	for _, tc := range []struct {
		name  string
		owner JournalOwner
		want  string
	}{
		{"sandbox", other(func(o *JournalOwner) { o.Sandbox = true }), "sandbox or not"},
		{"provider", other(func(o *JournalOwner) { o.Provider = "payway" }), "the provider differs"},
		{"base URL", other(func(o *JournalOwner) { o.BaseURL = "https://staging.example.test" }), "the base URL differs"},
	} {
		_, err := OpenJournal(path, tc.owner, true)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
	// A sandbox rehearsal with an explicit --journal naming a real journal
	// does not overwrite it.
	if _, err := OpenJournal(path, other(func(o *JournalOwner) { o.Sandbox = true }), false); err == nil || !strings.Contains(err.Error(), "does not overwrite") {
		t.Errorf("a sandbox run over a real journal: %v", err)
	}

	edited := other(func(o *JournalOwner) { o.MappingSum = "edited"; o.Input = "fixed.csv" })
	j, err = OpenJournal(path, edited, true)
	if err != nil {
		t.Fatalf("resume after a mapping edit: %v", err)
	}
	defer j.Close()
	notes := strings.Join(j.Notes, "\n")
	if !strings.Contains(notes, "another version of the mapping") || !strings.Contains(notes, `"fixed.csv"`) {
		t.Errorf("notes: %s", notes)
	}
	if j.Unmatched() != 1 {
		t.Errorf("Unmatched = %d, want the one applied row", j.Unmatched())
	}
}

// TestJournalLock: a second run on the same journal is refused while the
// first holds it, and may go on once it is closed.
func TestJournalLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.journal")
	j, err := OpenJournal(path, testOwner, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenJournal(path, testOwner, true)
	if !errors.Is(err, ErrJournalBusy) || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("second open: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = OpenJournal(path, testOwner, true)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	_ = j.Close()
}

// TestJournalRefusals: files that are not journals, and a failed open that
// leaves nothing behind.
func TestJournalRefusals(t *testing.T) {
	dir := t.TempDir()
	notJournal := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notJournal, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(notJournal, testOwner, true); err == nil || !strings.Contains(err.Error(), "not an acctimport journal") {
		t.Errorf("a text file: %v", err)
	}
	if b, _ := os.ReadFile(notJournal); string(b) != "hello\n" {
		t.Errorf("the file was changed: %q", b)
	}
	// An empty file (a run killed before its header) is no journal at all.
	empty := filepath.Join(dir, "empty.journal")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(empty, testOwner, true)
	if err != nil {
		t.Fatalf("an empty journal: %v", err)
	}
	_ = j.Close()
}

func TestOccurrences(t *testing.T) {
	var o Occurrences
	got := []int{o.Next("x", "A"), o.Next("x", "B"), o.Next("x", "A"), o.Next("y", "A"), o.Next("x", "A")}
	want := []int{0, 0, 1, 0, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("occurrences %v, want %v", got, want)
		}
	}
}

// TestJournalTornLineRepaired: a record cut by a kill does not swallow the
// header of the run that resumes.
func TestJournalTornLineRepaired(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.journal")
	j, err := OpenJournal(path, testOwner, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = j.Record(2, "a", PayloadSum([]byte("a")), 0, reports.StatusOK)
	_ = j.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"row":3,"key":"b","payload_sha`) // killed mid-write
	f.Close()
	for range 2 {
		j, err = OpenJournal(path, testOwner, true)
		if err != nil {
			t.Fatal(err)
		}
		if !j.Done("a", PayloadSum([]byte("a")), 0) {
			t.Error("the applied row is lost")
		}
		_ = j.Close()
	}
	b, _ := os.ReadFile(path)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(line, `"acctimport_journal"`) && !strings.HasPrefix(line, `{"acctimport_journal"`) {
			t.Errorf("a header glued to a torn line: %s", line)
		}
	}
}
