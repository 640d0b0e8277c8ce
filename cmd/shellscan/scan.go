package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/cache"
	"github.com/spamgear/spamgear/detect"
	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/report"
	"github.com/spamgear/spamgear/scan"
	"github.com/spamgear/spamgear/walker"
)

// scanOptions are the options of a scan (the root command).
type scanOptions struct {
	rules ruleOptions

	jobs          int
	null          bool
	oneFileSystem bool
	maxSize       string
	extensions    []string
	excludeDirs   []string
	exclude       []string
	mtime         string
	newer         string
	format        string
	noProgress    bool
	quiet         bool
	verbose       bool
	cpuProfile    string
	cachePath     string
	noCache       bool
	cacheWait     time.Duration
	sinceLast     bool
	racyWindow    time.Duration
	noDedupe      bool
	noDecode      bool

	act       actOptions
	clamd     clamdOptions
	allowlist string
}

const rootLong = `shellscan finds PHP web shells and injected backdoors in users' home trees.

Each file is read once and matched against the built-in rules, the signature
files installed in --data-dir (Shell-Detector's shelldetect.db, spam-gear's
fingerprints.txt and backdoors.re, *.toml rules) and any --sigs files.
Symbolic links are never followed: only a PATH argument that is itself a
link is, and, in paths read from standard input, a link that root made in a
directory only root may write to (/home -> /srv/home). FIFOs, devices and
sockets are never opened.

Obfuscated code is decoded (base64, gzip, rot13, hex, chr() chains, …;
nothing is executed) and each layer matched again (--no-decode: off). Weak
signals (rules with a weight, content statistics) flag a file only when
they add up to a score of 10: SG.PHP.Behaviour.Score lists them.

Paths come from the arguments (directories are walked in parallel) and, when
there are none or one of them is "-", from standard input, one per line (or
NUL-separated with -0), as find prints them.

Output: one line per hit, "PATH [ENGINE] [SIGNATURE] [ACTION]", or NDJSON
with --format json; a summary on stderr.

Actions (none by default: a scan only reports): -q moves infected files into
a quarantine directory with a manifest ('shellscan restore' puts them back),
--clean removes injected code and keeps the rest, -n mails each hosting user a
digest of their files. Hits of "potentially dangerous" signatures (category 2)
are only reported. Every action goes to the audit log; --dry-run shows what
would be done. As with spam-gear, when paths come from standard input,
"-q DIR" and "-n PATTERN" may take their value as the next word.

Exit status: 0 nothing found, 1 something found, 2 usage or configuration
error, 3 finished but some files could not be read, 130 interrupted.`

const rootExample = `  shellscan /var/www
  shellscan -j 4 --ext php,phtml,inc /home
  find /home -mtime -2 -iname '*php' | shellscan
  find /home -type f -print0 | shellscan -0 --format json > hits.ndjson
  mailscan php 500 | shellscan -q
  find /home -type f | shellscan -q -n '^/home/\([^/.]*\)/.*' -c /etc/spamgear/mail.txt
  shellscan --clean -q --dry-run /home/alice`

func newRootCommand(e *env) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:                   "shellscan [OPTIONS] [PATH...]",
		Short:                 "Find PHP web shells and injected backdoors",
		Long:                  rootLong,
		Example:               rootExample,
		SilenceUsage:          true,
		DisableFlagsInUseLine: true,
		SilenceErrors:         true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd.Context(), e, o, args)
		},
	}
	cmd.SetOut(e.stdout)
	cmd.SetErr(e.stderr)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErrorf("%v\nTry 'shellscan --help' for more information.", err)
	})
	o.AddFlags(cmd, e)
	cmd.AddCommand(newRulesCommand(e))
	cmd.AddCommand(newCacheCommand(e))
	cmd.AddCommand(newUpdatedbCommand(e))
	cmd.AddCommand(newRestoreCommand(e))
	cmd.AddCommand(newClamdCheckCommand(e))
	cmd.AddCommand(newAllowlistCommand(e))
	cmd.CompletionOptions.DisableDefaultCmd = true
	return cmd
}

