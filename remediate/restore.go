package remediate

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/safefs"
)

// Manifest reads this quarantine's manifest (an absent one is empty).
func (q *Quarantine) Manifest() ([]Record, error) {
	recs, err := ReadManifest(filepath.Join(q.Dir, ManifestName))
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	return recs, err
}

// SelectPath picks, among pending records, the latest one whose original
// or quarantine path is path.
func SelectPath(pending []Record, path string) (Record, bool) {
	for i := len(pending) - 1; i >= 0; i-- {
		r := pending[i]
		if string(r.Path) == path || string(r.QuarantinePath) == path {
			return r, true
		}
	}
	return Record{}, false
}

// SelectSince picks the pending records made at or after t, and for each
// original path only the latest.
func SelectSince(pending []Record, t time.Time) []Record {
	seen := map[Path]bool{}
	var out []Record
	for i := len(pending) - 1; i >= 0; i-- {
		r := pending[i]
		if r.Time.Before(t) || seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		out = append(out, r)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Restore puts the file of rec back at its original path with its owner,
// mode and mtime, and appends a restore record. It refuses (ErrExists) to
// overwrite a file that reappeared there, and (ErrNotQuarantined) a
// quarantined file that is gone or whose content no longer has the recorded
// hash. The original directory must still exist and have no symlink in its
// path.
func (q *Quarantine) Restore(rec Record) error {
	qpath := string(rec.QuarantinePath)
	rel, ok := strings.CutPrefix(qpath, strings.TrimSuffix(filepath.Clean(q.Dir), "/")+"/")
	if !ok || filepath.Clean(qpath) != qpath {
		return fmt.Errorf("%s: recorded quarantine path %q is not inside %s", rec.Path, qpath, q.Dir)
	}
	root, err := q.openRoot(false)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	qdir, _, err := walkDirAt(root, filepath.Dir(rel), false)
	if err != nil {
		return fmt.Errorf("%s: %w (%s: %v)", rec.Path, ErrNotQuarantined, qpath, err)
	}
	defer unix.Close(qdir)
	qname := filepath.Base(rel)
	qfd, qst, err := openFileAt(qdir, qname)
	if err != nil {
		return fmt.Errorf("%s: %w (%s: %v)", rec.Path, ErrNotQuarantined, qpath, err)
	}
	defer unix.Close(qfd)
	sum, err := hashFD(qfd, qst.Size)
	if err != nil {
		return fmt.Errorf("%s: %w", qpath, err)
	}
	if rec.SHA256 != "" && sum != rec.SHA256 {
		return fmt.Errorf("%s: %w: %s no longer has the recorded content (sha256 %s, recorded %s)", rec.Path, ErrNotQuarantined, qpath, sum, rec.SHA256)
	}
	dir, name, err := splitAbs(string(rec.Path))
	if err != nil {
		return err
	}
	pfd, pst, err := safefs.OpenDirFD(dir)
	if err != nil {
		return fmt.Errorf("%s: cannot restore: %w", rec.Path, err)
	}
	defer unix.Close(pfd)
	if _, err := statAt(pfd, name); !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%s: %w", rec.Path, ErrExists)
	}
	if q.DryRun {
		return nil
	}
	if pst.Uid != 0 && rec.UID == 0 {
		// A root-owned file put back into a user's directory loses its
		// set-id bits: a copy would be a new root-owned set-id inode there.
		rec.Mode &^= unix.S_ISUID | unix.S_ISGID
	}
	err = unix.EXDEV
	if qst.Dev == pst.Dev && !q.forceCopy {
		err = q.restoreRename(rec, qfd, qdir, qname, pfd, name)
	}
	if err == unix.EXDEV {
		// Another filesystem, or the same one through another mount
		// (bind mounts): copy.
		err = q.restoreCopy(rec, qfd, qst.Size, qdir, qname, pfd, name)
	}
	if err != nil {
		return err
	}
	now := q.now()
	done := Record{ID: newID(now.UnixNano()), Time: now.UTC(), Action: ActRestore, Ref: rec.ID,
		Path: rec.Path, QuarantinePath: rec.QuarantinePath, SHA256: rec.SHA256}
	if err := appendRecord(root, &done); err != nil {
		return fmt.Errorf("%s: restored, but the manifest could not record it: %w", rec.Path, err)
	}
	return nil
}

// setMeta gives fd the recorded owner, mode and mtime.
func setMeta(fd int, rec Record) error {
	if err := unix.Fchown(fd, int(rec.UID), int(rec.GID)); err != nil && unix.Geteuid() == 0 {
		return fmt.Errorf("chown: %w", err)
	}
	if err := unix.Fchmod(fd, rec.Mode&0o7777); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(rec.Mtime.UnixNano())}
	// utimensat on the descriptor itself, through /proc (exact to the
	// nanosecond; futimes would round to microseconds).
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), ts, 0); err != nil {
		tv := []unix.Timeval{unix.NsecToTimeval(time.Now().UnixNano()), unix.NsecToTimeval(rec.Mtime.UnixNano())}
		if err := unix.Futimes(fd, tv); err != nil {
			return fmt.Errorf("set mtime: %w", err)
		}
	}
	return nil
}

func (q *Quarantine) restoreRename(rec Record, qfd, qdir int, qname string, pfd int, name string) error {
	if err := setMeta(qfd, rec); err != nil {
		return fmt.Errorf("%s: %w", rec.Path, err)
	}
	if err := renameNoReplace(qdir, qname, pfd, name); err != nil {
		_ = unix.Fchmod(qfd, 0)
		switch err {
		case unix.EEXIST:
			return fmt.Errorf("%s: %w", rec.Path, ErrExists)
		case unix.EXDEV:
			return err // the caller copies
		}
		return fmt.Errorf("%s: restore: %w", rec.Path, err)
	}
	_ = unix.Fsync(pfd)
	_ = unix.Fsync(qdir)
	return nil
}

func (q *Quarantine) restoreCopy(rec Record, qfd int, size int64, qdir int, qname string, pfd int, name string) error {
	tmp := tempName(name)
	fd, err := unix.Openat(pfd, tmp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("%s: restore: %w", rec.Path, err)
	}
	defer unix.Close(fd)
	fail := func(err error) error {
		_ = unix.Unlinkat(pfd, tmp, 0)
		return fmt.Errorf("%s: restore: %w", rec.Path, err)
	}
	sum, err := copyFD(fd, qfd, size)
	if err != nil {
		return fail(err)
	}
	if rec.SHA256 != "" && sum != rec.SHA256 {
		return fail(ErrChanged)
	}
	if err := unix.Fsync(fd); err != nil {
		return fail(err)
	}
	if err := setMeta(fd, rec); err != nil {
		return fail(err)
	}
	if err := renameNoReplace(pfd, tmp, pfd, name); err != nil {
		if err == unix.EEXIST {
			_ = unix.Unlinkat(pfd, tmp, 0)
			return fmt.Errorf("%s: %w", rec.Path, ErrExists)
		}
		return fail(err)
	}
	_ = unix.Fsync(pfd)
	q.at("restored")
	if err := unix.Unlinkat(qdir, qname, 0); err != nil {
		return fmt.Errorf("%s: restored, but the quarantined copy could not be removed: %w", rec.Path, err)
	}
	return nil
}
