package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers/all"
)

// notRun are the README's commands that are not acctimport itself, and why
// this test does not run them.
var notRun = map[string]string{
	"go test":        "it is what runs this test",
	"go run ./bench": "the benchmark takes minutes; CI builds and vets it",
	"kubectl":        "there is no cluster here; the Job's arguments are run by TestKubernetesJobShardsCoverEveryRow",
}

// readmeCommands returns the command lines of the README's sh blocks, with
// continuation lines joined and comments dropped.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	in := false
	cont := ""
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
			continue
		case strings.HasPrefix(line, "```"):
			in = false
			continue
		case !in:
			continue
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		cmds = append(cmds, cont+line)
		cont = ""
	}
	return cmds
}

// TestReadmeCommands runs every command of the README, in order, in a copy
// of samples/, as a new user following it would: acctimport's own commands
// in-process, anything else as a program. A command must exit 0 or 1 (the
// samples hold broken rows on purpose), or what its "# exit N" comment says.
func TestReadmeCommands(t *testing.T) {
	cmds := readmeCommands(t)
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands in the README", len(cmds))
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "samples"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyTree(t, filepath.Join("..", "samples"), filepath.Join(dir, "samples"))
	t.Chdir(dir)

	sandboxAddr := "" // the address of a sandbox started by the README
	assign := regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=(\S+)\s+`)
	for _, cmd := range cmds {
		want := []int{ExitOK, ExitRowsFailed}
		if i := strings.Index(cmd, "# exit "); i >= 0 {
			n, err := strconv.Atoi(strings.TrimSpace(cmd[i+len("# exit "):]))
			if err != nil {
				t.Fatalf("bad exit comment in %q", cmd)
			}
			want = []int{n}
		}
		if i := strings.Index(cmd, "  #"); i >= 0 {
			cmd = strings.TrimSpace(cmd[:i])
		}
		env := map[string]string{}
		for {
			m := assign.FindStringSubmatch(cmd)
			if m == nil {
				break
			}
			env[m[1]] = m[2]
			cmd = cmd[len(m[0]):]
		}
		if sandboxAddr != "" {
			cmd = strings.ReplaceAll(cmd, "127.0.0.1:8089", sandboxAddr)
		}
		args, ok := strings.CutPrefix(cmd, "go run . ")
		if !ok {
			reason := ""
			for prefix, why := range notRun {
				if strings.HasPrefix(cmd, prefix) {
					reason = why
				}
			}
			switch {
			case reason != "":
				t.Logf("not run: %s (%s)", cmd, reason)
			case strings.HasPrefix(cmd, "awk "):
				if _, err := exec.LookPath("awk"); err != nil {
					t.Logf("not run: %s (no awk on this machine)", cmd)
					continue
				}
				if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
					t.Errorf("%s: %v\n%s", cmd, err, out)
				}
			default:
				t.Errorf("the README shows %q, which this test neither runs nor lists in notRun", cmd)
			}
			continue
		}
		argv := strings.Fields(args)
		if argv[0] == "sandbox" {
			sandboxAddr = startReadmeSandbox(t, argv)
			continue
		}
		h := newHarness(t)
		for k, v := range env {
			h.env[k] = v
		}
		code := h.run(argv...)
		if !containsInt(want, code) {
			t.Errorf("%s\nexit %d, want %v\nstdout: %s\nstderr: %s", cmd, code, want, h.stdout.String(), h.stderr.String())
		}
	}
	// What the scaling-out section promises of the merged report.
	rows := sheet(t, "payway.merged.xlsx", "Results")
	if len(rows) != 15 {
		t.Errorf("payway.merged.xlsx has %d Results rows, want a header and the 14 sample rows", len(rows))
	}
	for i, r := range rows[1:] {
		if r[0] != strconv.Itoa(i+2) {
			t.Errorf("merged row %d is the input's row %s: not in input order", i+2, r[0])
			break
		}
	}
}

// startReadmeSandbox runs the README's sandbox command on a free loopback
// port until the test ends, and returns its address.
func startReadmeSandbox(t *testing.T, argv []string) string {
	t.Helper()
	for i, a := range argv {
		if a == "--addr" && i+1 < len(argv) {
			argv[i+1] = "127.0.0.1:0"
		}
	}
	pr, pw := io.Pipe()
	ctx, stop := context.WithCancel(context.Background())
	e := &env{stdout: pw, stderr: io.Discard, getenv: func(string) string { return "" }, registry: all.Registry, isTerminal: func() bool { return false }}
	done := make(chan int, 1)
	go func() {
		done <- e.main(ctx, argv)
		pw.Close()
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Error("the sandbox did not stop")
		}
	})
	sc := bufio.NewScanner(pr)
	addr := ""
	for sc.Scan() {
		if m := regexp.MustCompile(`^acctimport sandbox on http://(\S+):`).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if addr == "" {
		t.Fatal("the sandbox printed no address")
	}
	return addr
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
