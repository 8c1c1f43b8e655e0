package importer

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/reports"
)

// Journal records every row a run sent and how it ended, so that a run
// killed at any moment can be resumed without sending a row twice.
//
// Each record reaches the operating system in one write as the row
// finishes, which survives the process being killed; the file is synced to
// disk in small groups (every SyncEvery or SyncBatch records, whichever
// comes first), which survives a machine crash without capping the run at
// the disk's sync rate.
type Journal struct {
	path string
	mu   sync.Mutex
	f    *os.File
	buf  []byte
	// done holds the rows an earlier run applied: account key + payload hash.
	done    map[[32]byte]struct{}
	dirty   int
	err     error
	kick    chan struct{} // SyncBatch rows are waiting to be synced
	stopped chan struct{}
	wg      sync.WaitGroup
}

// Journal sync knobs.
const (
	SyncEvery = 50 * time.Millisecond
	SyncBatch = 256
)

// journalHeader is the first line: what the journal belongs to.
type journalHeader struct {
	Journal  int    `json:"acctimport_journal"`
	Provider string `json:"provider"`
	Mapping  string `json:"mapping_sha256"`
	Input    string `json:"input"`
	Sandbox  bool   `json:"sandbox,omitempty"`
	Started  string `json:"started"`
}

type journalRecord struct {
	Row     int            `json:"row"`
	Key     string         `json:"key"`
	Payload string         `json:"payload_sha256"`
	Status  reports.Status `json:"status"`
}

// ErrJournalExists is returned when a journal of an earlier run exists and
// --resume was not given: starting over would send its rows again.
var ErrJournalExists = errors.New("a journal of an earlier run exists")

// JournalOwner says what run a journal belongs to.
type JournalOwner struct {
	Provider   string
	MappingSum string // sha256 of the mapping file, hex
	Input      string // the input's file name
	// Sandbox runs send to an in-process fake that forgets everything: a
	// sandbox journal may be started over without --resume, a real one not.
	Sandbox bool
}

// OpenJournal opens the journal at path. Without resume, an existing
// journal that records sent rows is refused (ErrJournalExists) rather than
// overwritten. With resume, the rows it records as applied are loaded, and
// a journal of another input or mapping is refused.
func OpenJournal(path string, owner JournalOwner, resume bool) (*Journal, error) {
	j := &Journal{path: path, done: make(map[[32]byte]struct{}), kick: make(chan struct{}, 1), stopped: make(chan struct{})}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("journal: %w", err)
	default:
		hdr, n, lerr := j.load(f)
		f.Close()
		if lerr != nil {
			return nil, fmt.Errorf("journal %s: %w", path, lerr)
		}
		// A sandbox journal records nothing that reached a real API, so it
		// may be started over; a real one may not.
		if !resume && n > 0 && !(hdr != nil && hdr.Sandbox) {
			return nil, fmt.Errorf("journal %s: %w with %d sent rows; pass --resume to skip the rows it records as applied, or give another --journal to start over", path, ErrJournalExists, n)
		}
		if resume && hdr != nil && hdr.Sandbox != owner.Sandbox {
			return nil, fmt.Errorf("journal %s was written by a %s run; it cannot resume a %s one", path, sandboxWord(hdr.Sandbox), sandboxWord(owner.Sandbox))
		}
		if resume && hdr != nil && (hdr.Provider != owner.Provider || hdr.Mapping != owner.MappingSum || hdr.Input != owner.Input) {
			return nil, fmt.Errorf("journal %s belongs to another run (input %q, provider %s, a different mapping); it cannot resume this one", path, hdr.Input, hdr.Provider)
		}
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if !resume {
		flags |= os.O_TRUNC
	}
	j.f, err = os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	hdr, _ := json.Marshal(journalHeader{Journal: 1, Provider: owner.Provider, Mapping: owner.MappingSum, Input: owner.Input, Sandbox: owner.Sandbox, Started: time.Now().UTC().Format(time.RFC3339)})
	if _, err := j.f.Write(append(hdr, '\n')); err != nil {
		j.f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	j.wg.Add(1)
	go j.syncLoop()
	return j, nil
}

// load reads an existing journal: its first header and the applied rows.
// A torn last line (the process was killed mid-write) is ignored.
func (j *Journal) load(f *os.File) (*journalHeader, int, error) {
	var hdr *journalHeader
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var h journalHeader
		if hdr == nil {
			if err := json.Unmarshal(line, &h); err != nil || h.Journal == 0 {
				return nil, 0, errors.New("is not an acctimport journal")
			}
			hdr = &h
			continue
		}
		var rec journalRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			continue
		}
		if rec.Status == "" { // a later run's header
			continue
		}
		n++
		if rec.Status == reports.StatusOK || rec.Status == reports.StatusPartial {
			j.done[doneKey(rec.Key, rec.Payload)] = struct{}{}
		}
	}
	return hdr, n, sc.Err()
}

