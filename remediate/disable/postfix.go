package disable

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
)

// Defaults of the postfix-sasl-access backend.
const (
	DefaultSASLAccessMap = "/etc/postfix/sasl_access"
	DefaultPostmap       = "/usr/sbin/postmap"
	DefaultRejectAction  = "REJECT spam sent from this account; contact support"
)

// PostfixOptions configure the postfix-sasl-access backend.
type PostfixOptions struct {
	// MapFile is the source file of the check_sasl_access table;
	// DefaultSASLAccessMap if empty.
	MapFile string
	// MapType, e.g. "hash" or "lmdb", is passed to postmap as
	// "TYPE:FILE"; empty runs "postmap FILE" (Postfix's
	// default_database_type). Use the type main.cf names.
	MapType string
	// Action is the access(5) action written for a user; it must block
	// (REJECT, DEFER, DEFER_IF_PERMIT, DISCARD, HOLD or a 4xx/5xx code)
	// and be printable ASCII on one line. DefaultRejectAction if empty.
	Action string
	// PostmapPath is the postmap program; DefaultPostmap if empty.
	PostmapPath string
	// Timeout bounds the postmap run; DefaultTimeout if zero.
	Timeout time.Duration
	// LockWait bounds the wait for another run's lock; DefaultLockWait
	// if zero.
	LockWait time.Duration
}

// Postfix rejects users in a Postfix check_sasl_access table
// (smtpd_sender_restrictions = check_sasl_access hash:/etc/postfix/sasl_access, …):
// it appends "USER ACTION" to the map's source file and runs postmap.
//
// Key case: the key is written lower-cased, and postmap is run without -f.
// postmap(1) folds keys to lower case when it builds hash:, btree:, lmdb:
// and other fixed-case tables ("By default the lookup key is mapped to
// lowercase to make the lookups case insensitive"; -f turns that off), and
// the Postfix dict lookup folds the query the same way (DICT_FLAG_FOLD_FIX
// in dict_db.c and friends). smtpd's check_sasl_access looks up the SASL
// login name as one exact key (smtpd_check.c: check_access on
// state->sasl_username; no user@domain / domain / user@ splitting as for
// addresses). So "Bob@Example.COM" in the log and "bob@example.com" in the
// file are the same entry; writing the folded form makes the source show
// what the table holds and makes the duplicate check case-insensitive. With
// -f the stored key would keep its case while lookups are still folded, and
// a mixed-case key would never match.
//
// The edit is atomic and locked (see the package comment); the file keeps
// its mode, owner and group (a missing file is created 0644). If postmap
// fails, the file is put back as it was, so IsDisabled stays false and the
// next run tries again; the table itself may then need a manual postmap.
//
// IsDisabled is true when the file has an entry for the user whose action
// blocks (as Action must); an entry with another action (OK, DUNNO, a
// restriction class …) makes IsDisabled false and Disable fail with
// ErrConflict, since postmap keeps the first of duplicate keys and the
// admin's entry is not ours to override.
type Postfix struct {
	file, mapType, action, postmap string
	timeout, lockWait              time.Duration
}

var (
	_ Disabler = (*Postfix)(nil)
	_ Planner  = (*Postfix)(nil)
)

// NewPostfix checks o and returns the backend.
func NewPostfix(o PostfixOptions) (*Postfix, error) {
	p := &Postfix{
		file:     orDefault(o.MapFile, DefaultSASLAccessMap),
		mapType:  o.MapType,
		action:   orDefault(o.Action, DefaultRejectAction),
		postmap:  orDefault(o.PostmapPath, DefaultPostmap),
		timeout:  orDefault(o.Timeout, DefaultTimeout),
		lockWait: orDefault(o.LockWait, DefaultLockWait),
	}
	if err := checkFilePath("postfix-sasl-access: map", p.file); err != nil {
		return nil, err
	}
	if err := checkProgram("postfix-sasl-access: postmap", p.postmap); err != nil {
		return nil, err
	}
	for i := 0; i < len(p.mapType); i++ {
		if c := p.mapType[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return nil, fmt.Errorf("postfix-sasl-access: map type %q is not a Postfix table type", p.mapType)
		}
	}
	for i := 0; i < len(p.action); i++ {
		if c := p.action[i]; c < 0x20 || c > 0x7e {
			return nil, fmt.Errorf("postfix-sasl-access: action %q: not printable ASCII on one line", p.action)
		}
	}
	if strings.TrimSpace(p.action) != p.action || !blockingAction(p.action) {
		return nil, fmt.Errorf("postfix-sasl-access: action %q does not block (want REJECT, DEFER, DEFER_IF_PERMIT, DISCARD, HOLD or a 4xx/5xx code)", p.action)
	}
	if err := checkTimeout("postfix-sasl-access", o.Timeout); err != nil {
		return nil, err
	}
	if err := checkTimeout("postfix-sasl-access: lock wait", o.LockWait); err != nil {
		return nil, err
	}
	return p, nil
}

