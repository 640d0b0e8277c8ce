package mailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Default settings of Sendmail.
const (
	DefaultSendmailPath    = "/usr/sbin/sendmail"
	DefaultSendmailTimeout = 60 * time.Second
)

// sendmailWaitDelay bounds how long Send waits for the binary's output
// pipes to close once it has exited or been killed (a child that kept
// them open must not block the caller).
const sendmailWaitDelay = 5 * time.Second

// maxCapture bounds how much of the binary's stdout and stderr is kept.
const maxCapture = 4096

// Sendmail delivers through the local MTA's sendmail binary, run as
// "PATH -t -i" with the message on stdin.
//
// With -t the MTA takes the recipients from the message's To, Cc and Bcc
// header fields, and the envelope sender is the invoking user: Message.From
// and Message.To are not used (nothing from the message is ever put on the
// command line). Line endings are converted to LF, as sendmail expects.
//
// The binary runs in its own process group; on timeout or cancellation the
// whole group is killed. Sendmail is safe for concurrent use.
type Sendmail struct {
	// Path is the absolute path of the binary; empty means
	// DefaultSendmailPath. It is executed directly, never through a shell.
	Path string
	// Timeout bounds one delivery; zero means DefaultSendmailTimeout.
	Timeout time.Duration
}

var _ Mailer = (*Sendmail)(nil)

// errSendmailTimeout is the context cause set when Timeout expires.
var errSendmailTimeout = errors.New("sendmail timeout")

// Send implements Mailer. Errors name the binary and quote the start of its
// standard error (or, when that is empty, standard output):
//
//	sendmail /usr/sbin/sendmail: exit status 75: postdrop: warning: unable to look up public/pickup
func (s *Sendmail) Send(ctx context.Context, m *Message) error {
	path := s.Path
	if path == "" {
		path = DefaultSendmailPath
	}
	if !filepath.IsAbs(path) {
		return fmt.Errorf("sendmail %s: path is not absolute", escapeText(path, maxErrText))
	}
	if m == nil {
		return fmt.Errorf("sendmail %s: nil message", path)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSendmailTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errSendmailTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, path, "-t", "-i")
	cmd.Stdin = bytes.NewReader(bytes.ReplaceAll(m.Data, []byte("\r\n"), []byte("\n")))
	var stdout, stderr capWriter
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group id is the child's pid (Setpgid): kill it and any
		// children it started.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = sendmailWaitDelay

	err := cmd.Run()
	if err == nil || (errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success()) {
		// Exit status 0: the MTA has the message, even if some child
		// of it kept the output open.
		return nil
	}
	msg := err.Error()
	if ctx.Err() != nil {
		// Killed by us (or never started): say why.
		if context.Cause(ctx) == errSendmailTimeout {
			err = fmt.Errorf("timed out after %v: %w", timeout, context.DeadlineExceeded)
		} else {
			err = context.Cause(ctx)
		}
		msg = err.Error()
	}
	out := firstLines(stderr.buf.Bytes())
	if out == "" {
		out = firstLines(stdout.buf.Bytes())
	}
	if out != "" {
		return &sendmailError{path: path, msg: msg + ": " + out, err: err}
	}
	return &sendmailError{path: path, msg: msg, err: err}
}

type sendmailError struct {
	path, msg string
	err       error
}

func (e *sendmailError) Error() string {
	return "sendmail " + escapeText(e.path, maxErrText) + ": " + e.msg
}

func (e *sendmailError) Unwrap() error { return e.err }

// firstLines returns up to three non-empty lines from the start of out,
// trimmed, escaped, joined with "; " and bounded in length.
func firstLines(out []byte) string {
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
			if len(lines) == 3 {
				break
			}
		}
	}
	return escapeText(strings.Join(lines, "; "), maxErrText)
}

// capWriter keeps the first maxCapture bytes written to it and discards
// the rest, never failing (the child must not die of EPIPE because its
// output was too long).
type capWriter struct{ buf bytes.Buffer }

func (w *capWriter) Write(p []byte) (int, error) {
	if room := maxCapture - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
