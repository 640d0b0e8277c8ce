// Package disable stops mail accounts that send spam: `mailscan postfix -d`
// hands it SASL user names taken from mail logs, and a backend locks the
// account (passwd -l, locally or on a NIS master over ssh), rejects it in a
// Postfix check_sasl_access map, denies it in a Dovecot passdb, or runs a
// site's own program.
//
// It runs as root and the user names are hostile: they come from log lines
// that anyone who can open an SMTP session can shape. So every name must
// pass [ValidUser] before anything happens (each backend checks again), no
// local shell ever sees one (programs run with exec, the name is one argv
// element, after "--" where the program takes it), and the one place a
// shell is unavoidable, the remote side of ssh, gets the name single-quoted
// on top of the strict character set.
//
// Every backend is idempotent: Disable of an account that is already
// disabled does nothing and returns nil, and IsDisabled lets callers tell
// "done now" from "done before" so an account is alerted on once. [Run] is
// the one entry point callers need: it validates, checks, honours dry runs
// and writes the audit log.
//
// Dry runs: IsDisabled is read-only and still runs; Disable is not called.
// Every backend here implements [Planner], whose Plan says what Disable
// would do, and [Run] returns that text in Result.Detail.
//
// Backends are safe for concurrent use. The two that edit files
// (postfix-sasl-access, dovecot-deny) serialize on an flock(2) of a
// "FILE.lock" beside the file, which also excludes other spamgear processes.
package disable

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spamgear/spamgear/remediate"
)

// Errors callers may test for with errors.Is.
var (
	// ErrInvalidUser: the name fails ValidUser; nothing was done.
	ErrInvalidUser = errors.New("invalid user name")
	// ErrNotLocal: the name has a domain part, so it cannot be a Unix
	// account (passwd, nis backends); nothing was done.
	ErrNotLocal = errors.New("not a local account name")
	// ErrConflict: the map already has an entry for the user with an
	// action that does not block it; nothing was done (a second entry
	// would be ignored by postmap, and overriding the admin's is not ours
	// to do).
	ErrConflict = errors.New("conflicting entry")
)

// Disabler disables accounts in one place. Implementations validate the
// user themselves and are idempotent: Disable of a user already disabled is
// a no-op that returns nil.
type Disabler interface {
	// Name is the backend's name, e.g. "passwd", for logs and the audit.
	Name() string
	// IsDisabled reports whether user is disabled already. It changes
	// nothing.
	IsDisabled(ctx context.Context, user string) (bool, error)
	// Disable disables user.
	Disable(ctx context.Context, user string) error
}

// Planner is implemented by disablers that can say, without doing it, what
// Disable would do for user (dry runs). All backends of this package do.
type Planner interface {
	Plan(user string) string
}

// Result is what Run did for one user.
type Result struct {
	User     string
	Already  bool   // it was disabled before; nothing was done
	Disabled bool   // it was disabled now
	DryRun   bool   // a dry run: nothing was changed
	Detail   string // human-readable: what was (or would be) done
}

// Run disables user with d: it validates the name (an invalid one is
// returned as an error wrapping ErrInvalidUser, never acted on and not
// audited), asks d whether the user is disabled already (then it returns
// Already and does nothing), and otherwise disables it, or in a dry run only
// describes what it would do.
//
// Every real attempt is appended to audit (action "disable", the backend in
// Detail, Error set when it failed), and so is a failed status check, since
// then an account that should have been stopped was not. "Already disabled"
// and dry runs are not audited. audit may be nil. If the action succeeded
// but the audit write failed, Result.Disabled is true and the error reports
// the audit failure.
func Run(ctx context.Context, d Disabler, user string, audit *remediate.Audit, dryRun bool) (Result, error) {
	res := Result{User: user, DryRun: dryRun}
	if d == nil {
		return res, errors.New("disable: no backend configured")
	}
	if err := ValidUser(user); err != nil {
		return res, err
	}
	name := d.Name()
	detail := "backend=" + name
	already, err := d.IsDisabled(ctx, user)
	if err != nil {
		err = fmt.Errorf("disable %s via %s: checking status: %w", user, name, err)
		if !dryRun {
			err = errors.Join(err, logAudit(audit, remediate.Entry{
				Action: "disable", User: user, Detail: detail + ": status check failed", Error: err.Error(),
			}))
		}
		return res, err
	}
	if already {
		res.Already = true
		res.Detail = "already disabled (" + name + ")"
		return res, nil
	}
	if dryRun {
		if p, ok := d.(Planner); ok {
			res.Detail = "dry run: would " + p.Plan(user)
		} else {
			res.Detail = "dry run: would disable via " + name
		}
		return res, nil
	}
	err = d.Disable(ctx, user)
	e := remediate.Entry{Action: "disable", User: user, Detail: detail}
	if err != nil {
		err = fmt.Errorf("disable %s via %s: %w", user, name, err)
		e.Error = err.Error()
	} else {
		res.Disabled = true
		res.Detail = "disabled via " + name
	}
	return res, errors.Join(err, logAudit(audit, e))
}

