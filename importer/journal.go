package importer

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/acctimport/acctimport/internal/regular"
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/reports"
)

// Journal records every row a run sent and how it ended, so that a run
// killed at any moment can be resumed without sending a row twice.
//
// A journal belongs to one destination (provider, base URL, sandbox or
// not), written in its first line and checked on every open, and to one run
// at a time: the run holds an exclusive lock on the file for its lifetime.
//
// A row is known by its account key, the hash of its payload and the
// occurrence of that pair in the input (0 for the first row with that key
// and payload, 1 for the next...), so an account updated A, B, then A again
// resumes right, while an edited input still matches rows by content.
//
// Each record reaches the operating system in one write as the row
// finishes, which survives the process being killed; the file is synced to
// disk in small groups (every SyncEvery or SyncBatch records, whichever
// comes first), which survives a machine crash without capping the run at
// the disk's sync rate.
type Journal struct {
	path string
	lock *flock.Flock
	mu   sync.Mutex
	f    *os.File
	buf  []byte
	// done holds the rows an earlier run applied, when resuming; a row is
	// taken out as it is matched, so what is left at the end matched
	// nothing. It is read and changed by the reader alone.
	done    map[rowID]struct{}
	dirty   int
	err     error
	kick    chan struct{} // SyncBatch rows are waiting to be synced
	stopped chan struct{}
	wg      sync.WaitGroup
	// Notes are what the run should tell the user about the journal it
	// opened: a mapping that changed since, another input.
	Notes []string
}

// Journal sync knobs.
const (
	SyncEvery = 50 * time.Millisecond
	SyncBatch = 256
)

// journalVersion 2 added the destination and the occurrence of a row.
const journalVersion = 2

// journalHeader starts every run's part of a journal; the first one says
// what the journal belongs to.
type journalHeader struct {
	Journal  int    `json:"acctimport_journal"`
	Provider string `json:"provider"`
	BaseURL  string `json:"base_url,omitempty"`
	Sandbox  bool   `json:"sandbox,omitempty"`
	Mapping  string `json:"mapping_sha256"`
	Input    string `json:"input"`
	Started  string `json:"started"`
	PID      int    `json:"pid,omitempty"`
	Host     string `json:"host,omitempty"`
}

type journalRecord struct {
	Row        int            `json:"row"`
	Key        string         `json:"key"`
	Payload    string         `json:"payload_sha256"`
	Occurrence int            `json:"occurrence"`
	Status     reports.Status `json:"status"`
}

// ErrJournalExists is returned when a journal of an earlier run to the same
// destination exists and --resume was not given: starting over would send
// its rows again.
var ErrJournalExists = errors.New("a journal of an earlier run exists")

// ErrJournalBusy is returned when another run holds the journal.
var ErrJournalBusy = errors.New("another run is using the journal")

// Destination is where a run sends its rows.
type Destination struct {
	Provider string
	// BaseURL is the API's base URL, without credentials or query. A
	// sandbox listens on a new port every run, so its URL is not compared.
	BaseURL string
	// Sandbox runs send to an in-process fake that forgets everything.
	Sandbox bool
}

func (d Destination) String() string {
	if d.Sandbox {
		return d.Provider + "'s sandbox (a fake on this machine)"
	}
	if d.BaseURL == "" {
		return d.Provider + " (base URL not recorded)"
	}
	return d.Provider + " at " + d.BaseURL
}

// differs names what sets d apart from o, or "" when a journal of o may
// serve a run to d.
func (d Destination) differs(o Destination) string {
	switch {
	case d.Sandbox != o.Sandbox:
		return "sandbox or not"
	case d.Provider != o.Provider:
		return "provider"
	case !d.Sandbox && o.BaseURL != "" && d.BaseURL != o.BaseURL:
		return "base URL"
	}
	return ""
}

// JournalOwner says what run a journal belongs to.
type JournalOwner struct {
	Destination
	MappingSum string // sha256 of the mapping file, hex
	Input      string // the input's file name
}

