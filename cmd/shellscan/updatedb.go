package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/sigs"
	"github.com/spamgear/spamgear/sigupdate"
)

// exitUpdateFailed: updatedb could not update (a download failed, a file was
// invalid, another update held the lock, nothing to roll back); nothing was
// changed. The same number as exitFound: updatedb finds nothing.
const exitUpdateFailed = 1

// updatedbLockWait bounds the wait for another updatedb to finish.
const updatedbLockWait = 30 * time.Second

// updatedbOptions are the options of "shellscan updatedb".
type updatedbOptions struct {
	dataDir      string
	urls         []string
	from         []string
	format       string
	rollback     bool
	timeout      time.Duration
	maxDownload  string
	insecureHTTP bool
	caCert       string
	dryRun       bool
	quiet        bool
}

const updatedbLong = `Download the signature files a scan loads from the data dir, check them with
the parser a scan uses, and install them atomically.

What is fetched: by default Shell-Detector's shelldetect.db from
  ` + sigupdate.UpstreamShellDetectURL + `
--url NAME=URL adds a file or replaces a file's URL. NAME is the file's name
in the data dir and says its format: shelldetect.db (Shell-Detector),
fingerprints.txt and backdoors.re (spam-gear), or NAME.toml (shellscan's own
rule format). --url NAME= (empty URL) drops a file from the list.

Checks: every new file must parse (an error names FILE:LINE and what is
wrong) and hold at least one rule, and the whole set the next scan would load
(the built-in rules, the data dir's other files and the new ones) must compile
together. If any download fails or any check does, nothing is changed.

Install: a file identical to the installed one is left alone. Each changed
file is written next to the old one and renamed over it, so a scan starting
at any moment sees the old file or the new one, never part of one. The
versions replaced are kept in DIR/.previous (one per file); --rollback puts
back those the last update replaced (--rollback NAME: that file's), and a
second --rollback undoes the first. Two updatedb runs never interleave: the
second waits up to 30s for the first, then gives up. Symbolic links in the
data dir (at NAME or .previous) are refused, never followed.

Downloads: HTTPS only, and a redirect to http:// is refused, unless
--insecure-http is given (for a mirror on the local network). Each download
is bounded by --timeout (connect, TLS handshake and the whole transfer) and
by --max-download bytes, so a slow or hostile server can neither hang the
update nor fill the disk. Proxies come from HTTPS_PROXY and NO_PROXY.

Output: for each file, old → new (shelldetect.db's own version string and
its rule count; rule counts for the others), then the version and size of
the whole rule set before and after, as 'shellscan rules check' reports it.

Exit status: 0 installed, already up to date, or rolled back; 1 the update
failed and nothing was changed (download failed or timed out, invalid file,
another updatedb running, nothing to roll back); 2 usage or configuration
error (bad option, NAME or URL); 130 interrupted (nothing changed).`

const updatedbExample = `  # nightly, from root's crontab (prints old → new when something changed;
  # add --quiet to print only then)
  0 4 * * * shellscan updatedb

  # an offline host: fetch the file elsewhere, copy it over, install it
  shellscan updatedb --from /tmp/shelldetect.db
  shellscan updatedb --from /tmp/sd-2024-06.bin --format shelldetect

  # your own rules next to Shell-Detector's, from a local mirror
  shellscan updatedb --url site.toml=https://mirror.example/shellscan/site.toml
  shellscan updatedb --insecure-http --url shelldetect.db=http://10.0.0.5/shelldetect.db

  # check what an update would do; undo the last one
  shellscan updatedb --dry-run
  shellscan updatedb --rollback`

func newUpdatedbCommand(e *env) *cobra.Command {
	o := &updatedbOptions{}
	cmd := &cobra.Command{
		Use:     "updatedb [--url NAME=URL]... | --from FILE | --rollback [NAME...]",
		Short:   "Download, check and install signature files (shelldetect.db, *.toml) into the data dir",
		Long:    updatedbLong,
		Example: updatedbExample,
		Args:    cobra.ArbitraryArgs,

		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdatedb(cmd.Context(), e, o, args)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// AddFlags registers the updatedb options.
func (o *updatedbOptions) AddFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&o.dataDir, "data-dir", defaultDataDir, "install into `DIR`, the directory scans load signature files from (created 0755 if missing)")
	fs.StringArrayVar(&o.urls, "url", nil, "fetch `NAME=URL` into the data dir as NAME (repeatable); adds to or replaces the default shelldetect.db="+
		"upstream; NAME= drops NAME")
	fs.StringArrayVar(&o.from, "from", nil, "install local `FILE` instead of downloading (repeatable); its format and installed name come from its name (*.db: shelldetect.db, *.txt: fingerprints.txt, *.re: backdoors.re, *.toml: its own name) or --format")
	fs.StringVar(&o.format, "format", "", "`FORMAT` of the single --from file: shelldetect, fingerprints, backdoors or toml")
	fs.BoolVar(&o.rollback, "rollback", false, "restore the versions the last update replaced (or those of the NAMEs given), kept in DIR/.previous")
	fs.DurationVar(&o.timeout, "timeout", sigupdate.DefaultTimeout, "give up a download after `DURATION` (connect and TLS handshake: at most 30s of it)")
	fs.StringVar(&o.maxDownload, "max-download", "64M", "refuse a download larger than `SIZE` (K, M, G suffixes); also bounds --from files")
	fs.BoolVar(&o.insecureHTTP, "insecure-http", false, "allow plain http:// URLs and redirects (a mirror on a trusted local network)")
	fs.StringVar(&o.caCert, "ca-cert", "", "also trust the CA certificates in PEM `FILE` (a mirror with its own CA)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "download and check, print what would change, change nothing")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing unless something changed (errors are always printed)")
}

