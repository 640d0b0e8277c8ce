package clamav

import (
	"context"
	"errors"
	"net"
	"os"
)

var (
	// ErrUnavailable is wrapped by errors from connecting to clamd: the
	// socket is missing, the connection was refused, or the dial timed out.
	// It means clamd is down, not that one file failed.
	ErrUnavailable = errors.New("clamd unavailable")

	// ErrSizeLimit is wrapped when clamd rejected a stream longer than its
	// StreamMaxLength. The file was not scanned by clamd; it did not fail.
	ErrSizeLimit = errors.New("INSTREAM size limit exceeded")

	// ErrTimeout is matched by errors from a command that ran past
	// Client.Timeout or ctx's deadline. Those errors match
	// context.DeadlineExceeded too.
	ErrTimeout = errors.New("clamd timeout")
)

// Error is the error returned by every Client method.
type Error struct {
	Addr  string // "unix:/var/run/clamav/clamd.ctl", "tcp:127.0.0.1:3310"
	Op    string // clamd command: "PING", "VERSION", "STATS", "INSTREAM"
	Stage string // "address", "queue" (Pool), "dial", "write", "read" or "reply"
	Err   error
}

// Error formats as "clamd ADDR: OP: STAGE: cause".
func (e *Error) Error() string {
	return "clamd " + e.Addr + ": " + e.Op + ": " + e.Stage + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ServerError is clamd's reply to a command it failed, such as
// "Can't allocate memory ERROR", with the " ERROR" suffix removed.
type ServerError string

// Error returns clamd's text.
func (e ServerError) Error() string { return string(e) }

// timeoutError matches ErrTimeout and context.DeadlineExceeded.
type timeoutError struct{ msg string }

func (e timeoutError) Error() string { return e.msg }

// Timeout lets net-style checks (interface{ Timeout() bool }) see it.
func (e timeoutError) Timeout() bool { return true }

func (e timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// cause maps an I/O error to what the caller should see: ctx's error when ctx
// ended (the watcher closed the connection), a timeoutError for a deadline,
// else the innermost system error (so "broken pipe", not
// "write unix @->/path: write: broken pipe"; errors.Is still matches the
// errno).
func cause(ctx context.Context, err error, timeout string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return timeoutError{"context deadline exceeded"}
		}
		return ctxErr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return timeoutError{"timeout after " + timeout}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	var sc *os.SyscallError
	if errors.As(err, &sc) && sc.Err != nil {
		err = sc.Err
	}
	return err
}
