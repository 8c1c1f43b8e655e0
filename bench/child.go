package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// childTimeout bounds every child process: a stuck run ends the
// measurement with an error instead of hanging the bench.
const childTimeout = 30 * time.Minute

// childResult is what one child process cost, measured from outside, the
// way a user experiences it: wall time from start to exit, and the peak
// resident set size and CPU time the kernel accounted to the process.
type childResult struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // bytes
	output string        // what it printed, stdout and stderr
}

// measureCmd is the hidden first argument with which the bench runs itself
// as a small launcher between it and a measured child.
//
// Linux carries a process's peak RSS over an exec, and Go starts children
// with vfork (the child shares the parent's memory until it execs), so a
// child of the bench would report at least the bench's own peak (the fake's
// accounts, the precomputed bodies) as its Maxrss. The launcher is small
// and allocates nothing, so the child it starts reports its own peak, give
// or take the launcher's few MiB.
const measureCmd = "__measure"

// measured is what the launcher hands back, as JSON in a file.
type measured struct {
	WallNS, UserNS, SysNS int64
	MaxRSSKiB             int64
	Exit                  int
}

func (m measured) exitCode() int { return m.Exit }

// runChild runs bin with args and extra environment through the launcher,
// and fails on a non-zero exit status (every measured run is expected to be
// all ok).
func runChild(ctx context.Context, env []string, bin string, args ...string) (childResult, error) {
	res, code, err := runChildCode(ctx, env, bin, args...)
	if err == nil && code != 0 {
		err = fmt.Errorf("%s %s: exit status %d", filepath.Base(bin), strings.Join(args, " "), code)
	}
	return res, err
}

// runChildCode runs a child as runChild does and returns its exit status
// instead of failing on a non-zero one, for measurements of runs that are
// meant to refuse their input.
func runChildCode(ctx context.Context, env []string, bin string, args ...string) (childResult, int, error) {
	ctx, cancel := context.WithTimeout(ctx, childTimeout)
	defer cancel()
	self, err := os.Executable()
	if err != nil {
		return childResult{}, 0, err
	}
	tmp, err := os.CreateTemp("", "bench-measure-*.json")
	if err != nil {
		return childResult{}, 0, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	cmd := exec.CommandContext(ctx, self, append([]string{measureCmd, tmp.Name(), bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()

	var m measured
	b, err := os.ReadFile(tmp.Name())
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	res := childResult{
		wall:   time.Duration(m.WallNS),
		cpu:    time.Duration(m.UserNS + m.SysNS),
		maxRSS: m.MaxRSSKiB * 1024, // Maxrss is KiB on Linux
		output: out.String(),
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(runErr, &ee) {
		code, runErr = ee.ExitCode(), nil
	}
	if runErr != nil || err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "…"
		}
		return res, code, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), cmp.Or(runErr, err), msg)
	}
	if code != 0 && code != m.exitCode() {
		return res, code, fmt.Errorf("%s: launcher exit %d", filepath.Base(bin), code)
	}
	return res, code, nil
}

// measure is the launcher: `bench __measure OUT BIN ARGS...` runs BIN,
// writes its wall time, CPU time and peak RSS to OUT, and exits with its
// status.
func measure(args []string) (int, error) {
	if len(args) < 2 {
		return 2, errors.New("usage: " + measureCmd + " OUT BIN [ARGS...]")
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// If the bench kills the launcher (Ctrl-C, timeout), the child dies
	// too. Pdeathsig follows the thread that started the child.
	runtime.LockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	ps := cmd.ProcessState
	if ps == nil {
		return 1, err
	}
	m := measured{WallNS: int64(wall), UserNS: int64(ps.UserTime()), SysNS: int64(ps.SystemTime()), Exit: ps.ExitCode()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		m.MaxRSSKiB = ru.Maxrss
	}
	b, jerr := json.Marshal(m)
	if jerr == nil {
		jerr = os.WriteFile(args[0], b, 0o600)
	}
	if jerr != nil {
		return 1, jerr
	}
	return ps.ExitCode(), nil
}

// buildAcctimport builds the command a user runs, once, from the module at
// root.
func buildAcctimport(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "acctimport")
	// -buildvcs=false: the bench must not need (or touch) the repository's
	// version control state.
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", bin, ".")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the acctimport module from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/acctimport/acctimport\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the bench from inside the acctimport module (go run ./bench)")
		}
		dir = parent
	}
}