// plan is what the command line asks for, checked.
type updatePlan struct {
	sources []sigupdate.Source
	fetcher *sigupdate.Fetcher
	maxSize int64
}

func (o *updatedbOptions) validate(args []string) (*updatePlan, error) {
	p := &updatePlan{}
	var err error
	switch {
	case o.dataDir == "":
		return nil, usageErrorf("--data-dir must not be empty")
	case o.rollback && (len(o.urls) > 0 || len(o.from) > 0 || o.format != ""):
		return nil, usageErrorf("--rollback restores kept versions; it takes no --url, --from or --format")
	case !o.rollback && len(args) > 0:
		return nil, usageErrorf("unexpected argument %q (NAME arguments go with --rollback; files to fetch with --url NAME=URL)", args[0])
	case len(o.from) > 0 && len(o.urls) > 0:
		return nil, usageErrorf("--from installs local files instead of downloading; it does not combine with --url")
	case o.format != "" && len(o.from) != 1:
		return nil, usageErrorf("--format gives the format of one --from FILE")
	case o.timeout <= 0:
		return nil, usageErrorf("--timeout must be positive, e.g. 60s or 2m")
	}
	if o.rollback {
		for _, a := range args {
			if _, err := sigupdate.CheckName(a); err != nil {
				return nil, usageErrorf("--rollback: %v", err)
			}
		}
		return p, nil
	}
	if p.maxSize, err = parseSize(o.maxDownload); err != nil || p.maxSize == 0 {
		return nil, usageErrorf("--max-download: invalid size %q (want e.g. 64M)", o.maxDownload)
	}
	if len(o.from) > 0 {
		return p, nil
	}
	var flags []sigupdate.Source
	for _, u := range o.urls {
		s, err := sigupdate.ParseSource(u)
		if err != nil {
			return nil, usageErrorf("--url %v", err)
		}
		flags = append(flags, s)
	}
	p.sources = sigupdate.Merge(sigupdate.DefaultSources(), flags)
	if len(p.sources) == 0 {
		return nil, usageErrorf("nothing to fetch: every file was dropped with --url NAME=")
	}
	for _, s := range p.sources {
		if _, err := sigupdate.CheckURL(s.URL, o.insecureHTTP); err != nil {
			if errors.Is(err, sigupdate.ErrInsecureURL) {
				return nil, usageErrorf("--url %s: %v; use https://, or --insecure-http for a mirror on a trusted local network", s.Name, err)
			}
			return nil, usageErrorf("--url %s: %v", s.Name, err)
		}
	}
	var roots *x509.CertPool
	if o.caCert != "" {
		pem, err := os.ReadFile(o.caCert)
		if err != nil {
			return nil, usageErrorf("--ca-cert: %v", err)
		}
		if roots, err = x509.SystemCertPool(); err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, usageErrorf("--ca-cert %s: no PEM certificate in it", o.caCert)
		}
	}
	p.fetcher = &sigupdate.Fetcher{
		Client:    sigupdate.NewClient(o.timeout, roots),
		Timeout:   o.timeout,
		MaxSize:   p.maxSize,
		AllowHTTP: o.insecureHTTP,
	}
	return p, nil
}

func runUpdatedb(ctx context.Context, e *env, o *updatedbOptions, args []string) error {
	p, err := o.validate(args)
	if err != nil {
		return err
	}
	in := &sigupdate.Installer{
		DataDir:  o.dataDir,
		Base:     sigs.Sources(),
		LockWait: updatedbLockWait,
		DryRun:   o.dryRun,
	}
	var res sigupdate.Result
	switch {
	case o.rollback:
		res, err = in.Rollback(ctx, args...)
	case len(o.from) > 0:
		var files []sigupdate.File
		if files, err = o.readFrom(p.maxSize); err == nil {
			res, err = in.Install(ctx, files)
		}
	default:
		var files []sigupdate.File
		if files, err = fetchAll(ctx, p); err == nil {
			res, err = in.Install(ctx, files)
		}
	}
	if err != nil {
		return updateError(ctx, o, err)
	}
	if !o.quiet || res.Changed {
		printUpdate(e.stdout, o, res)
	}
	return nil
}

