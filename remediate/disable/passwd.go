package disable

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"time"
)

// DefaultPasswd is the passwd program unless configured otherwise.
const DefaultPasswd = "/usr/bin/passwd"

// PasswdOptions configure the passwd backend.
type PasswdOptions struct {
	// Path is the passwd program; DefaultPasswd if empty.
	Path string
	// Timeout bounds each run of it; DefaultTimeout if zero.
	Timeout time.Duration
}

// Passwd locks local Unix accounts with `passwd -l -- USER`, which is what
// spam-gear did; it only helps where SASL authenticates against the shadow
// password (saslauthd with PAM/shadow, Dovecot with driver=pam/shadow).
// IsDisabled reads `passwd -S -- USER`: a second field of "L" (shadow-utils)
// or "LK" (the libuser passwd of Red Hat systems) means locked. Names with a
// domain part are refused with ErrNotLocal.
type Passwd struct {
	path    string
	timeout time.Duration
}

var (
	_ Disabler = (*Passwd)(nil)
	_ Planner  = (*Passwd)(nil)
)

// NewPasswd checks o and returns the backend.
func NewPasswd(o PasswdOptions) (*Passwd, error) {
	p := &Passwd{path: orDefault(o.Path, DefaultPasswd), timeout: orDefault(o.Timeout, DefaultTimeout)}
	if err := checkProgram("passwd", p.path); err != nil {
		return nil, err
	}
	if err := checkTimeout("passwd", o.Timeout); err != nil {
		return nil, err
	}
	return p, nil
}

// Name returns "passwd".
func (p *Passwd) Name() string { return "passwd" }

// IsDisabled runs passwd -S.
func (p *Passwd) IsDisabled(ctx context.Context, user string) (bool, error) {
	if err := checkLocal(user); err != nil {
		return false, err
	}
	argv := []string{p.path, "-S", "--", user}
	out, err := run(ctx, p.timeout, argv)
	if err != nil {
		return false, err
	}
	if out.code != 0 {
		return false, out.exitError(argv)
	}
	return parsePasswdStatus(user, out.stdout)
}

// Disable runs passwd -l unless passwd -S says the account is locked.
func (p *Passwd) Disable(ctx context.Context, user string) error {
	locked, err := p.IsDisabled(ctx, user)
	if err != nil || locked {
		return err
	}
	argv := []string{p.path, "-l", "--", user}
	out, err := run(ctx, p.timeout, argv)
	if err != nil {
		return err
	}
	if out.code != 0 {
		return out.exitError(argv)
	}
	return nil
}

// Plan describes Disable.
func (p *Passwd) Plan(user string) string {
	return "run " + showArgv([]string{p.path, "-l", "--", user})
}

// parsePasswdStatus reads the first line of `passwd -S USER` output:
// "USER STATUS DATE MIN MAX WARN INACTIVE [(comment)]". STATUS L or LK is
// locked; P, PS and NP are not; anything else, or a line for another user,
// is an error (better to stop than to guess).
func parsePasswdStatus(user string, out []byte) (bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || string(f[0]) != user {
			return false, fmt.Errorf("passwd -S %s: unexpected output %s", user, quoteUser(sc.Text()))
		}
		switch string(f[1]) {
		case "L", "LK":
			return true, nil
		case "P", "PS", "NP":
			return false, nil
		default:
			return false, fmt.Errorf("passwd -S %s: unknown status %s", user, quoteUser(string(f[1])))
		}
	}
	return false, fmt.Errorf("passwd -S %s: no status line in output", user)
}
