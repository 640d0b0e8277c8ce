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

// DefaultQuarantineDir is spam-gear's quarantine directory.
const DefaultQuarantineDir = "/root/shells"

// Subject is a file to act on, as the scanner listed and judged it.
type Subject struct {
	Path       string // absolute and clean
	Dev, Ino   uint64 // as listed; both 0: not checked
	Signatures []string
}

// Quarantine moves files into Dir (as Dir/<original path>, mode 000) and
// back, keeping a manifest (Dir/manifest.jsonl). Its methods are not safe
// for concurrent use; separate processes are (the manifest is locked, and
// no move ever replaces an existing file).
type Quarantine struct {
	Dir    string
	DryRun bool             // say what would be done, touch nothing
	Now    func() time.Time // nil: time.Now

	forceCopy bool               // test seam: move as if across filesystems
	hook      func(stage string) // test seam: called at crash points
}

func (q *Quarantine) now() time.Time {
	if q.Now != nil {
		return q.Now()
	}
	return time.Now()
}

func (q *Quarantine) at(stage string) {
	if q.hook != nil {
		q.hook(stage)
	}
}

// openRoot opens (making it, mode 0700, unless dry) the quarantine
// directory. It may be reached through symlinks (the admin chose it); it
// may not be one.
func (q *Quarantine) openRoot(create bool) (int, error) {
	dir := filepath.Clean(q.Dir)
	if !filepath.IsAbs(dir) {
		return -1, fmt.Errorf("quarantine directory %q: not an absolute path", q.Dir)
	}
	if create {
		if err := mkdirAll(dir); err != nil {
			return -1, fmt.Errorf("quarantine directory %s: %w", dir, err)
		}
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("quarantine directory %s: %w", dir, err)
	}
	return fd, nil
}

// source is an opened file to act on: its directory, name and stat.
type source struct {
	path  string
	dirfd int
	name  string
	fd    int
	st    unix.Stat_t
	sha   string
	dir   string
}

func (s *source) close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
	}
	if s.dirfd >= 0 {
		unix.Close(s.dirfd)
	}
}

