package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acctimport/acctimport/providers/payway"
)

// bareResult is one bare-client measurement.
type bareResult struct {
	sent    int
	elapsed time.Duration
}

func (r bareResult) rate() float64 { return float64(r.sent) / r.elapsed.Seconds() }

// bare is the physical limit the spec compares acctimport with: a plain Go
// HTTP client loop, keep-alive, an idle pool as large as the concurrency,
// conc goroutines sending the bodies as PUTs with acctimport's headers and
// reading and discarding each answer. It stops after the last body or when
// ctx is done (calibration runs are bounded by time), whichever is first.
func bare(ctx context.Context, url string, bodies [][]byte, conc int) (bareResult, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(100, conc)
	tr.MaxIdleConnsPerHost = conc
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	target := url + payway.Path

	var (
		next   atomic.Int64
		sent   atomic.Int64
		errMu  sync.Mutex
		first  error
		wg     sync.WaitGroup
		failed = func(err error) {
			errMu.Lock()
			if first == nil {
				first = err
			}
			errMu.Unlock()
		}
	)
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				req, err := http.NewRequest(http.MethodPut, target, bytes.NewReader(bodies[i]))
				if err != nil {
					failed(err)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json")
				req.Header.Set("User-Agent", "acctimport")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					failed(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed(fmt.Errorf("row %d: HTTP %d", i, resp.StatusCode))
					return
				}
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	res := bareResult{sent: int(sent.Load()), elapsed: time.Since(start)}
	if first != nil {
		return res, fmt.Errorf("bare client: %w", first)
	}
	return res, nil
}

// bareCmd is the hidden first argument with which the bench runs the bare
// client as a child process, like acctimport: both then cross the same
// process boundary to the server, and both are measured the same way.
const bareCmd = "__bare"

// bareOut is what the bare child hands back, as JSON in a file.
type bareOut struct {
	Sent      int
	ElapsedNS int64
	CPUNS     int64 // the process's CPU time during the loop
}

// bareChild is the child side: `bench __bare URL MAPPING ROWS CONC OUT`.
// It encodes the bodies of the first ROWS generated rows before the clock
// starts, sends them, and writes how long the loop took, and the CPU time
// it used, to OUT.
func bareChild(args []string) error {
	if len(args) != 5 {
		return errors.New("usage: " + bareCmd + " URL MAPPING ROWS CONC OUT")
	}
	n, err1 := strconv.Atoi(args[2])
	conc, err2 := strconv.Atoi(args[3])
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	bs, err := newBodies(args[1])
	if err != nil {
		return err
	}
	bodies, err := bs.first(n)
	if err != nil {
		return err
	}
	cpu0 := selfCPU()
	res, err := bare(context.Background(), args[0], bodies, conc)
	if err != nil {
		return err
	}
	b, err := json.Marshal(bareOut{Sent: res.sent, ElapsedNS: int64(res.elapsed), CPUNS: int64(selfCPU() - cpu0)})
	if err != nil {
		return err
	}
	return os.WriteFile(args[4], b, 0o600)
}
