// Command shellscan finds PHP web shells and injected backdoors in users'
// home trees.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitClean       = 0
	exitFound       = 1
	exitUsage       = 2
	exitIncomplete  = 3
	exitInterrupted = 130
)

// exitError carries an exit code up to main; a nil err prints nothing.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, defaultEnv(), os.Args[1:]))
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	cmd := newRootCommand(e)
	cmd.SetArgs(legacyArgs(args, e.stdinPiped, cmd.Flags()))
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitClean
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(e.stderr, "shellscan: %v\n", ee.err)
		}
		return ee.code
	}
	// Errors from flag parsing and unknown commands are usage errors.
	fmt.Fprintf(e.stderr, "shellscan: %v\n", err)
	fmt.Fprintln(e.stderr, "Try 'shellscan --help' for more information.")
	return exitUsage
}

// stdinIsPiped reports whether standard input is a pipe or a file (not a
// terminal), i.e. whether it may hold a list of paths.
func stdinIsPiped() bool {
	st, err := os.Stdin.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice == 0
}
