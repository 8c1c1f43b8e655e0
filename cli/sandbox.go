package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctimport/acctimport/sandbox"
)

func (e *env) sandboxCmd() *cobra.Command {
	var (
		addr   string
		faults sandbox.Faults
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve local fakes of every provider API, to rehearse a migration",
		Long: `sandbox serves a fake of every provider's API on one loopback address, each
under /NAME, enforcing the provider's document as the real API would. Point a
run at it with --base-url and the credentials it prints; nothing leaves this
machine. Faults can be injected to rehearse an unwell API: added latency,
server errors (503) and rate limiting (429 with Retry-After).

--server-rate plays a provider's rate limit, to rehearse a run that must find
its pace (--rate auto): each provider gets a token bucket of N requests a
second (--server-burst at once; a second's worth unless told), shared by every
request to it; a request past it is answered 429 with a Retry-After, in the
provider's own error shape, and is not applied. The limit is not told, as most
APIs do not tell it; --announce-limit tells it in every answer's headers
(ietf: RateLimit-Policy and RateLimit; x-ratelimit: X-RateLimit-Limit,
-Remaining and -Reset).`,
		Example: `  acctimport sandbox --latency 20ms --error-rate 0.02 --429-rate 0.05
  PAYWAY_TOKEN=sandbox acctimport run -m samples/payway.yaml -i samples/payway.csv \
      --base-url http://127.0.0.1:8089/payway -o rehearsal.xlsx
  acctimport sandbox --server-rate 50
  acctimport sandbox --server-rate 50 --server-burst 10 --announce-limit=x-ratelimit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := faults.Validate(); err != nil {
				return usageError(err)
			}
			if !sandbox.IsLoopback(addr) {
				return usageErrorf("--addr %s: the sandbox listens on loopback only (127.0.0.1:PORT or localhost:PORT), since its credentials are printed for anyone to use", addr)
			}
			return e.serveSandbox(cmd.Context(), addr, faults)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8089", "loopback address to listen on")
	fl.DurationVar(&faults.Latency, "latency", 0, "added before every answer, like 20ms")
	fl.Float64Var(&faults.ErrorRate, "error-rate", 0, "share of requests answered 503, from 0 to 1")
	fl.Float64Var(&faults.ThrottleRate, "429-rate", 0, "share of requests answered 429 Too Many Requests, from 0 to 1")
	fl.DurationVar(&faults.RetryAfter, "retry-after", time.Second, "the Retry-After of a 429, in whole seconds")
	fl.Uint64Var(&faults.Seed, "seed", 0, "makes the injected faults repeatable; 0 is random")
	fl.Float64Var(&faults.ServerRate, "server-rate", 0, "play a rate limit of `N` requests/s per provider, answering 429 with Retry-After past it; 0 is none")
	fl.IntVar(&faults.ServerBurst, "server-burst", 0, "the limit's burst: `B` requests at once (default: a second's worth)")
	fl.StringVar(&faults.Announce, "announce-limit", "", "announce the limit in every answer's headers: ietf (RateLimit-Policy, RateLimit) or x-ratelimit (X-RateLimit-*)")
	fl.Lookup("announce-limit").NoOptDefVal = sandbox.AnnounceIETF
	return cmd
}

func (e *env) serveSandbox(ctx context.Context, addr string, faults sandbox.Faults) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErrorf("sandbox: %v", err)
	}
	sb := sandbox.New(e.registry.All(), faults)
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "acctimport sandbox on %s: fakes of every provider; Ctrl-C stops it.\n\nPoint a run at one with:\n%s", base, sb.Describe(base))
	if faults.Latency != 0 || faults.ErrorRate != 0 || faults.ThrottleRate != 0 {
		fmt.Fprintf(e.stdout, "\nInjected faults: latency %v, 503 for %g%% of requests, 429 (Retry-After %v) for %g%%.\n",
			faults.Latency, 100*faults.ErrorRate, faults.RetryAfter, 100*faults.ThrottleRate)
	}
	if faults.ServerRate > 0 {
		told := "not announced"
		switch faults.Announce {
		case sandbox.AnnounceIETF:
			told = "announced in RateLimit-Policy and RateLimit"
		case sandbox.AnnounceX:
			told = "announced in X-RateLimit-Limit, -Remaining and -Reset"
		}
		burst := faults.ServerBurst
		if burst == 0 {
			burst = sandbox.DefaultBurst(faults.ServerRate)
		}
		fmt.Fprintf(e.stdout, "\nRate limit: %g requests/s per provider, %d at once, answered 429 with Retry-After past it; %s.\n", faults.ServerRate, burst, told)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sandbox: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sandbox: %w", err)
	}
	fmt.Fprintln(e.stdout, "\nsandbox stopped; requests applied:")
	for _, en := range sb.Entries() {
		fmt.Fprintf(e.stdout, "  %-12s %d", en.Provider.Info().Name, len(en.Fake.Applied()))
		if en.Limit != nil {
			if _, refused := en.Limit.Counts(); refused > 0 {
				fmt.Fprintf(e.stdout, " (%d refused by the rate limit)", refused)
			}
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}