// fetchAll downloads every source; the first failure stops it.
func fetchAll(ctx context.Context, p *updatePlan) ([]sigupdate.File, error) {
	var files []sigupdate.File
	for _, s := range p.sources {
		data, err := p.fetcher.Fetch(ctx, s.URL)
		if err != nil {
			return nil, err
		}
		files = append(files, sigupdate.File{Name: s.Name, Origin: redact(s.URL), Data: data})
	}
	return files, nil
}

// readFrom reads the --from files, each a regular file of at most max
// bytes.
func (o *updatedbOptions) readFrom(max int64) ([]sigupdate.File, error) {
	var files []sigupdate.File
	for _, path := range o.from {
		name, err := sigupdate.NameFor(signatures.Format(o.format), path)
		if err != nil {
			return nil, usageErrorf("--from %v", err)
		}
		data, err := readLocal(path, max)
		if err != nil {
			return nil, err
		}
		files = append(files, sigupdate.File{Name: name, Origin: path, Data: data})
	}
	return files, nil
}

func readLocal(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than --max-download (%d bytes)", path, max)
	}
	return data, nil
}

// updateError maps a failed update to its exit code and message.
func updateError(ctx context.Context, o *updatedbOptions, err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: errors.New("updatedb: interrupted; nothing changed")}
	}
	what := "updatedb"
	if o.rollback {
		what = "updatedb --rollback"
	}
	var hint string
	switch {
	case errors.Is(err, sigupdate.ErrNoPrevious):
		return &exitError{code: exitUpdateFailed, err: fmt.Errorf("%s: %w", what, err)}
	case errors.Is(err, sigupdate.ErrPartial):
		return &exitError{code: exitUpdateFailed, err: fmt.Errorf("%s: %w\nEvery file in %s is complete, but some are new and some old: run 'shellscan updatedb' again, or --rollback",
			what, err, o.dataDir)}
	case errors.Is(err, context.DeadlineExceeded):
		hint = " (raise --timeout for a slow link)"
	case errors.Is(err, sigupdate.ErrTooLarge):
		hint = " (raise --max-download if the file really is that large)"
	case errors.Is(err, sigupdate.ErrInsecureURL):
		hint = " (--insecure-http allows plain HTTP for a mirror on a trusted local network)"
	}
	return &exitError{code: exitUpdateFailed, err: fmt.Errorf("%s: nothing changed: %w%s", what, err, hint)}
}

// printUpdate prints each file's old -> new and the set's.
func printUpdate(w io.Writer, o *updatedbOptions, r sigupdate.Result) {
	for _, f := range r.Files {
		if !f.Changed {
			fmt.Fprintf(w, "%s: %s: unchanged\n", f.Name, describeFile(f.Old))
			continue
		}
		from := ""
		if !r.Rollback {
			from = " (from " + f.Origin + ")"
		}
		fmt.Fprintf(w, "%s: %s → %s%s\n", f.Name, describeFile(f.Old), describeFile(f.New), from)
	}
	if !r.Changed {
		fmt.Fprintf(w, "rule set %s: up to date, nothing changed\n", describeSet(r.Old))
		return
	}
	fmt.Fprintf(w, "rule set: %s → %s\n", describeSet(r.Old), describeSet(r.New))
	again := "shellscan updatedb --rollback"
	if o.dataDir != defaultDataDir {
		again += " --data-dir " + o.dataDir
	}
	switch {
	case r.DryRun:
		fmt.Fprintln(w, "dry run: nothing changed")
	case r.Rollback:
		fmt.Fprintf(w, "rolled back to the versions replaced %s; undo with: %s\n", r.PreviousFrom.Local().Format(time.DateTime), again)
	default:
		fmt.Fprintf(w, "the replaced versions are kept in %s; undo with: %s\n", sigupdate.PreviousDir(o.dataDir), again)
	}
}

func describeFile(f sigupdate.FileInfo) string {
	switch {
	case !f.Present:
		return "(none)"
	case f.Err != nil:
		return "(invalid)"
	case f.Version != "":
		return fmt.Sprintf("version %s, %s", f.Version, plural(f.Rules, "rule"))
	}
	return plural(f.Rules, "rule")
}

func describeSet(s sigupdate.SetInfo) string {
	if s.Err != nil {
		return fmt.Sprintf("(does not compile: %v)", s.Err)
	}
	return fmt.Sprintf("%s (%s)", s.Version, plural(s.Rules, "rule"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// redact hides a password in a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
