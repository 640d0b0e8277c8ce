package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/spamgear/spamgear/maillog"
	"github.com/spamgear/spamgear/report"
	"github.com/spamgear/spamgear/tally"
)

// commonOptions are every subcommand's options.
type commonOptions struct {
	logs     []string
	now      string
	format   string
	exitCode bool
	verbose  bool
}

// AddFlags registers the shared options.
func (o *commonOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.logs, "log", nil, "read `FILE` instead of the default logs (repeatable; - for stdin); FILE.1, FILE.2.gz... are read too when the period reaches back into them")
	fs.StringVar(&o.now, "now", "", "pretend the time is `TIME` (RFC 3339 or 'YYYY-MM-DD HH:MM:SS'), e.g. to replay an old log")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text (spam-gear's report) or json (one object per line)")
	fs.BoolVar(&o.exitCode, "exit-code", false, "exit 1 when something is reported (default: 0 whenever the logs were read)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "say which files were read, and show the first malformed lines")
}

// clock is the time the window ends at.
func (o *commonOptions) clock() (time.Time, error) {
	if o.now == "" {
		return time.Now(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, o.now, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageErrorf("--now %q: want RFC 3339 or 'YYYY-MM-DD HH:MM:SS'", o.now)
}

func (o *commonOptions) validate() error {
	if o.format != "text" && o.format != "json" {
		return usageErrorf("--format %q: want text or json", o.format)
	}
	return nil
}

// read feeds every line of the logs of kind within [since, now] to fn.
//
// contains, when given, are literals one of which every interesting line
// holds: the others are skipped before parsing.
func (o *commonOptions) read(ctx context.Context, e *env, kind string, since, now time.Time, fn func(*maillog.Line), contains ...string) (maillog.Stats, error) {
	return o.readParallel(ctx, e, kind, since, now, 1, func() func(*maillog.Line) { return fn }, contains...)
}

// readParallel is read on several cores: each part of a big plain log goes
// to its own fn from newFn (called once per part), so fns gather apart and
// the caller merges. Without contains it reads sequentially.
func (o *commonOptions) readParallel(ctx context.Context, e *env, kind string, since, now time.Time, workers int,
	newFn func() func(*maillog.Line), contains ...string) (maillog.Stats, error) {
	paths := o.logs
	if len(paths) == 0 {
		p, ok := maillog.FirstExisting(maillog.DefaultLogs(kind))
		if !ok {
			return maillog.Stats{}, &exitError{code: exitUsage, err: fmt.Errorf("no %s log found (tried %s): give one with --log FILE",
				kind, strings.Join(maillog.DefaultLogs(kind), ", "))}
		}
		paths = []string{p}
	}
	// PHP's mail.log had no dates in old PHP versions: such lines count as
	// inside the window.
	// Lines are borrowed when read in parts: the tallies clone what they
	// keep.
	src := &maillog.Source{Since: since, Until: now, Now: now, KeepUndated: kind == "php", Contains: contains, Borrow: workers > 1}
	if o.verbose {
		var mu sync.Mutex
		shown := 0
		src.OnMalformed = func(raw string) {
			mu.Lock()
			defer mu.Unlock()
			if shown++; shown <= 5 {
				fmt.Fprintf(e.stderr, "mailscan: malformed line: %s\n", report.EscapePath(raw))
			}
		}
	}
	for _, p := range paths {
		if p == "-" {
			src.Stdin = e.stdin
		}
		src.Paths = append(src.Paths, p)
	}
	st, err := src.LinesParallel(ctx, workers, func() func(*maillog.Line) error {
		fn := newFn()
		return func(l *maillog.Line) error { fn(l); return nil }
	})
	if err != nil {
		if ctx.Err() != nil {
			return st, &exitError{code: exitInterrupted}
		}
		return st, &exitError{code: exitUsage, err: err}
	}
	if o.verbose {
		fmt.Fprintf(e.stderr, "mailscan: read %s: %d lines, %d in the period, %d malformed\n",
			strings.Join(st.Files, ", "), st.Lines, st.InWindow, st.Malformed)
	}
	return st, nil
}

// finding is one reported sender, for the JSON output.
type finding struct {
	Source          string `json:"source"`
	Kind            string `json:"kind"` // sasl_user, local_user, host, auth_id, script, webmail_user
	Name            string `json:"name"`
	Messages        int    `json:"messages"`
	Recipients      int    `json:"recipients,omitempty"`
	IPs             int    `json:"ips"`
	Nets            int    `json:"nets"`
	Unknowns        int    `json:"unknowns"`
	Webmail         int    `json:"webmail"`
	Limit           int    `json:"limit"`
	First           string `json:"first_line"`
	Disabled        bool   `json:"disabled,omitempty"`
	AlreadyDisabled bool   `json:"already_disabled,omitempty"`
	DisableError    string `json:"disable_error,omitempty"`
}

func newFinding(source, kind string, e *tally.Entry, limit int) finding {
	return finding{Source: source, Kind: kind, Name: e.Name, Messages: e.Messages, Recipients: e.Recipients,
		IPs: e.IPs(), Nets: e.Nets(), Unknowns: e.Unknowns(), Webmail: e.Webmail, Limit: limit, First: e.First}
}

// textLine is spam-gear's report line:
// "COUNT (N nets/N unknowns/N IPs/N webmail) -- FIRST LOG LINE [DISABLED]".
func (f finding) textLine() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d (", f.Messages)
	if f.Recipients > 0 {
		fmt.Fprintf(&sb, "%d recipients/", f.Recipients)
	}
	fmt.Fprintf(&sb, "%d nets/%d unknowns/%d IPs/%d webmail) -- %s", f.Nets, f.Unknowns, f.IPs, f.Webmail, report.EscapePath(f.First))
	switch {
	case f.Disabled:
		sb.WriteString(" [DISABLED]")
	case f.AlreadyDisabled:
		sb.WriteString(" [ALREADY DISABLED]")
	case f.DisableError != "":
		sb.WriteString(" [DISABLE FAILED]")
	}
	return sb.String()
}

// section is one report section: a header sentence and its findings.
type section struct {
	header   string
	findings []finding
}

// write prints the sections: nothing at all when nothing was found, so
// that "mailscan ... | mailscan emergency-mail" sends nothing.
func (o *commonOptions) write(w io.Writer, sections ...section) error {
	for i, s := range sections {
		if len(s.findings) == 0 {
			continue
		}
		if o.format == "json" {
			enc := json.NewEncoder(w)
			for _, f := range s.findings {
				if err := enc.Encode(f); err != nil {
					return err
				}
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, s.header)
		for _, f := range s.findings {
			fmt.Fprintln(w, f.textLine())
		}
	}
	return nil
}

// found is the exit status for a run that reported n findings.
func (o *commonOptions) found(n int) error {
	if n > 0 && o.exitCode {
		return &exitError{code: exitFound}
	}
	return nil
}

// thresholds checks -m and loads the overrides file ("" for none): the
// threshold of each sender.
func thresholds(max int, overrides string) (func(name string) int, error) {
	if max < 1 {
		return nil, usageErrorf("-m must be at least 1")
	}
	ov, err := readOverrides(overrides)
	if err != nil {
		return nil, err
	}
	return ov.Limit(max), nil
}

// readOverrides loads a per-user thresholds file ("" for none).
func readOverrides(path string) (tally.Overrides, error) {
	if path == "" {
		return tally.Overrides{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("--overrides: %v", err)
	}
	defer f.Close()
	ov, err := tally.ParseOverrides(path, f)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return ov, nil
}

// window checks the shared options and returns the window [since, now]
// that PERIOD ends now.
func (o *commonOptions) window(period string) (now, since time.Time, err error) {
	if err = o.validate(); err != nil {
		return
	}
	if now, err = o.clock(); err != nil {
		return
	}
	since, err = periodSince(period, now)
	return
}

// periodSince parses a PERIOD and returns the window's start.
func periodSince(period string, now time.Time) (time.Time, error) {
	d, err := maillog.ParsePeriod(period)
	if err != nil {
		return time.Time{}, usageErrorf("-p %q: %v", period, err)
	}
	return now.Add(-d), nil
}