// AddFlags registers the scan options.
func (o *scanOptions) AddFlags(cmd *cobra.Command, e *env) {
	fs := cmd.Flags()
	o.rules.AddFlags(fs)
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "number of files scanned in parallel")
	fs.BoolVarP(&o.null, "null", "0", false, "paths on standard input are NUL-separated (find -print0)")
	fs.BoolVarP(&o.oneFileSystem, "one-file-system", "x", false, "do not descend into directories on other filesystems")
	fs.StringVar(&o.maxSize, "max-size", "32M", "skip files larger than `SIZE` (K, M, G suffixes)")
	fs.StringSliceVar(&o.extensions, "ext", nil, "scan only files with these `EXTENSIONS` (comma-separated, e.g. php,phtml,inc); default: every file")
	fs.StringArrayVar(&o.excludeDirs, "exclude-dir", nil, "do not descend into directories whose name matches `GLOB` (repeatable)")
	fs.StringArrayVar(&o.exclude, "exclude", nil, "do not scan files whose name matches `GLOB` (repeatable)")
	fs.StringVar(&o.mtime, "mtime", "", "only files changed `-N`/+N/N days ago, like find -mtime; the ctime counts too, since mtime can be forged")
	fs.DurationVar(&o.racyWindow, "racy-window", scan.DefaultRacyWindow, "files changed less than this long ago are re-read next time, whatever their stat says")
	_ = fs.MarkHidden("racy-window")
	fs.BoolVar(&o.sinceLast, "since-last-scan", false, "only files changed (ctime or mtime) since the start of the last complete scan of the same PATHs, from the cache; a root never scanned completely is scanned whole, so a missed night is caught up")
	fs.StringVar(&o.newer, "newer", "", "only files changed after `FILE` was modified, like find -newer (ctime counts too)")
	fs.StringVar(&o.cachePath, "cache", e.cachePath, "verdict cache `FILE`: files unchanged since found clean under the same rules are not read again")
	fs.BoolVar(&o.noCache, "no-cache", false, "neither use nor update the verdict cache")
	fs.DurationVar(&o.cacheWait, "cache-wait", cache.DefaultLockWait, "how long to wait for another shellscan using the cache before giving up (exit 2)")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text (PATH [ENGINE] [SIGNATURE]) or json (NDJSON)")
	fs.BoolVar(&o.noProgress, "no-progress", false, "never show the progress bar (it is shown only when stderr is a terminal)")
	fs.BoolVar(&o.quiet, "quiet", false, "do not print the summary")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "log each skipped or unreadable file on stderr")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to `FILE` (for benchmarking)")
	_ = fs.MarkHidden("cpuprofile")
	fs.BoolVar(&o.noDedupe, "no-dedupe", false, "match every file even when an identical one was matched already (for benchmarking)")
	_ = fs.MarkHidden("no-dedupe")
	fs.BoolVar(&o.noDecode, "no-decode", false, "do not undo obfuscation layers (base64, gzip, rot13, hex, …) to match the code they hide: faster, finds less")

	o.clamd.AddFlags(fs)
	fs.StringVar(&o.allowlist, "allowlist", "", "never match or flag files whose SHA-256 is in `FILE` (sha256sum format; see 'shellscan allowlist build'); default DATA_DIR/"+allowlistName+" when it exists")
	o.act.AddFlags(fs, e)
}

// walkOptions turns the filter flags into walker options.
func (o *scanOptions) walkOptions(now time.Time) (walker.Options, error) {
	w := walker.Options{
		OneFileSystem: o.oneFileSystem,
		Extensions:    o.extensions,
		ExcludeDirs:   o.excludeDirs,
		Exclude:       o.exclude,
	}
	for _, g := range append(append([]string{}, o.excludeDirs...), o.exclude...) {
		if _, err := path.Match(g, ""); err != nil {
			return w, usageErrorf("bad glob %q: %v", g, err)
		}
	}
	for _, x := range o.extensions {
		if strings.Trim(x, ".") == "" {
			return w, usageErrorf("--ext: empty extension in %q", strings.Join(o.extensions, ","))
		}
	}
	var err error
	if w.MaxSize, err = parseSize(o.maxSize); err != nil {
		return w, usageErrorf("--max-size: %v", err)
	}
	if o.mtime != "" {
		if w.ChangedAfter, w.ChangedBefore, err = ageWindow(o.mtime, now); err != nil {
			return w, usageErrorf("%v", err)
		}
	}
	if o.newer != "" {
		var st unix.Stat_t
		if err := unix.Stat(o.newer, &st); err != nil {
			return w, usageErrorf("--newer %s: %v", o.newer, err)
		}
		if t := st.Mtim.Nano(); t > w.ChangedAfter {
			w.ChangedAfter = t
		}
	}
	return w, nil
}

func (o *scanOptions) validate(args []string) error {
	switch {
	case o.jobs < 1:
		return usageErrorf("-j/--jobs must be at least 1")
	case o.sinceLast && o.noCache:
		return usageErrorf("--since-last-scan needs the cache: drop --no-cache")
	case o.sinceLast && (len(args) == 0 || slices.Contains(args, "-")):
		return usageErrorf("--since-last-scan needs PATH arguments (the roots whose last scan it looks up), not paths on stdin")
	case o.format != "text" && o.format != "json":
		return usageErrorf("--format %q: want text or json", o.format)
	}
	return nil
}

