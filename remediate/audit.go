// Package remediate acts on what the scanners found, in trees that hostile
// users control, as root: it moves files into quarantine with a manifest and
// puts them back, replaces files with cleaned copies, and appends every
// action to an audit log. It knows nothing of matching: callers say which
// file (path plus the device and inode they judged) and why.
//
// Every operation works relative to a directory descriptor opened without
// following a symlink at any component, never overwrites (renameat2 with
// RENAME_NOREPLACE, O_EXCL), and orders its steps so that a crash or kill at
// any instant leaves the user's file in place, or in quarantine with its
// manifest record, or both; never neither.
package remediate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultAuditLog is where actions are logged unless configured otherwise.
const DefaultAuditLog = "/var/log/spamgear/actions.log"

// Entry is one line of the audit log.
type Entry struct {
	Time       time.Time `json:"time"`
	Tool       string    `json:"tool"`             // shellscan, mailscan
	Action     string    `json:"action"`           // quarantine, clean, restore, notify, disable, …
	Path       Path      `json:"path,omitempty"`   // the file acted on
	Target     Path      `json:"target,omitempty"` // where it went (quarantine path, mail address)
	User       string    `json:"user,omitempty"`
	Signatures []string  `json:"signatures,omitempty"`
	SHA256     string    `json:"sha256,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	Error      string    `json:"error,omitempty"` // set when the action failed
	PID        int       `json:"pid"`
}

// Audit appends entries to the audit log, one JSON object per line, each
// written with one write(2) to a file opened O_APPEND and synced, so lines of
// concurrent runs never interleave and a logged action survives a crash. It
// is safe for concurrent use.
type Audit struct {
	mu   sync.Mutex
	f    *os.File
	path string
	tool string
	now  func() time.Time
}

// OpenAudit opens (creating it and its directory, mode 0750/0640) the audit
// log at path for tool. The log must be a regular file, not a symlink.
func OpenAudit(path, tool string) (*Audit, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o640)
	if err != nil {
		if err == unix.ELOOP {
			return nil, fmt.Errorf("audit log %s: is a symbolic link", path)
		}
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return &Audit{f: f, path: path, tool: tool, now: time.Now}, nil
}

// Path is the log's file name.
func (a *Audit) Path() string { return a.path }

// Log appends e, filling in Time, Tool and PID. A nil *Audit logs nothing
// (dry runs).
func (a *Audit) Log(e Entry) error {
	if a == nil {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = a.now()
	}
	e.Time = e.Time.UTC()
	if e.Tool == "" {
		e.Tool = a.tool
	}
	e.PID = os.Getpid()
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", a.path, err)
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(line); err != nil {
		return fmt.Errorf("audit log %s: %w", a.path, err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("audit log %s: %w", a.path, err)
	}
	return nil
}

// Close closes the log.
func (a *Audit) Close() error {
	if a == nil {
		return nil
	}
	return a.f.Close()
}