// Name returns "postfix-sasl-access".
func (p *Postfix) Name() string { return "postfix-sasl-access" }

// IsDisabled reads the map file (without the lock: the file is only ever
// replaced whole, by rename).
func (p *Postfix) IsDisabled(ctx context.Context, user string) (bool, error) {
	if err := ValidUser(user); err != nil {
		return false, err
	}
	st, err := readState(p.file)
	if err != nil {
		return false, err
	}
	action, found := lookupAccess(st.data, asciiLower(user))
	return found && blockingAction(action), nil
}

// Disable appends the user's entry and runs postmap, unless the user has a
// blocking entry already.
func (p *Postfix) Disable(ctx context.Context, user string) error {
	if err := ValidUser(user); err != nil {
		return err
	}
	key := asciiLower(user)
	lock, err := lockFile(ctx, p.file, p.lockWait)
	if err != nil {
		return err
	}
	defer lock.Close()
	st, err := readState(p.file)
	if err != nil {
		return err
	}
	if action, found := lookupAccess(st.data, key); found {
		if blockingAction(action) {
			return nil
		}
		return fmt.Errorf("%w: %s already has an entry for %s with action %q; not adding a second", ErrConflict, p.file, key, action)
	}
	if err := writeAtomic(p.file, appendLine(st.data, key+" "+p.action+"\n"), st); err != nil {
		return err
	}
	argv := p.postmapArgv()
	out, err := run(ctx, p.timeout, argv)
	if err == nil && out.code != 0 {
		err = out.exitError(argv)
	}
	if err != nil {
		if rerr := restoreState(p.file, st); rerr != nil {
			return fmt.Errorf("%w; and restoring %s failed: %v (it has the new entry; run postmap by hand)", err, p.file, rerr)
		}
		return fmt.Errorf("%w (%s restored)", err, p.file)
	}
	return nil
}

// Plan describes Disable.
func (p *Postfix) Plan(user string) string {
	return fmt.Sprintf("append %q to %s and run %s", asciiLower(user)+" "+p.action, p.file, showArgv(p.postmapArgv()))
}

func (p *Postfix) postmapArgv() []string {
	// The file is an absolute path, so postmap cannot take it for an option.
	arg := p.file
	if p.mapType != "" {
		arg = p.mapType + ":" + p.file
	}
	return []string{p.postmap, arg}
}

// lookupAccess finds key in a Postfix table source (postmap(1) INPUT FILE
// FORMAT): blank lines and lines whose first non-blank is '#' are ignored;
// a line starting with whitespace continues the previous entry; otherwise
// the key runs to the first whitespace (or is "double quoted", Postfix 3.2+)
// and the rest is the value. Keys compare case-insensitively (ASCII), as
// postmap folds them. The first entry wins, as in postmap.
func lookupAccess(data []byte, key string) (value string, found bool) {
	var cur *strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxFileSize)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil {
				cur.WriteByte(' ')
				cur.WriteString(trimmed)
			}
			continue
		}
		if cur != nil {
			return strings.TrimSpace(cur.String()), true
		}
		k, v := splitKey(line)
		if asciiLower(k) == key {
			cur = &strings.Builder{}
			cur.WriteString(v)
		}
	}
	if cur != nil {
		return strings.TrimSpace(cur.String()), true
	}
	return "", false
}

// splitKey cuts a table line into key and value.
func splitKey(line string) (key, value string) {
	if line[0] == '"' {
		var b strings.Builder
		for i := 1; i < len(line); i++ {
			switch c := line[i]; c {
			case '\\':
				if i+1 < len(line) {
					i++
					b.WriteByte(line[i])
				}
			case '"':
				return b.String(), strings.TrimSpace(line[i+1:])
			default:
				b.WriteByte(c)
			}
		}
		return b.String(), ""
	}
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		return line[:i], strings.TrimSpace(line[i:])
	}
	return line, ""
}

// blockingAction reports whether an access(5) action stops the sender:
// REJECT, DEFER, DEFER_IF_PERMIT, DISCARD, HOLD (any case, optional text)
// or a 4xx/5xx code.
func blockingAction(action string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(action), " ")
	word, _, _ = strings.Cut(word, "\t")
	switch strings.ToUpper(word) {
	case "REJECT", "DEFER", "DEFER_IF_PERMIT", "DISCARD", "HOLD":
		return true
	}
	return len(word) == 3 && (word[0] == '4' || word[0] == '5') &&
		'0' <= word[1] && word[1] <= '9' && '0' <= word[2] && word[2] <= '9'
}