func runScan(ctx context.Context, e *env, o *scanOptions, args []string) error {
	if err := o.validate(args); err != nil {
		return err
	}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return usageErrorf("--cpuprofile: %v", err)
		}
		defer stop()
	}
	start := time.Now()
	wopts, err := o.walkOptions(start)
	if err != nil {
		return err
	}
	in := scan.Inputs{Nul: o.null}
	useStdin := len(args) == 0
	missing := 0
	for _, a := range args {
		if a == "-" {
			useStdin = true
			continue
		}
		// A PATH the admin named that does not exist is an error of the
		// run (exit 3), not a file that vanished during the scan.
		if _, err := os.Stat(a); err != nil {
			fmt.Fprintf(e.stderr, "shellscan: %v\n", err)
			missing++
			continue
		}
		in.Roots = append(in.Roots, a)
	}
	if useStdin {
		if len(args) == 0 && !e.stdinPiped {
			return usageErrorf("no PATH given and standard input is a terminal\nTry 'shellscan --help' for more information.")
		}
		in.Stdin = e.stdin
	}
	set, err := o.rules.load()
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	eng, err := detect.New(matcher.New(set, matcher.Options{}), o.rules.detectOptions(o.noDecode))
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}

	logLevel := slog.LevelWarn
	if o.verbose {
		logLevel = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: logLevel}))

	out := bufio.NewWriterSize(e.stdout, 64<<10)
	var w report.Writer = report.Text{W: out}
	if o.format == "json" {
		w = report.JSON{W: out}
	}
	prog := newProgress(e, o.noProgress)
	sink := &scanSink{w: w, out: out, log: log, prog: prog, verbose: o.verbose}
	sink.sum.Unreadable = int64(missing)
	if sink.act, err = newActor(&o.act, eng, e, log, &sink.sum); err != nil {
		return err
	}
	if sink.act != nil {
		for _, root := range in.Roots {
			if err := checkRootLinks(root); err != nil {
				return usageErrorf("%v", err)
			}
		}
	}
	defer sink.act.close()
	cfg := scan.Config{Matcher: eng, Workers: o.jobs, Walk: wopts, Log: log, RacyWindow: o.racyWindow}
	if o.noDedupe {
		cfg.Dedupe = -1
	}
	allow, err := loadAllowlist(o.allowlist, o.rules.dataDir)
	if err != nil {
		return err
	}
	sigVersion := set.Version() + "+" + eng.Version()
	if allow != nil {
		cfg.Allowlist = allow
		sigVersion += "+allow:" + allow.Version()
	}
	if cfg.Clamd, sigVersion, err = o.clamdSetup(ctx, log, sigVersion); err != nil {
		return err
	}
	var vc *cache.Cache
	if !o.noCache && o.cachePath != "" {
		vc, err = cache.Open(o.cachePath, cache.Options{SigVersion: sigVersion, LockWait: o.cacheWait, Log: log})
		switch {
		case errors.Is(err, cache.ErrLocked):
			return &exitError{code: exitUsage, err: err}
		case err != nil:
			// A cache that cannot be opened (read-only, no space) costs
			// speed, not safety: scan everything.
			log.Warn("scanning without the verdict cache", "err", err)
		default:
			cfg.Cache = vc
		}
	}
	if o.sinceLast {
		if vc == nil {
			return &exitError{code: exitUsage, err: errors.New("--since-last-scan: the cache could not be opened")}
		}
		if since, ok := lastCompleteScan(vc, in.Roots); ok {
			if t := since.UnixNano(); t > cfg.Walk.ChangedAfter {
				cfg.Walk.ChangedAfter = t
			}
			fmt.Fprintf(e.stderr, "shellscan: files changed since the last complete scan, started %s\n", since.Format(time.RFC3339))
		} else {
			fmt.Fprintln(e.stderr, "shellscan: no complete scan of these PATHs recorded yet: scanning everything")
		}
	}
	err = scan.Run(ctx, cfg, in, sink)
	if vc != nil {
		// Only a complete run vouches for every file it saw: one that could
		// not read some file must not let --since-last-scan skip it later.
		if err == nil && sink.sum.Unreadable == 0 && sink.sum.ClamdMissed == 0 {

			var roots []string
			for _, root := range in.Roots {
				if abs, rerr := realAbs(root); rerr == nil {
					_ = vc.RecordScan(abs, cache.RootScan{Start: start, End: time.Now(), Files: sink.sum.Files})
					roots = append(roots, abs)
				}
			}
			if fullScan(cfg.Walk, in) {
				pruneGone(vc, roots, sink.sum.Files, log)
			}
		}
		if cerr := vc.Close(); cerr != nil {
			log.Warn("verdict cache", "err", cerr)
		}
	}
	prog.finish()
	// Users hear about what was done even when the scan was cut short.
	sink.act.notify(context.WithoutCancel(ctx))
	if ferr := out.Flush(); ferr != nil && sink.writeErr == nil {
		sink.writeErr = ferr
	}
	sum := &sink.sum
	interrupted := errors.Is(err, context.Canceled) && ctx.Err() != nil
	sum.Interrupted = interrupted
	if !o.quiet {
		fmt.Fprintf(e.stderr, "shellscan: %s\n", sum.String(time.Since(start)))
	}
	switch {
	case interrupted:
		return &exitError{code: exitInterrupted}
	case err != nil:
		return &exitError{code: exitIncomplete, err: err}
	case sink.writeErr != nil:
		return &exitError{code: exitIncomplete, err: fmt.Errorf("writing results: %w", sink.writeErr)}
	case sum.Infected > 0:
		return &exitError{code: exitFound}
	case sum.Unreadable > 0:
		return &exitError{code: exitIncomplete}
	case sum.ClamdMissed > 0:
		return &exitError{code: exitIncomplete, err: fmt.Errorf("clamd did not see %d file(s)", sum.ClamdMissed)}
	}
	return nil
}