// OpenJournal opens the journal at path and locks it for this run.
//
// Without resume, no row is ever skipped because of a journal: a journal
// of an earlier real run that sent rows is refused (ErrJournalExists) rather
// than overwritten, and any other (a sandbox's, one that sent nothing) is
// started over. With resume, the rows it records as applied are loaded, so
// that the run skips them; a journal of another destination is refused,
// naming what differs, while another mapping or input is allowed (rows are
// matched by content) and said in Notes.
func OpenJournal(path string, owner JournalOwner, resume bool) (_ *Journal, err error) {
	j := &Journal{path: path, kick: make(chan struct{}, 1), stopped: make(chan struct{})}
	// Not a FIFO (opening it would block for good), a device or a link that
	// would write somewhere else.
	if err := regular.CheckNoLink(path); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	_, statErr := os.Lstat(path)
	existed := statErr == nil
	j.lock = flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDONLY), flock.SetPermissions(0o600))
	locked, lerr := j.lock.TryLock()
	if lerr != nil {
		return nil, fmt.Errorf("journal %s: %w", path, lerr)
	}
	if !locked {
		_ = j.lock.Close()
		return nil, fmt.Errorf("journal %s: %w%s; wait for it to finish, or give this run another --journal", path, ErrJournalBusy, describeHolder(path))
	}
	defer func() {
		if err != nil {
			_ = j.lock.Close()
			if !existed {
				_ = os.Remove(path)
			}
		}
	}()

	truncate, torn := true, false
	if existed {
		f, oerr := os.Open(path)
		if oerr != nil {
			return nil, fmt.Errorf("journal: %w", oerr)
		}
		prev, sent, done, lerr := loadJournal(f, resume)
		torn = endsTorn(f)
		f.Close()
		if lerr != nil {
			return nil, fmt.Errorf("journal %s: %w", path, lerr)
		}
		switch {
		case prev == nil: // empty: nothing to keep
		case resume:
			had := Destination{Provider: prev.Provider, BaseURL: prev.BaseURL, Sandbox: prev.Sandbox}
			if what := owner.differs(had); what != "" {
				return nil, fmt.Errorf("journal %s records a run to %s; this run sends to %s (the %s differs), so it cannot be resumed from it: give this run another --journal", path, had, owner.Destination, what)
			}
			j.done = done
			truncate = false
			if prev.Mapping != owner.MappingSum {
				j.Notes = append(j.Notes, fmt.Sprintf("journal %s was written with another version of the mapping: rows whose payload is unchanged are skipped, changed ones are sent", path))
			}
			if prev.Input != owner.Input {
				j.Notes = append(j.Notes, fmt.Sprintf("journal %s was written for input %q; this run reads %q: rows are matched by account key and payload", path, prev.Input, owner.Input))
			}
		case !prev.Sandbox && sent > 0:
			if owner.Sandbox {
				return nil, fmt.Errorf("journal %s records %d rows sent to %s; a sandbox run does not overwrite it: give the rehearsal another --journal", path, sent, Destination{Provider: prev.Provider, BaseURL: prev.BaseURL})
			}
			return nil, fmt.Errorf("journal %s: %w with %d sent rows; pass --resume to skip the rows it records as applied, or give another --journal to start over", path, ErrJournalExists, sent)
		}
	}
	flags := os.O_WRONLY | os.O_APPEND
	if truncate {
		flags |= os.O_TRUNC
	}
	j.f, err = os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if torn && !truncate {
		// The last record was cut by a kill: end its line, so that this
		// run's header starts a line of its own.
		if _, err := j.f.Write([]byte{'\n'}); err != nil {
			j.f.Close()
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
	}
	host, _ := os.Hostname()
	hdr, _ := json.Marshal(journalHeader{
		Journal: journalVersion, Provider: owner.Provider, BaseURL: owner.BaseURL, Sandbox: owner.Sandbox,
		Mapping: owner.MappingSum, Input: owner.Input, Started: time.Now().UTC().Format(time.RFC3339),
		PID: os.Getpid(), Host: host,
	})
	if _, err := j.f.Write(append(hdr, '\n')); err != nil {
		j.f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j.wg.Add(1)
	go j.syncLoop()
	return j, nil
}

// endsTorn reports whether f's last line lacks its newline.
func endsTorn(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return false
	}
	var last [1]byte
	_, err = f.ReadAt(last[:], st.Size()-1)
	return err == nil && last[0] != '\n'
}

// describeHolder says which run holds a journal, from the header it wrote
// last: " (pid 123 on host, started ...)", or "" when it cannot tell.
func describeHolder(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last *journalHeader
	sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var h journalHeader
		if json.Unmarshal(sc.Bytes(), &h) == nil && h.Journal != 0 {
			last = &h
		}
	}
	if last == nil || last.PID == 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d on %s, started %s)", last.PID, last.Host, last.Started)
}

