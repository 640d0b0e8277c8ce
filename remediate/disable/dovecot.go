package disable

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults of the dovecot-deny backend.
const (
	DefaultDovecotDenyFile = "/etc/dovecot/deny-users"
	DefaultDoveadm         = "/usr/bin/doveadm"
)

// doveadmNotFound is doveadm's exit status when kick found no session:
// DOVEADM_EX_NOTFOUND, defined as EX_NOHOST (68) in doveadm.h.
const doveadmNotFound = 68

// DovecotOptions configure the dovecot-deny backend.
type DovecotOptions struct {
	// DenyFile is the passwd-file of a deny passdb:
	//
	//	passdb { driver = passwd-file; args = /etc/dovecot/deny-users; deny = yes }
	//
	// DefaultDovecotDenyFile if empty.
	DenyFile string
	// DoveadmPath is the doveadm program; DefaultDoveadm if empty.
	DoveadmPath string
	// PreserveCase writes names as given. By default they are written
	// lower-cased, matching Dovecot's default auth_username_format (%Lu
	// in 2.3, %{user | lower} in 2.4): passwd-file lookups compare
	// exactly, after that format has lower-cased the login name. Set it
	// only if auth_username_format keeps case.
	PreserveCase bool
	// NoFlush skips `doveadm auth cache flush -- USER`.
	NoFlush bool
	// NoKick skips `doveadm kick -- USER`.
	NoKick bool
	// Timeout bounds each doveadm run; DefaultTimeout if zero.
	Timeout time.Duration
	// LockWait bounds the wait for another run's lock; DefaultLockWait
	// if zero.
	LockWait time.Duration
}

// Dovecot denies users through a Dovecot deny passdb: it appends the user,
// one per line, to the passwd-file (atomically and locked, keeping mode,
// owner and group; a missing file is created 0644), which Dovecot re-reads
// when its mtime or size changes. Then it flushes the user from the auth
// cache (a cached success would outlive the deny) and kicks the user's
// sessions.
//
// doveadm kick: Dovecot 2.3 and later exit 68 (DOVEADM_EX_NOTFOUND =
// EX_NOHOST in doveadm.h, set by kick_print_kicked in doveadm-kick.c along
// with "no users kicked") when the user has no session; that is success
// here. Older releases exit 0 then. EX_NOUSER (67) is not used by kick. Any
// other status is an error, reported after the deny is in place (IsDisabled
// is then true and a rerun will not kick again).
//
// doveadm kick reads its argument as an IP address when it parses as one
// (net_parse_range, i.e. inet_aton: "12345", "10.1", "0x7f.1"), and would
// then kick every session from that address. Such names are refused with
// ErrInvalidUser before anything is changed, unless NoKick is set.
type Dovecot struct {
	file, doveadm     string
	preserveCase      bool
	noFlush, noKick   bool
	timeout, lockWait time.Duration
}

var (
	_ Disabler = (*Dovecot)(nil)
	_ Planner  = (*Dovecot)(nil)
)

// NewDovecot checks o and returns the backend.
func NewDovecot(o DovecotOptions) (*Dovecot, error) {
	d := &Dovecot{
		file:         orDefault(o.DenyFile, DefaultDovecotDenyFile),
		doveadm:      orDefault(o.DoveadmPath, DefaultDoveadm),
		preserveCase: o.PreserveCase,
		noFlush:      o.NoFlush,
		noKick:       o.NoKick,
		timeout:      orDefault(o.Timeout, DefaultTimeout),
		lockWait:     orDefault(o.LockWait, DefaultLockWait),
	}
	if err := checkFilePath("dovecot-deny: deny file", d.file); err != nil {
		return nil, err
	}
	if err := checkProgram("dovecot-deny: doveadm", d.doveadm); err != nil {
		return nil, err
	}
	if err := checkTimeout("dovecot-deny", o.Timeout); err != nil {
		return nil, err
	}
	if err := checkTimeout("dovecot-deny: lock wait", o.LockWait); err != nil {
		return nil, err
	}
	return d, nil
}

// Name returns "dovecot-deny".
func (d *Dovecot) Name() string { return "dovecot-deny" }

func (d *Dovecot) key(user string) string {
	if d.preserveCase {
		return user
	}
	return asciiLower(user)
}

// IsDisabled reads the deny file (without the lock: the file is only ever
// replaced whole, by rename).
func (d *Dovecot) IsDisabled(ctx context.Context, user string) (bool, error) {
	if err := ValidUser(user); err != nil {
		return false, err
	}
	st, err := readState(d.file)
	if err != nil {
		return false, err
	}
	return hasPasswdFileUser(st.data, d.key(user)), nil
}

// Disable appends the user and then flushes and kicks, unless the user is
// listed already (then it does nothing).
func (d *Dovecot) Disable(ctx context.Context, user string) error {
	if err := ValidUser(user); err != nil {
		return err
	}
	key := d.key(user)
	if !d.noKick && looksLikeIPv4(key) {
		return fmt.Errorf("%w: doveadm kick would read %s as an IP address and kick everyone from it; set NoKick to deny without kicking", ErrInvalidUser, quoteUser(key))
	}
	added, err := d.appendUser(ctx, key)
	if err != nil || !added {
		return err
	}
	// Flush and kick are independent: a failed flush does not skip the kick.
	var errs []error
	for _, argv := range d.afterArgv(key) {
		out, err := run(ctx, d.timeout, argv)
		if err == nil && out.code != 0 && !(argv[1] == "kick" && out.code == doveadmNotFound) {
			err = out.exitError(argv)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s denied in %s, but: %w", key, d.file, err)
	}
	return nil
}

// appendUser adds key to the deny file under the lock, unless it is there
// (then added is false).
func (d *Dovecot) appendUser(ctx context.Context, key string) (added bool, err error) {
	lock, err := lockFile(ctx, d.file, d.lockWait)
	if err != nil {
		return false, err
	}
	defer lock.Close()
	st, err := readState(d.file)
	if err != nil {
		return false, err
	}
	if hasPasswdFileUser(st.data, key) {
		return false, nil
	}
	return true, writeAtomic(d.file, appendLine(st.data, key+"\n"), st)
}

// Plan describes Disable.
func (d *Dovecot) Plan(user string) string {
	key := d.key(user)
	s := fmt.Sprintf("append %q to %s", key, d.file)
	for _, argv := range d.afterArgv(key) {
		s += " and run " + showArgv(argv)
	}
	return s
}

func (d *Dovecot) afterArgv(key string) [][]string {
	var cmds [][]string
	if !d.noFlush {
		cmds = append(cmds, []string{d.doveadm, "auth", "cache", "flush", "--", key})
	}
	if !d.noKick {
		cmds = append(cmds, []string{d.doveadm, "kick", "--", key})
	}
	return cmds
}

// hasPasswdFileUser reports whether a Dovecot passwd-file lists user: as
// db-passwd-file.c reads it, empty lines and lines starting with '#' or ':'
// are skipped and the user name runs to the first ':'; names compare
// exactly.
func hasPasswdFileUser(data []byte, user string) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxFileSize)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == '#' || line[0] == ':' {
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		if name == user {
			return true
		}
	}
	return false
}

// looksLikeIPv4 reports whether inet_aton(3) might accept s: one to four
// dot-separated parts, each decimal digits or 0x/0X and hex digits. It errs
// towards yes.
func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		digits, hex := p, false
		if len(p) >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
			digits, hex = p[2:], true
		}
		for i := 0; i < len(digits); i++ {
			c := digits[i]
			ok := '0' <= c && c <= '9' || hex && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F')
			if !ok {
				return false
			}
		}
	}
	return true
}
