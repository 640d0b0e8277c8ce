package remediate

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Path is a file name as the kernel has it: any bytes but NUL. It is
// written to JSON as a string when it is valid UTF-8, and otherwise as
// {"base64": "..."}, so that a manifest gives back the exact name (JSON
// strings cannot hold invalid UTF-8; encoding/json would replace it).
type Path string

// MarshalJSON implements json.Marshaler.
func (p Path) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(p)) {
		return json.Marshal(string(p))
	}
	return json.Marshal(struct {
		Base64 string `json:"base64"`
	}{base64.StdEncoding.EncodeToString([]byte(p))})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Path) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var v struct {
			Base64 string `json:"base64"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(v.Base64)
		if err != nil {
			return err
		}
		*p = Path(raw)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*p = Path(s)
	return nil
}

// Manifest record actions.
const (
	ActQuarantine = "quarantine" // the file was moved into quarantine
	ActClean      = "clean"      // a copy of the original went to quarantine; the file was replaced by a cleaned one
	ActCancel     = "cancel"     // the record Ref did not happen (the move failed or was undone)
	ActRestore    = "restore"    // the record Ref's file was put back
)

// Record is one line of a quarantine manifest (DIR/manifest.jsonl). A
// quarantine or clean record is written and synced before the file moves:
// a record whose file is not in quarantine is a move that never happened
// (a crash, or a failure followed by a cancel record).
type Record struct {
	ID             string    `json:"id"`
	Time           time.Time `json:"time"`
	Action         string    `json:"action"`
	Ref            string    `json:"ref,omitempty"` // cancel, restore: the record acted on
	Path           Path      `json:"path"`
	QuarantinePath Path      `json:"quarantine_path"`
	UID            uint32    `json:"uid"`
	GID            uint32    `json:"gid"`
	Owner          string    `json:"owner,omitempty"`
	Group          string    `json:"group,omitempty"`
	Mode           uint32    `json:"mode"` // permission bits with setuid/setgid/sticky, as stat gives them
	Mtime          time.Time `json:"mtime"`
	Size           int64     `json:"size"`
	SHA256         string    `json:"sha256,omitempty"`
	Signatures     []string  `json:"signatures,omitempty"`
	Detail         string    `json:"detail,omitempty"`
}

// ManifestName is the manifest's file name inside the quarantine directory.
const ManifestName = "manifest.jsonl"

// appendRecord appends r to the manifest in dirfd (the quarantine
// directory) under an exclusive lock, and syncs it.
func appendRecord(dirfd int, r *Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	fd, err := unix.Openat(dirfd, ManifestName, unix.O_RDWR|unix.O_APPEND|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", ManifestName, err)
	}
	defer unix.Close(fd)
	if err := checkRegular(fd); err != nil {
		return fmt.Errorf("manifest %s: %w", ManifestName, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		return fmt.Errorf("manifest %s: lock: %w", ManifestName, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("manifest %s: %w", ManifestName, err)
	}
	if st.Size > 0 {
		// A line torn by a crash or a full disk must not swallow this
		// record: start on a line of its own.
		last := make([]byte, 1)
		if n, err := unix.Pread(fd, last, st.Size-1); err == nil && n == 1 && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	if err := writeAll(fd, line); err != nil {
		_ = unix.Ftruncate(fd, st.Size)
		return fmt.Errorf("manifest %s: %w", ManifestName, err)
	}
	return unix.Fsync(fd)
}

// ReadManifest reads a manifest file. A line that does not parse (a torn
// last line after a crash) is skipped and reported in the error returned
// along with the records that did parse.
func ReadManifest(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		recs []Record
		errs []error
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil || r.ID == "" {
			errs = append(errs, fmt.Errorf("%s:%d: not a manifest record", path, n))
			continue
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", path, err))
	}
	return recs, errors.Join(errs...)
}

// Pending replays records: the quarantine and clean records that were
// neither cancelled nor restored, oldest first.
func Pending(recs []Record) []Record {
	done := map[string]bool{}
	for _, r := range recs {
		if (r.Action == ActCancel || r.Action == ActRestore) && r.Ref != "" {
			done[r.Ref] = true
		}
	}
	var out []Record
	for _, r := range recs {
		if (r.Action == ActQuarantine || r.Action == ActClean) && !done[r.ID] {
			out = append(out, r)
		}
	}
	return out
}