func doneKey(key, payloadSum string) [32]byte {
	return sha256.Sum256([]byte(key + "\x00" + payloadSum))
}

// PayloadSum is the hash a journal knows a payload by: sha256, hex.
func PayloadSum(body []byte) string {
	s := sha256.Sum256(body)
	return hex.EncodeToString(s[:])
}

// Done reports whether an earlier run applied this row: same account key,
// same payload (sum is its PayloadSum).
func (j *Journal) Done(key, sum string) bool {
	if len(j.done) == 0 {
		return false
	}
	_, ok := j.done[doneKey(key, sum)]
	return ok
}

// Record appends one finished row (sum is its payload's PayloadSum) in one
// write, so a process killed at any moment leaves at most a torn last line.
// Errors are kept and returned by Close: a run does not stop because its
// journal broke, but it says so.
func (j *Journal) Record(row int, key, sum string, status reports.Status) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	// The line journalRecord describes, written without reflection.
	b := append(j.buf[:0], `{"row":`...)
	b = strconv.AppendInt(b, int64(row), 10)
	b = append(b, `,"key":`...)
	b = providers.AppendJSONString(b, key)
	b = append(b, `,"payload_sha256":"`...)
	b = append(b, sum...)
	b = append(b, `","status":`...)
	b = providers.AppendJSONString(b, string(status))
	b = append(b, "}\n"...)
	j.buf = b
	if _, err := j.f.Write(b); err != nil {
		j.err = err
		return
	}
	j.dirty++
	if j.dirty >= SyncBatch {
		j.dirty = 0
		select {
		case j.kick <- struct{}{}:
		default: // a sync is already due
		}
	}
}

// sync makes what was written durable. It runs without the lock, so rows go
// on being recorded while the disk syncs.
func (j *Journal) sync() {
	if err := j.f.Sync(); err != nil {
		j.mu.Lock()
		if j.err == nil {
			j.err = err
		}
		j.mu.Unlock()
	}
}

// syncLoop syncs every SyncEvery, and at once when SyncBatch rows wait.
func (j *Journal) syncLoop() {
	defer j.wg.Done()
	t := time.NewTicker(SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			j.mu.Lock()
			dirty := j.dirty > 0
			j.dirty = 0
			j.mu.Unlock()
			if dirty {
				j.sync()
			}
		case <-j.kick:
			j.sync()
		case <-j.stopped:
			return
		}
	}
}

// Close syncs and closes the journal.
func (j *Journal) Close() error {
	close(j.stopped)
	j.wg.Wait()
	j.sync()
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Close(); err != nil && j.err == nil {
		j.err = err
	}
	if j.err != nil {
		return fmt.Errorf("journal %s: %w", j.path, j.err)
	}
	return nil
}

func sandboxWord(sandbox bool) string {
	if sandbox {
		return "sandbox"
	}
	return "real"
}
