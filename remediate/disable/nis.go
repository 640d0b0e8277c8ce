package disable

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults of the nis backend.
const (
	DefaultSSH               = "/usr/bin/ssh"
	DefaultYPMakeDir         = "/var/yp"
	DefaultSSHConnectTimeout = 10 * time.Second
	DefaultSSHTimeout        = 60 * time.Second
)

// NISOptions configure the nis backend.
type NISOptions struct {
	// Master is the NIS master as ssh takes it: "host" or "user@host"
	// (further settings belong in ssh_config). Required.
	Master string
	// SSHPath is the ssh client; DefaultSSH if empty.
	SSHPath string
	// MakeDir is the directory whose Makefile rebuilds the maps on the
	// master; DefaultYPMakeDir if empty.
	MakeDir string
	// ConnectTimeout is ssh's ConnectTimeout, whole seconds;
	// DefaultSSHConnectTimeout if zero.
	ConnectTimeout time.Duration
	// Timeout bounds each ssh run; DefaultSSHTimeout if zero.
	Timeout time.Duration
}

// NIS locks accounts on a NIS master over ssh, as spam-gear did: it runs
//
//	ssh -o BatchMode=yes -o ConnectTimeout=10 MASTER -- "passwd -l -- 'USER' && make -C '/var/yp'"
//
// and, for IsDisabled, the same with "passwd -S -- 'USER'" (parsed as by
// the passwd backend). The remote command is one argv element built from a
// fixed template: sshd hands it to the remote user's shell, so the user name
// (already held to ValidUser's character set) and the make directory are
// single-quoted with shellQuote. Names with a domain part are refused with
// ErrNotLocal.
type NIS struct {
	ssh, master, makeDir string
	connectTimeout       int
	timeout              time.Duration
}

var (
	_ Disabler = (*NIS)(nil)
	_ Planner  = (*NIS)(nil)
)

// NewNIS checks o and returns the backend.
func NewNIS(o NISOptions) (*NIS, error) {
	n := &NIS{
		ssh:     orDefault(o.SSHPath, DefaultSSH),
		master:  o.Master,
		makeDir: orDefault(o.MakeDir, DefaultYPMakeDir),
		timeout: orDefault(o.Timeout, DefaultSSHTimeout),
	}
	if err := checkProgram("nis: ssh", n.ssh); err != nil {
		return nil, err
	}
	if err := checkMaster(n.master); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(n.makeDir) || strings.ContainsFunc(n.makeDir, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("nis: make directory %q is not an absolute path", n.makeDir)
	}
	ct := orDefault(o.ConnectTimeout, DefaultSSHConnectTimeout)
	if ct < time.Second || ct%time.Second != 0 {
		return nil, fmt.Errorf("nis: connect timeout %s is not a whole number of seconds", ct)
	}
	n.connectTimeout = int(ct / time.Second)
	if err := checkTimeout("nis", o.Timeout); err != nil {
		return nil, err
	}
	return n, nil
}

// checkMaster accepts "host" or "user@host" of letters, digits and ".-_:@"
// (':' for IPv6 literals), not starting with '-' so ssh cannot take it for
// an option.
func checkMaster(m string) error {
	if m == "" {
		return fmt.Errorf("nis: no master configured")
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !isAlnum(c) && (i == 0 || !strings.ContainsRune(".-_:@", rune(c))) {
			return fmt.Errorf("nis: master %q: not a host or user@host", m)
		}
	}
	return nil
}

// Name returns "nis".
func (n *NIS) Name() string { return "nis" }

// IsDisabled runs passwd -S on the master.
func (n *NIS) IsDisabled(ctx context.Context, user string) (bool, error) {
	if err := checkLocal(user); err != nil {
		return false, err
	}
	argv := n.argv("passwd -S -- " + shellQuote(user))
	out, err := run(ctx, n.timeout, argv)
	if err != nil {
		return false, err
	}
	if out.code != 0 {
		return false, out.exitError(argv)
	}
	return parsePasswdStatus(user, out.stdout)
}

// Disable runs passwd -l and make on the master, unless IsDisabled says the
// account is locked already.
func (n *NIS) Disable(ctx context.Context, user string) error {
	locked, err := n.IsDisabled(ctx, user)
	if err != nil || locked {
		return err
	}
	argv := n.argv(n.disableCommand(user))
	out, err := run(ctx, n.timeout, argv)
	if err != nil {
		return err
	}
	if out.code != 0 {
		return out.exitError(argv)
	}
	return nil
}

// Plan describes Disable.
func (n *NIS) Plan(user string) string {
	return "run " + showArgv(n.argv(n.disableCommand(user)))
}

func (n *NIS) disableCommand(user string) string {
	return "passwd -l -- " + shellQuote(user) + " && make -C " + shellQuote(n.makeDir)
}

func (n *NIS) argv(remote string) []string {
	return []string{n.ssh,
		"-o", "BatchMode=yes",
		"-o", "ConnectTimeout=" + strconv.Itoa(n.connectTimeout),
		n.master, "--", remote}
}

// shellQuote quotes s as one word for a POSIX shell: inside single quotes
// nothing is special, and each single quote in s ends the quoted part, is
// written backslash-escaped, and a new quoted part begins. The result is
// one word whatever s holds, NUL aside (which no argv can carry).
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