// loadJournal reads an existing journal: its first header, how many rows it
// records as sent, and, when wanted, the rows it records as applied. A torn
// last line (the process was killed mid-write) is ignored.
func loadJournal(r io.Reader, wantDone bool) (hdr *journalHeader, sent int, done map[rowID]struct{}, err error) {
	if wantDone {
		done = make(map[rowID]struct{})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if hdr == nil {
			var h journalHeader
			if err := json.Unmarshal(line, &h); err != nil || h.Journal == 0 {
				return nil, 0, nil, errors.New("is not an acctimport journal; give this run another --journal")
			}
			if h.Journal > journalVersion {
				return nil, 0, nil, fmt.Errorf("was written by a newer acctimport (journal version %d); resume with that version", h.Journal)
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
		sent++
		if wantDone && (rec.Status == reports.StatusOK || rec.Status == reports.StatusPartial) {
			done[makeRowID(rec.Key, rec.Payload, rec.Occurrence)] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, nil, err
	}
	return hdr, sent, done, nil
}

// rowID is what a journal knows a row by: a hash of its account key,
// payload hash and occurrence, long enough that two rows never collide.
type rowID [16]byte

func makeRowID(key, payloadSum string, occurrence int) rowID {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(payloadSum))
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(occurrence))
	h.Write(n[:])
	var id rowID
	copy(id[:], h.Sum(nil))
	return id
}

// PayloadSum is the hash a journal knows a payload by: sha256, hex.
func PayloadSum(body []byte) string {
	s := sha256.Sum256(body)
	return hex.EncodeToString(s[:])
}

// Done reports whether an earlier run applied this row (sum is its
// payload's PayloadSum, occurrence its Occurrences.Next), and takes it off
// the list of rows still to be matched. Only the reader calls it.
func (j *Journal) Done(key, sum string, occurrence int) bool {
	if len(j.done) == 0 {
		return false
	}
	id := makeRowID(key, sum, occurrence)
	if _, ok := j.done[id]; !ok {
		return false
	}
	delete(j.done, id)
	return true
}

// Unmatched is how many rows the journal records as applied that no row of
// this run matched (the mapping or the input changed since, or the run
// stopped before reaching them).
func (j *Journal) Unmatched() int { return len(j.done) }

// Resuming reports whether the journal holds applied rows of an earlier run.
func (j *Journal) Resuming() bool { return j.done != nil }

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Record appends one finished row (sum is its payload's PayloadSum) in one
// write, so a process killed at any moment leaves at most a torn last line.
// An error means the row is not recorded, and no later row will be: the
// run must stop sending, since a resume could not account for what it sends.
func (j *Journal) Record(row int, key, sum string, occurrence int, status reports.Status) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	// The line journalRecord describes, written without reflection.
	b := append(j.buf[:0], `{"row":`...)
	b = strconv.AppendInt(b, int64(row), 10)
	b = append(b, `,"key":`...)
	b = providers.AppendJSONString(b, key)
	b = append(b, `,"payload_sha256":"`...)
	b = append(b, sum...)
	b = append(b, `","occurrence":`...)
	b = strconv.AppendInt(b, int64(occurrence), 10)
	b = append(b, `,"status":`...)
	b = providers.AppendJSONString(b, string(status))
	b = append(b, "}\n"...)
	j.buf = b
	if _, err := j.f.Write(b); err != nil {
		j.err = fmt.Errorf("journal %s: %w", j.path, err)
		return j.err
	}
	j.dirty++
	if j.dirty >= SyncBatch {
		j.dirty = 0
		select {
		case j.kick <- struct{}{}:
		default: // a sync is already due
		}
	}
	return nil
}

// sync makes what was written durable. It runs without the lock, so rows go
// on being recorded while the disk syncs.
func (j *Journal) sync() {
	if err := j.f.Sync(); err != nil {
		j.mu.Lock()
		if j.err == nil {
			j.err = fmt.Errorf("journal %s: %w", j.path, err)
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

// Close syncs and closes the journal and releases its lock.
func (j *Journal) Close() error {
	close(j.stopped)
	j.wg.Wait()
	j.sync()
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Close(); err != nil && j.err == nil {
		j.err = fmt.Errorf("journal %s: %w", j.path, err)
	}
	_ = j.lock.Close()
	return j.err
}

// Occurrences numbers the rows that repeat an account key and payload:
// Next returns 0 the first time a pair is seen, 1 the second... It keeps
// 12 bytes per distinct pair (a 64-bit hash and a count): numbering only has
// to be the same on every run over the same rows, so a hash collision, which
// merely counts two pairs together, cannot make a resume skip a wrong row.
type Occurrences struct{ seen map[uint64]uint32 }

// Next returns the occurrence of (key, sum) and counts it.
func (o *Occurrences) Next(key, sum string) int {
	if o.seen == nil {
		o.seen = make(map[uint64]uint32)
	}
	h := fnv64(key, sum)
	n := o.seen[h]
	o.seen[h] = n + 1
	return int(n)
}

// fnv64 is FNV-1a over key, a separator and sum.
func fnv64(key, sum string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * prime
	}
	h = (h ^ 0xff) * prime
	for i := 0; i < len(sum); i++ {
		h = (h ^ uint64(sum[i])) * prime
	}
	return h
}