// openSource opens the subject's directory without following symlinks and
// the file relative to it, and checks it is the file that was judged.
func openSource(s Subject) (*source, error) {
	dir, name, err := splitAbs(s.Path)
	if err != nil {
		return nil, err
	}
	dirfd, _, err := safefs.OpenDirFD(dir)
	if err != nil {
		return nil, err
	}
	src := &source{path: s.Path, dirfd: dirfd, name: name, fd: -1, dir: dir}
	src.fd, src.st, err = openFileAt(dirfd, name)
	if err != nil {
		src.close()
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	if (s.Dev != 0 || s.Ino != 0) && (uint64(src.st.Dev) != s.Dev || uint64(src.st.Ino) != s.Ino) {
		src.close()
		return nil, fmt.Errorf("%s: %w (device/inode %d/%d, scanned %d/%d)", s.Path, ErrChanged,
			uint64(src.st.Dev), uint64(src.st.Ino), s.Dev, s.Ino)
	}
	return src, nil
}

// record is a manifest record describing src.
func (q *Quarantine) record(action string, s Subject, src *source) Record {
	now := q.now()
	owner, group := ownerNames(src.st.Uid, src.st.Gid)
	return Record{
		ID: newID(now.UnixNano()), Time: now.UTC(), Action: action,
		Path: Path(s.Path), UID: src.st.Uid, GID: src.st.Gid, Owner: owner, Group: group,
		Mode:  src.st.Mode &^ unix.S_IFMT,
		Mtime: time.Unix(src.st.Mtim.Unix()).UTC(), Size: src.st.Size,
		SHA256: src.sha, Signatures: s.Signatures,
	}
}

// placeIn opens (making it) the quarantine directory for a file from dir
// and picks a free name: name, then name.1, name.2, ...
func (q *Quarantine) placeIn(root int, dir, name string, create bool) (qdir int, qname string, err error) {
	rel := strings.TrimPrefix(dir, "/")
	if create {
		qdir, err = walkDirAt(root, rel, true)
	} else {
		qdir, err = walkDirAt(root, rel, false)
		if errors.Is(err, unix.ENOENT) {
			return -1, name, nil // dry run, nothing there yet
		}
	}
	if err != nil {
		return -1, "", fmt.Errorf("quarantine directory %s: %w", filepath.Join(q.Dir, rel), err)
	}
	return qdir, freeName(qdir, name), nil
}

// freeName is name, or name.N for the first N that is not taken in dirfd.
func freeName(dirfd int, name string) string {
	cand := name
	for i := 1; ; i++ {
		if _, err := statAt(dirfd, cand); errors.Is(err, unix.ENOENT) {
			return cand
		}
		cand = name + "." + strconv.Itoa(i)
	}
}

// quarantinePath is where a file of dir goes, named qname.
func (q *Quarantine) quarantinePath(dir, qname string) string {
	return filepath.Join(filepath.Clean(q.Dir), dir, qname)
}

// Move moves the subject into quarantine: the manifest record first
// (synced), then a rename (RENAME_NOREPLACE) or, across filesystems, a copy
// (synced and verified against the hash of the original) followed by the
// unlink of the original. The quarantined file gets mode 000. A file that is
// not the one judged (ErrChanged), a symlink at any component of its path,
// or anything that is not a regular file is left alone.
func (q *Quarantine) Move(s Subject) (Record, error) {
	src, err := openSource(s)
	if err != nil {
		return Record{}, err
	}
	defer src.close()
	if src.sha, _, err = hashFD(src.fd); err != nil {
		return Record{}, fmt.Errorf("%s: %w", s.Path, err)
	}
	return q.moveOpened(s, src, ActQuarantine)
}

func (q *Quarantine) moveOpened(s Subject, src *source, action string) (Record, error) {
	if under(src.path, filepath.Clean(q.Dir)) {
		return Record{}, fmt.Errorf("%s: already in the quarantine directory", src.path)
	}
	rec := q.record(action, s, src)
	root, err := q.openRoot(!q.DryRun)
	if q.DryRun && err != nil {
		rec.QuarantinePath = Path(q.quarantinePath(src.dir, src.name))
		return rec, nil
	}
	if err != nil {
		return rec, err
	}
	defer unix.Close(root)
	qdir, qname, err := q.placeIn(root, src.dir, src.name, !q.DryRun)
	if err != nil {
		return rec, err
	}
	rec.QuarantinePath = Path(q.quarantinePath(src.dir, qname))
	if q.DryRun {
		if qdir >= 0 {
			unix.Close(qdir)
		}
		return rec, nil
	}
	defer unix.Close(qdir)
	if err := appendRecord(root, &rec); err != nil {
		return rec, err
	}
	q.at("recorded")
	if err := q.transfer(src, qdir, &qname); err != nil {
		q.cancel(root, rec, err)
		return rec, err
	}
	rec.QuarantinePath = Path(q.quarantinePath(src.dir, qname))
	return rec, nil
}

// cancel appends a record saying rec did not happen.
func (q *Quarantine) cancel(root int, rec Record, why error) {
	now := q.now()
	c := Record{ID: newID(now.UnixNano()), Time: now.UTC(), Action: ActCancel, Ref: rec.ID,
		Path: rec.Path, QuarantinePath: rec.QuarantinePath, Detail: why.Error()}
	_ = appendRecord(root, &c)
}

// transfer moves the opened source into qdir as *qname.
//
// A file with other hard links is copied and only this name unlinked: a
// rename and chmod 000 would change the inode that the other names share
// (a hard link to a system file, planted in a user's tree).
func (q *Quarantine) transfer(src *source, qdir int, qname *string) error {
	if !q.forceCopy && src.st.Nlink <= 1 {
		err := renameNoReplace(src.dirfd, src.name, qdir, *qname)
		if err == nil {
			return q.afterRename(src, qdir, *qname)
		}
		if err != unix.EXDEV {
			return fmt.Errorf("%s: move to quarantine: %w", src.path, err)
		}
	}
	return q.copyAcross(src, qdir, *qname)
}

// afterRename checks that what was renamed is the file that was opened (a
// hostile user may swap the name in between) and makes it mode 000. A
// stranger is put back.
func (q *Quarantine) afterRename(src *source, qdir int, qname string) error {
	st, err := statAt(qdir, qname)
	if err == nil && (st.Dev != src.st.Dev || st.Ino != src.st.Ino) {
		if rerr := renameNoReplace(qdir, qname, src.dirfd, src.name); rerr != nil {
			return fmt.Errorf("%s: %w: another file was swapped in and is now in quarantine as %s (could not put it back: %v)",
				src.path, ErrChanged, qname, rerr)
		}
		return fmt.Errorf("%s: %w: another file was swapped in during the move; it was put back", src.path, ErrChanged)
	}
	q.at("moved")
	if err := unix.Fchmod(src.fd, 0); err != nil {
		return fmt.Errorf("%s: chmod 000 in quarantine: %w", src.path, err)
	}
	_ = unix.Fsync(qdir)
	_ = unix.Fsync(src.dirfd)
	return nil
}

// copyAcross copies the source into qdir, verifies the copy, then unlinks
// the original (if it is still the same, unchanged file).
func (q *Quarantine) copyAcross(src *source, qdir int, qname string) error {
	dst, err := unix.Openat(qdir, qname, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("%s: copy to quarantine: %w", src.path, err)
	}
	defer unix.Close(dst)
	undo := func(err error) error {
		_ = unix.Unlinkat(qdir, qname, 0)
		return err
	}
	sum, err := copyFD(dst, src.fd)
	if err == nil {
		err = unix.Fsync(dst)
	}
	if err != nil {
		return undo(fmt.Errorf("%s: copy to quarantine: %w", src.path, err))
	}
	check, _, err := hashFD(dst)
	if err != nil || check != sum || sum != src.sha {
		return undo(fmt.Errorf("%s: %w: the copy in quarantine does not match the original", src.path, ErrChanged))
	}
	if err := unix.Fchmod(dst, 0); err != nil {
		return undo(fmt.Errorf("%s: chmod 000 in quarantine: %w", src.path, err))
	}
	_ = unix.Fsync(dst)
	_ = unix.Fsync(qdir)
	q.at("copied")
	// The original goes only if its name still holds the same, unchanged
	// file: otherwise the copy is discarded and nothing happened.
	st, err := statAt(src.dirfd, src.name)
	if err != nil || st.Dev != src.st.Dev || st.Ino != src.st.Ino || st.Size != src.st.Size ||
		st.Mtim != src.st.Mtim || st.Ctim != src.st.Ctim {
		return undo(fmt.Errorf("%s: %w while it was copied to quarantine", src.path, ErrChanged))
	}
	if err := unix.Unlinkat(src.dirfd, src.name, 0); err != nil {
		return undo(fmt.Errorf("%s: remove after copying to quarantine: %w", src.path, err))
	}
	_ = unix.Fsync(src.dirfd)
	return nil
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// mkdirAll makes the quarantine directory itself, mode 0700.
func mkdirAll(dir string) error {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err == nil {
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return safefs.ErrNotDir
		}
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := unix.Mkdir(dir, 0o700); err != nil && err != unix.EEXIST {
		return err
	}
	return nil
}
