package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spamgear/spamgear/clamav"
	"github.com/spamgear/spamgear/report"
	"github.com/spamgear/spamgear/scan"
)

// clamdOptions choose whether and how files also go to clamd.
type clamdOptions struct {
	addr        string
	workers     int
	onlyFlagged bool
	timeout     time.Duration
	maxSize     string
	conf        string
}

// AddFlags registers the clamd options.
func (o *clamdOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.addr, "clamd", "", "also send every file read to clamd at `ADDR`: a socket path, unix:///path or tcp://host:port (default "+clamav.DefaultAddr+")")
	fs.Lookup("clamd").NoOptDefVal = clamav.DefaultAddr
	o.addFlags(fs)
	fs.IntVar(&o.workers, "clamd-workers", 0, "files streamed to clamd at once (default: clamd's MaxThreads, else 4)")
	fs.BoolVar(&o.onlyFlagged, "clamd-only-flagged", false, "send to clamd only the files our engines flagged or could not classify (binaries, unknown types): much faster nightly scans")
	fs.StringVar(&o.maxSize, "clamd-max-size", "", "do not send files larger than `SIZE` to clamd (default: StreamMaxLength from --clamd-conf, else 100M)")
}

// addFlags registers the options clamd-check shares.
func (o *clamdOptions) addFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.timeout, "clamd-timeout", clamav.DefaultTimeout, "give up on clamd for one file after this long")
	fs.StringVar(&o.conf, "clamd-conf", clamav.DefaultConfigPath, "clamd's configuration `FILE`, read for StreamMaxLength and DatabaseDirectory when it is readable")
}

// setup connects to clamd and returns the pipeline's clamd stage and a
// string naming clamd's signatures, for the verdict cache's version. A
// clamd that does not answer is a warning: the scan goes on without it and
// is incomplete (exit 3) for every file clamd did not see.
func (o *clamdOptions) setup(ctx context.Context, log *slog.Logger) (*scan.Clamd, string, error) {
	if o.addr == "" {
		return nil, "", nil
	}
	if _, _, err := clamav.ParseAddr(o.addr); err != nil {
		return nil, "", usageErrorf("--clamd: %v", err)
	}
	c := &clamav.Client{Addr: o.addr, Timeout: o.timeout}
	cfg := &scan.Clamd{OnlyFlagged: o.onlyFlagged, MaxSize: clamav.DefaultStreamMaxLength}
	if limit, ok := clamav.ConfigStreamMaxLength(o.conf); ok {
		cfg.MaxSize = limit
	}
	if o.maxSize != "" {
		n, err := parseSize(o.maxSize)
		if err != nil {
			return nil, "", usageErrorf("--clamd-max-size: %v", err)
		}
		cfg.MaxSize = n
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	version := "clamd"
	if o.onlyFlagged {
		version += ":flagged"
	}
	v, err := c.Version(pctx)
	if err != nil {
		log.Warn("clamd is not answering: scanning without it; the files it does not see make the run incomplete", "addr", o.addr, "err", err)
		cfg.Down = true
		cfg.Pool = clamav.NewPool(c, 1)
		return cfg, version + ":down", nil
	}
	version += ":" + v.Raw
	if dbs, err := clamav.ReadDatabases(o.conf); err == nil {
		version += ":" + dbs.Fingerprint
	}
	workers := o.workers
	if workers <= 0 {
		workers = clamav.DefaultWorkers(pctx, c)
	}
	cfg.Pool = clamav.NewPool(c, workers)
	return cfg, version, nil
}

const clamdCheckLong = `clamd-check asks clamd whether it is up, and prints its version, its thread
pool, the stream size limit shellscan will use, and, when clamd's configuration
is readable here, its database directory and signature count.

Exit status: 0 clamd answered, 1 it did not, 2 usage error.`

func newClamdCheckCommand(e *env) *cobra.Command {
	o := &clamdOptions{addr: clamav.DefaultAddr}
	cmd := &cobra.Command{
		Use:     "clamd-check [--clamd ADDR]",
		Short:   "Check that clamd answers and show what it runs",
		Long:    clamdCheckLong,
		Example: "  shellscan clamd-check\n  shellscan clamd-check --clamd tcp://127.0.0.1:3310",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClamdCheck(cmd.Context(), e, o)
		},
	}
	cmd.Flags().StringVar(&o.addr, "clamd", clamav.DefaultAddr, "clamd's `ADDR`: a socket path, unix:///path or tcp://host:port")
	o.addFlags(cmd.Flags())
	return cmd
}

func runClamdCheck(ctx context.Context, e *env, o *clamdOptions) error {
	if _, _, err := clamav.ParseAddr(o.addr); err != nil {
		return usageErrorf("--clamd: %v", err)
	}
	c := &clamav.Client{Addr: o.addr, Timeout: min(o.timeout, 30*time.Second)}
	if err := c.Ping(ctx); err != nil {
		return &exitError{code: exitFound, err: err}
	}
	v, err := c.Version(ctx)
	if err != nil {
		return &exitError{code: exitFound, err: err}
	}
	w := e.stdout
	fmt.Fprintf(w, "clamd %s: PONG\n", o.addr)
	fmt.Fprintf(w, "version: %s\n", v.Raw)
	if st, err := c.Stats(ctx); err == nil {
		fmt.Fprintf(w, "threads: max %d, live %d, idle %d; queue %d\n", st.MaxThreads, st.Live, st.Idle, st.Queue)
	}
	limit, ok := clamav.ConfigStreamMaxLength(o.conf)
	src := o.conf
	if !ok {
		limit, src = clamav.DefaultStreamMaxLength, "clamd's default"
	}
	fmt.Fprintf(w, "stream size limit: %s (%s)\n", report.HumanBytes(limit), src)
	if dbs, err := clamav.ReadDatabases(o.conf); err == nil {
		fmt.Fprintf(w, "databases: %s: %d files, %d signatures in text databases", dbs.Dir, len(dbs.Files), dbs.Signatures)
		if dbs.CVDs > 0 {
			fmt.Fprintf(w, " + %d signed .cvd/.cld (count them with sigtool --info)", dbs.CVDs)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "databases: not readable here (%v)\n", err)
	}
	return nil
}
