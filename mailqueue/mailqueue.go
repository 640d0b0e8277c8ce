// Package mailqueue measures the local mail queue: how many messages wait
// in it, read from the MTA's own listing commands (Postfix's postqueue,
// Exim's exim -bpc, sendmail's or Exim's mailq).
//
// The parsers (Parse, ParsePostqueueJSON, ParseListing, ParseNumber) are
// pure functions of a command's output. They stream it line by line, so a
// listing of a million messages costs no more memory than one line.
//
// Commands run directly, never through a shell, by absolute path, in their
// own process group, which is killed when the timeout (DefaultTimeout)
// passes or ctx is cancelled.
package mailqueue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultTimeout bounds one queue command. A listing that takes longer
// is itself a sign of a flooded queue or a stuck MTA.
const DefaultTimeout = 10 * time.Second

// fallbackDirs are searched, after $PATH, for a program given by name:
// cron runs jobs with PATH=/usr/bin:/bin, and postqueue and exim live in
// /usr/sbin.
func fallbackDirs() []string {
	return []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}
}

// Size runs cmd (a program and its arguments; the program is looked up
// like a shell would, then in /usr/sbin and the like) and returns the
// number of queued messages in its output, read by Parse. A command that
// fails, exits with a status other than 0, times out after DefaultTimeout
// or prints something Parse cannot read is an error.
func Size(ctx context.Context, cmd []string) (int, error) {
	if len(cmd) == 0 || cmd[0] == "" {
		return 0, errors.New("queue command: empty")
	}
	path, err := findProgram(cmd[0])
	if err != nil {
		return 0, fmt.Errorf("queue command %s: %w", escape(cmd[0]), err)
	}
	return run(ctx, DefaultTimeout, path, cmd[1:], Parse)
}

// Detect finds the local MTA's queue command and returns the number of
// queued messages and the command that counted them. It tries, in order:
//
//	postqueue -j   Postfix ≥ 3.1, one JSON record per message
//	postqueue -p   older Postfix, the total line of its listing
//	exim -bpc      Exim's count (exim4 -bpc on Debian)
//	mailq          sendmail's listing, or any other MTA's
//
// A program that is not installed is skipped; one that fails is reported
// and the next one tried, except after a timeout (DefaultTimeout), which
// ends the search. The error lists every failure.
func Detect(ctx context.Context) (n int, how string, err error) {
	return detector{find: findProgram, timeout: DefaultTimeout}.detect(ctx)
}

// detector is Detect with its program lookup and timeout replaceable in
// tests.
type detector struct {
	find    func(name string) (string, error)
	timeout time.Duration
}

// probe is one command Detect tries.
type probe struct {
	prog  string
	args  []string
	parse func(io.Reader) (int, error)
}

func probes() []probe {
	return []probe{
		{"postqueue", []string{"-j"}, ParsePostqueueJSON},
		{"postqueue", []string{"-p"}, ParseListing},
		{"exim", []string{"-bpc"}, ParseNumber},
		{"exim4", []string{"-bpc"}, ParseNumber},
		{"mailq", nil, ParseListing},
	}
}

func (d detector) detect(ctx context.Context) (int, string, error) {
	var (
		errs  []error
		found bool
	)
	for _, p := range probes() {
		path, err := d.find(p.prog)
		if err != nil {
			continue
		}
		found = true
		how := strings.Join(append([]string{path}, p.args...), " ")
		n, err := run(ctx, d.timeout, path, p.args, p.parse)
		if err == nil {
			return n, how, nil
		}
		errs = append(errs, err)
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			break
		}
	}
	if !found {
		return 0, "", errors.New("no mail queue command found (looked for postqueue, exim, exim4 and mailq in $PATH and /usr/sbin)")
	}
	return 0, "", errors.Join(errs...)
}

// findProgram returns the absolute path of the program name: name itself
// when it holds a slash, else the first match in $PATH, else in
// fallbackDirs.
func findProgram(name string) (string, error) {
	if strings.Contains(name, "/") {
		p, err := filepath.Abs(name)
		if err != nil {
			return "", err
		}
		if err := executable(p); err != nil {
			return "", err
		}
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		if p, err = filepath.Abs(p); err == nil {
			return p, nil
		}
	}
	for _, dir := range fallbackDirs() {
		p := filepath.Join(dir, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w in $PATH or %s", exec.ErrNotFound, strings.Join(fallbackDirs(), ", "))
}

// executable reports why path is not an executable regular file, if it is
// not.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// errTimeout is the context cause set when a command's timeout passes.
var errTimeout = errors.New("queue command timeout")

// waitDelay bounds the wait for a command's output to close after it
// exited or was killed (a child of it might keep it open).
const waitDelay = 2 * time.Second

// maxStderr bounds how much of a command's standard error is kept.
const maxStderr = 4096

// run runs path with args and parses its standard output while it runs.
// Errors name the command.
func run(ctx context.Context, timeout time.Duration, path string, args []string, parse func(io.Reader) (int, error)) (int, error) {
	display := escape(strings.Join(append([]string{path}, args...), " "))
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimeout)
	defer cancel()

	c := exec.CommandContext(ctx, path, args...)
	var stderr capWriter
	c.Stderr = &stderr
	pr, pw := io.Pipe()
	c.Stdout = pw
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error {
		// The group id is the child's pid (Setpgid): kill it and whatever
		// it started.
		return syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
	c.WaitDelay = waitDelay

	type parsed struct {
		n   int
		err error
	}
	done := make(chan parsed, 1)
	go func() {
		n, err := parse(pr)
		// Drain what is left so that the command never blocks on a full
		// pipe; CloseWithError below ends this.
		_, _ = io.Copy(io.Discard, pr)
		done <- parsed{n, err}
	}()
	runErr := c.Run()
	_ = pw.Close()
	res := <-done

	if ctx.Err() != nil && (runErr != nil || res.err != nil) {
		if context.Cause(ctx) == errTimeout {
			return 0, fmt.Errorf("%s: timed out after %v: %w", display, timeout, context.DeadlineExceeded)
		}
		return 0, fmt.Errorf("%s: %w", display, context.Cause(ctx))
	}
	if runErr != nil {
		if msg := firstLine(stderr.buf); msg != "" {
			return 0, fmt.Errorf("%s: %w: %s", display, runErr, msg)
		}
		return 0, fmt.Errorf("%s: %w", display, runErr)
	}
	if res.err != nil {
		return 0, fmt.Errorf("%s: %w", display, res.err)
	}
	return res.n, nil
}

// capWriter keeps the first maxStderr bytes written to it and discards
// the rest without failing.
type capWriter struct{ buf []byte }

func (w *capWriter) Write(p []byte) (int, error) {
	if room := maxStderr - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// firstLine returns the first non-blank line of b, trimmed and escaped.
func firstLine(b []byte) string {
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return escape(l)
		}
	}
	return ""
}

// escape returns s with control characters and invalid UTF-8 escaped, cut
// to 300 bytes, so that a command's output cannot forge lines in a log.
func escape(s string) string {
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&sb, `\x%02x`, s[i])
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			q := fmt.Sprintf("%+q", string(r))
			sb.WriteString(q[1 : len(q)-1])
		default:
			sb.WriteString(s[i : i+n])
		}
		i += n
	}
	return sb.String()
}
