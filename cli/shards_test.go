package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestKubernetesJobShardsCoverEveryRow runs the arguments of
// samples/kubernetes-job.yaml for every completion index, as Kubernetes
// would (against the sandbox, on a generated file), and checks that the
// shards' reports together hold every row of the input exactly once.
func TestKubernetesJobShardsCoverEveryRow(t *testing.T) {
	b, err := os.ReadFile("../samples/kubernetes-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Template       struct {
				Metadata struct {
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"metadata"`
				Spec struct {
					Containers []struct {
						Args  []string `yaml:"args"`
						Ports []struct {
							ContainerPort int `yaml:"containerPort"`
						} `yaml:"ports"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	n := job.Spec.Completions
	if job.Spec.CompletionMode != "Indexed" || n < 2 || len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("not an Indexed Job of several completions: %+v", job.Spec)
	}
	args := job.Spec.Template.Spec.Containers[0].Args
	if !containsArg(args, "--shard=$(JOB_COMPLETION_INDEX)/"+strconv.Itoa(n)) {
		t.Fatalf("the job's --shard does not split into its %d completions: %q", n, args)
	}
	// Prometheus scrapes the pods where their runs serve the metrics: on
	// the pod's network, at the port the annotations and the container name.
	port := job.Spec.Template.Metadata.Annotations["prometheus.io/port"]
	if job.Spec.Template.Metadata.Annotations["prometheus.io/scrape"] != "true" || port == "" {
		t.Errorf("the pods are not annotated for a scrape: %v", job.Spec.Template.Metadata.Annotations)
	}
	if ports := job.Spec.Template.Spec.Containers[0].Ports; len(ports) != 1 || strconv.Itoa(ports[0].ContainerPort) != port {
		t.Errorf("the container's ports %v are not the scraped port %s", ports, port)
	}
	if !containsArg(args, "--metrics-addr=0.0.0.0:"+port) {
		t.Errorf("the runs do not serve their metrics on the pod's network at port %s: %q", port, args)
	}

	const rows = 1000
	dir, m, in := bulk(t, rows)
	seen := map[string]int{}
	for i := range n {
		var run []string
		for _, a := range args {
			a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i))
			switch {
			case strings.HasPrefix(a, "--mapping="):
				a = "--mapping=" + m
			case strings.HasPrefix(a, "--input="):
				a = "--input=" + in
			case strings.HasPrefix(a, "--output="), strings.HasPrefix(a, "--summary-json="):
				k, v, _ := strings.Cut(a, "=")
				a = k + "=" + filepath.Join(dir, filepath.Base(v))
			case strings.HasPrefix(a, "--rate="):
				a = "--rate=0"
			case strings.HasPrefix(a, "--metrics-addr="):
				a = "--metrics-addr=127.0.0.1:0" // loopback in a test, a port of its own
			}
			run = append(run, a)
		}
		h := newHarness(t)
		if code := h.run(append(run, "--sandbox")...); code != ExitOK {
			t.Fatalf("shard %d: exit %d: %s", i, code, h.stderr.String())
		}
		_, report := readReport(t, filepath.Join(dir, fmt.Sprintf("accounts.shard-%d.results.csv", i)))
		if len(report) < rows/n/2 {
			t.Errorf("shard %d holds %d rows: the split is uneven", i, len(report))
		}
		for row := range report {
			seen[row]++
		}
	}
	for line := 2; line <= rows+1; line++ {
		if c := seen[strconv.Itoa(line)]; c != 1 {
			t.Errorf("row %d is in %d shards' reports", line, c)
		}
	}

	// merge of the shards' reports is the report of one run of the file.
	var shards []string
	for i := range n {
		shards = append(shards, filepath.Join(dir, fmt.Sprintf("accounts.shard-%d.results.csv", i)))
	}
	merged := filepath.Join(dir, "merged.csv")
	h := newHarness(t)
	if code := h.run(append([]string{"merge", "-o", merged}, shards...)...); code != ExitOK {
		t.Fatalf("merge: exit %d: %s", code, h.stderr.String())
	}
	whole := filepath.Join(dir, "whole.csv")
	if code := h.run("run", "--sandbox", "--no-progress", "--rate=0", "-m", m, "-i", in, "-o", whole); code != ExitOK {
		t.Fatalf("the unsharded run: exit %d: %s", code, h.stderr.String())
	}
	for _, pair := range [][2]string{{merged, whole}, {strings.Replace(merged, ".csv", ".failed.csv", 1), strings.Replace(whole, ".csv", ".failed.csv", 1)}} {
		a, errA := os.ReadFile(pair[0])
		b, errB := os.ReadFile(pair[1])
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s", filepath.Base(pair[0]), filepath.Base(pair[1]))
		}
	}
}
