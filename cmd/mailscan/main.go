// Command mailscan finds the accounts, hosts and PHP scripts that send spam,
// from mail logs.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK          = 0
	exitFound       = 1 // only with --exit-code
	exitUsage       = 2 // usage error, or a log that cannot be read
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

// env is the process's outside world, replaceable in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	auditLog       string // default --audit-log
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	cmd := newRootCommand(e)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(e.stderr, "mailscan: %v\n", ee.err)
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	fmt.Fprintf(e.stderr, "mailscan: %v\n", err)
	fmt.Fprintln(e.stderr, "Try 'mailscan --help' for more information.")
	return exitUsage
}

const rootLong = `mailscan reads mail logs and finds the accounts, hosts and PHP scripts that
send spam: one subcommand per log, spam-gear's option letters.

Logs are read from the distribution's default paths (or --log FILE, repeatable,
"-" for stdin), rotated copies (.1, .gz) included when the time window reaches
back into them. Malformed lines are counted and skipped.

Exit status: 0 the logs were read (whether or not anything was found: cron
lines such as "mailscan php-legacy 10 10 && mailscan php 500" keep working),
1 something was found and --exit-code was given, 2 usage error or a log that
could not be read, 130 interrupted.`

func newRootCommand(e *env) *cobra.Command {
	o := &commonOptions{}
	cmd := &cobra.Command{
		Use:           "mailscan COMMAND [OPTIONS]",
		Short:         "Find the accounts, hosts and scripts that send spam",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(e.stdout)
	cmd.SetErr(e.stderr)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErrorf("%v\nTry 'mailscan --help' for more information.", err)
	})
	o.AddFlags(cmd.PersistentFlags())
	var prof string
	cmd.PersistentFlags().StringVar(&prof, "cpuprofile", "", "write a CPU profile to `FILE` (for benchmarking)")
	_ = cmd.PersistentFlags().MarkHidden("cpuprofile")
	var stopProf func()
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		if prof == "" {
			return nil
		}
		f, err := os.Create(prof)
		if err != nil {
			return usageErrorf("--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return usageErrorf("--cpuprofile: %v", err)
		}
		stopProf = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	cmd.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProf != nil {
			stopProf()
		}
	}
	cmd.AddCommand(newPostfixCommand(e, o))
	cmd.AddCommand(newEximCommand(e, o))
	cmd.AddCommand(newPHPCommand(e, o))
	cmd.AddCommand(newPHPLegacyCommand(e, o))
	cmd.AddCommand(newRoundcubeCommand(e, o))
	cmd.AddCommand(newIMPCommand(e, o))
	cmd.AddCommand(newEmergencyCommand(e, o))
	cmd.CompletionOptions.DisableDefaultCmd = true
	return cmd
}