// scanSink receives results on the pipeline's sink goroutine.
type scanSink struct {
	w        report.Writer
	out      *bufio.Writer
	log      *slog.Logger
	prog     *progress
	verbose  bool
	act      *actor // nil: report only
	sum      report.Summary
	writeErr error
}

func (s *scanSink) Verdict(v *scan.Verdict) {
	s.sum.AddVerdict(v)
	s.prog.add()
	if v.Err != nil {
		s.log.Debug("not scanned", "path", report.EscapePath(v.Target.Path), "err", v.Err)
		if !errors.Is(v.Err, os.ErrNotExist) && !errors.Is(v.Err, scan.ErrTooBig) {
			s.prog.clear()
			s.log.Warn("unreadable", "path", report.EscapePath(v.Target.Path), "err", v.Err)
		}
		return
	}
	if !v.Infected() {
		return
	}
	s.prog.clear()
	if err := s.w.Write(v, s.act.act(v)); err != nil && s.writeErr == nil {
		s.writeErr = err
	}
	if err := s.out.Flush(); err != nil && s.writeErr == nil {
		s.writeErr = err
	}
}

func (s *scanSink) Skip(sk walker.Skip) {
	s.sum.AddSkip(sk)
	if sk.Reason == walker.SkipError {
		s.prog.clear()
		s.log.Warn("unreadable", "path", report.EscapePath(sk.Path), "err", sk.Err)
	} else if s.verbose && sk.Reason != walker.SkipFilter {
		s.log.Debug("skipped", "path", report.EscapePath(sk.Path), "reason", sk.Reason.String())
	}
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// lastCompleteScan is the start of the oldest of the roots' last complete
// scans; ok is false when a root has none (then everything is scanned).
func lastCompleteScan(c *cache.Cache, roots []string) (time.Time, bool) {
	var oldest time.Time
	for _, root := range roots {
		abs, err := realAbs(root)
		if err != nil {
			return time.Time{}, false
		}
		rs, ok := c.LastScan(abs)
		if !ok {
			return time.Time{}, false
		}
		if oldest.IsZero() || rs.Start.Before(oldest) {
			oldest = rs.Start
		}
	}
	return oldest, !oldest.IsZero()
}

// realAbs is the absolute, symlink-free path of a root, as the walker
// resolves it and the cache records it.
func realAbs(root string) (string, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	return filepath.Abs(real)
}

// fullScan reports whether a run saw every file of its roots: no filters,
// no paths from stdin.
func fullScan(w walker.Options, in scan.Inputs) bool {
	return in.Stdin == nil && len(in.Roots) > 0 && w.ChangedAfter == 0 && w.ChangedBefore == 0 &&
		len(w.Extensions) == 0 && len(w.Exclude) == 0 && len(w.ExcludeDirs) == 0
}

// pruneGone forgets files that are gone, after a complete full scan of
// roots: when the cache holds more entries in those trees than the scan
// saw, some files were deleted, and only then are the entries stat'ed.
func pruneGone(vc *cache.Cache, roots []string, seen int64, log *slog.Logger) {
	n, err := vc.EntriesUnder(roots)
	if err != nil || int64(n) <= seen {
		return
	}
	removed, err := vc.PruneUnder(roots, func(p string) bool {
		_, err := os.Lstat(p)
		return !errors.Is(err, fs.ErrNotExist)
	})
	if err != nil {
		log.Warn("pruning the verdict cache", "err", err)
		return
	}
	log.Debug("pruned verdict cache", "removed", removed)
}

// clamdSetup adds clamd to the scan when asked, and its signatures to the
// version the verdict cache judges entries by.
func (o *scanOptions) clamdSetup(ctx context.Context, log *slog.Logger, version string) (*scan.Clamd, string, error) {
	c, cver, err := o.clamd.setup(ctx, log)
	if err != nil || c == nil {
		return nil, version, err
	}
	return c, version + "+" + cver, nil
}
