package disable

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// CommandOptions configure the command backend.
type CommandOptions struct {
	// Program disables one account, given as its last argument; exit 0
	// means disabled. Absolute path; required.
	Program string
	// Args come before the user (fixed, from the configuration).
	Args []string
	// DashDash puts "--" before the user, for programs that parse
	// options with getopt. Off by default: many site scripts just read
	// "$1", and no valid name starts with '-' anyway.
	DashDash bool
	// Check, if set, tells whether an account is disabled, given the
	// same way: exit 0 means disabled, 1 means not, anything else is an
	// error. Absolute path.
	Check string
	// CheckArgs come before the user in the Check run.
	CheckArgs []string
	// Timeout bounds each run; DefaultTimeout if zero.
	Timeout time.Duration
}

// Command runs a site's own programs: `PROGRAM [ARGS…] [--] USER` to
// disable, and optionally `CHECK [CHECKARGS…] [--] USER` for IsDisabled.
// Without a check program IsDisabled is always false, so Disable runs every
// time and the program itself must be idempotent, and callers cannot tell a
// repeat from a first time (every Run is audited and reported as new).
type Command struct {
	program, check  string
	args, checkArgs []string
	dashDash        bool
	timeout         time.Duration
}

var (
	_ Disabler = (*Command)(nil)
	_ Planner  = (*Command)(nil)
)

// NewCommand checks o and returns the backend.
func NewCommand(o CommandOptions) (*Command, error) {
	c := &Command{
		program:   o.Program,
		check:     o.Check,
		args:      slices.Clone(o.Args),
		checkArgs: slices.Clone(o.CheckArgs),
		dashDash:  o.DashDash,
		timeout:   orDefault(o.Timeout, DefaultTimeout),
	}
	if err := checkProgram("command", c.program); err != nil {
		return nil, err
	}
	if c.check != "" {
		if err := checkProgram("command: check", c.check); err != nil {
			return nil, err
		}
	} else if len(c.checkArgs) > 0 {
		return nil, fmt.Errorf("command: check arguments without a check program")
	}
	for _, a := range append(slices.Clone(c.args), c.checkArgs...) {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, fmt.Errorf("command: argument %q contains NUL", a)
		}
	}
	if err := checkTimeout("command", o.Timeout); err != nil {
		return nil, err
	}
	return c, nil
}

// Name returns "command".
func (c *Command) Name() string { return "command" }

// IsDisabled runs the check program, if any.
func (c *Command) IsDisabled(ctx context.Context, user string) (bool, error) {
	if err := ValidUser(user); err != nil {
		return false, err
	}
	if c.check == "" {
		return false, nil
	}
	argv := c.argv(c.check, c.checkArgs, user)
	out, err := run(ctx, c.timeout, argv)
	if err != nil {
		return false, err
	}
	switch out.code {
	case 0:
		return true, nil
	case 1:
		return false, nil
	default:
		return false, out.exitError(argv)
	}
}

// Disable runs the program, unless the check program says the account is
// disabled already.
func (c *Command) Disable(ctx context.Context, user string) error {
	disabled, err := c.IsDisabled(ctx, user)
	if err != nil || disabled {
		return err
	}
	argv := c.argv(c.program, c.args, user)
	out, err := run(ctx, c.timeout, argv)
	if err != nil {
		return err
	}
	if out.code != 0 {
		return out.exitError(argv)
	}
	return nil
}

// Plan describes Disable.
func (c *Command) Plan(user string) string {
	return "run " + showArgv(c.argv(c.program, c.args, user))
}

func (c *Command) argv(prog string, args []string, user string) []string {
	argv := append([]string{prog}, args...)
	if c.dashDash {
		argv = append(argv, "--")
	}
	return append(argv, user)
}