func logAudit(a *remediate.Audit, e remediate.Entry) error {
	if err := a.Log(e); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// MaxUserLen is the longest user name ValidUser accepts, in bytes.
const MaxUserLen = 64

// ValidUser accepts only plain account names: 1 to MaxUserLen bytes of
// ASCII, the first a letter, digit or '_', the rest letters, digits and
// "._+-", plus at most one '@' followed by a domain of letters, digits,
// '-' and '.' (SASL names are often mail addresses) that neither starts nor
// ends with '.' or '-'. ".." is refused anywhere. So no name starts with '-'
// or contains whitespace, control characters, '/', quotes or anything else a
// shell, an option parser, a path or a map file would read as syntax.
// Anything else is an error wrapping ErrInvalidUser, with the name quoted.
func ValidUser(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrInvalidUser)
	}
	if len(s) > MaxUserLen {
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalidUser, quoteUser(s), len(s), MaxUserLen)
	}
	at := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c) || c == '_':
		case i > 0 && (c == '.' || c == '-' || c == '+'):
		case i > 0 && c == '@':
			if at >= 0 {
				return fmt.Errorf("%w: %s has more than one '@'", ErrInvalidUser, quoteUser(s))
			}
			at = i
		default:
			return fmt.Errorf("%w: %s: byte %#02x at offset %d is not allowed", ErrInvalidUser, quoteUser(s), c, i)
		}
	}
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] == '.' {
			return fmt.Errorf("%w: %s contains \"..\"", ErrInvalidUser, quoteUser(s))
		}
	}
	if at < 0 {
		return nil
	}
	dom := s[at+1:]
	if dom == "" {
		return fmt.Errorf("%w: %s has an empty domain", ErrInvalidUser, quoteUser(s))
	}
	for i := 0; i < len(dom); i++ {
		if c := dom[i]; !isAlnum(c) && c != '-' && c != '.' {
			return fmt.Errorf("%w: %s: %q is not allowed in the domain", ErrInvalidUser, quoteUser(s), c)
		}
	}
	if first, last := dom[0], dom[len(dom)-1]; first == '.' || first == '-' || last == '.' || last == '-' {
		return fmt.Errorf("%w: %s: domain starts or ends with '.' or '-'", ErrInvalidUser, quoteUser(s))
	}
	return nil
}

// checkLocal is ValidUser plus: no domain part (Unix account names).
func checkLocal(user string) error {
	if err := ValidUser(user); err != nil {
		return err
	}
	for i := 0; i < len(user); i++ {
		if user[i] == '@' {
			return fmt.Errorf("%w: %s has a domain part; only local Unix accounts can be locked", ErrNotLocal, quoteUser(user))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// quoteUser quotes a possibly hostile name for an error message: ASCII
// only, escapes visible, at most about 2*MaxUserLen bytes of it.
func quoteUser(s string) string {
	if len(s) > 2*MaxUserLen {
		return strconv.QuoteToASCII(s[:2*MaxUserLen]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// asciiLower lower-cases ASCII letters only, as Postfix's lowercase() does
// for the names ValidUser lets through.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
