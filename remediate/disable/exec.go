package disable

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// DefaultTimeout bounds one run of a local program.
	DefaultTimeout = 30 * time.Second
	// maxOutput is how much of a program's stdout and of its stderr is
	// kept; the rest is read and dropped so the program never blocks.
	maxOutput = 64 << 10
	// maxErrText is how much of stderr goes into an error message.
	maxErrText = 512
	// waitDelay bounds the wait for a killed program's pipes to close
	// (a grandchild that left the process group may hold them).
	waitDelay = 2 * time.Second
)

// output is what a program that ran to its exit left.
type output struct {
	stdout, stderr []byte
	code           int
}

// run runs argv (argv[0] an absolute path) with no shell, stdin from
// /dev/null, the environment plus LC_ALL=C, in its own process group that is
// killed as a whole when ctx ends or timeout passes. A program that exited,
// with any status, is not an error: the caller judges out.code. Failing to
// start, a timeout (the error says "timed out after …" and wraps
// context.DeadlineExceeded), cancellation and death by a signal are errors;
// they carry the command line and the start of stderr.
func run(ctx context.Context, timeout time.Duration, argv []string) (output, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The negative pid names the process group Setpgid made.
		err := unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		if err == unix.ESRCH {
			return os.ErrProcessDone
		}
		return err
	}
	cmd.WaitDelay = waitDelay
	var stdout, stderr cappedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := output{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	if err == nil {
		return out, nil
	}
	if tctx.Err() != nil {
		if ctx.Err() != nil {
			return out, fmt.Errorf("%s: %w", showArgv(argv), ctx.Err())
		}
		return out, fmt.Errorf("%s: timed out after %s: %w", showArgv(argv), timeout, context.DeadlineExceeded)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		out.code = ee.ExitCode()
		return out, nil
	}
	return out, fmt.Errorf("%s: %w%s", showArgv(argv), err, errText(out.stderr))
}

// exitError describes a program that exited with a status the caller did
// not expect.
func (o output) exitError(argv []string) error {
	return fmt.Errorf("%s: exit status %d%s", showArgv(argv), o.code, errText(o.stderr))
}

// errText is ": " and the start of stderr made printable on one line, or
// "" when stderr is empty.
func errText(stderr []byte) string {
	s := strings.TrimSpace(string(stderr))
	if s == "" {
		return ""
	}
	if len(s) > maxErrText {
		s = s[:maxErrText] + "..."
	}
	var b strings.Builder
	b.WriteString(": ")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			b.WriteString("; ")
		case c < 0x20 || c >= 0x7f:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// showArgv renders argv for messages: plain words as they are, anything
// else Go-quoted, so a message never hides or forges an argument boundary.
func showArgv(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if plainWord(a) {
			parts[i] = a
		} else {
			parts[i] = strconv.QuoteToASCII(a)
		}
	}
	return strings.Join(parts, " ")
}

func plainWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune("_-./:=@+,%", rune(c)) {
			return false
		}
	}
	return true
}

// cappedBuffer keeps the first maxOutput bytes written to it and drops the
// rest, reporting every write as complete.
type cappedBuffer struct{ buf bytes.Buffer }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *cappedBuffer) Bytes() []byte { return b.buf.Bytes() }

// checkProgram checks a configured program path: absolute and clean, so it
// is never looked up in PATH nor read as an option.
func checkProgram(what, path string) error {
	if path == "" {
		return fmt.Errorf("%s: no program configured", what)
	}
	if !filepath.IsAbs(path) || filepath.Clean(path) != path || strings.ContainsAny(path, "\x00\n") {
		return fmt.Errorf("%s: %q is not an absolute, clean path", what, path)
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func checkTimeout(what string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s: negative timeout %s", what, d)
	}
	return nil
}
