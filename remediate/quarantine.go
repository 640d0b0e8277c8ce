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
	Size       int64  // bytes judged; 0: not checked
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
	if err := checkOurs(fd); err != nil {
		unix.Close(fd)
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
	if s.Size != 0 && src.st.Size != s.Size {
		src.close()
		return nil, fmt.Errorf("%s: %w (%d bytes, scanned %d)", s.Path, ErrChanged, src.st.Size, s.Size)
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
// and picks a free name: name, then name.1, name.2, ... It returns the
// directory's descriptor (-1 in a dry run when it does not exist yet) and
// the quarantine path relative to the root.
func (q *Quarantine) placeIn(root int, dir, name string, create bool) (qdir int, rel, qname string, err error) {
	rel = strings.TrimPrefix(dir, "/")
	qdir, took, err := walkDirAt(root, rel, create)
	if !create && errors.Is(err, unix.ENOENT) {
		return -1, rel, name, nil // dry run, nothing there yet
	}
	if err != nil {
		return -1, "", "", fmt.Errorf("quarantine directory %s: %w", filepath.Join(q.Dir, rel), err)
	}
	qname, err = freeName(qdir, name)
	if err != nil {
		unix.Close(qdir)
		return -1, "", "", fmt.Errorf("quarantine directory %s: %w", filepath.Join(q.Dir, took), err)
	}
	return qdir, took, qname, nil
}

// freeName is name, or name.N for the first N that is not taken in dirfd
// (cut short to fit NAME_MAX).
func freeName(dirfd int, name string) (string, error) {
	for i := 0; i < 10000; i++ {
		cand := name
		if i > 0 {
			suffix := "." + strconv.Itoa(i)
			cand = shorten(name, len(suffix)) + suffix
		}
		_, err := statAt(dirfd, cand)
		if errors.Is(err, unix.ENOENT) {
			return cand, nil
		}
		if err != nil && !errors.Is(err, unix.ENAMETOOLONG) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s: no free name", name)
}

// quarantinePath is where a file goes: rel (relative to the quarantine
// directory), named qname.
func (q *Quarantine) quarantinePath(rel, qname string) string {
	return filepath.Join(filepath.Clean(q.Dir), rel, qname)
}

// Move moves the subject into quarantine: the manifest record first
// (synced), then a hard link of the very file opened (never a rename by
// name, which a swap could redirect) into quarantine and the unlink of the
// user's name if it still holds that file; across filesystems, a copy
// (synced and verified against the hash of the original) in place of the
// link. The quarantined file gets mode 000, unless other hard links share
// it: then quarantine holds a copy and the shared inode is left alone. A
// file that is not the one judged (ErrChanged), a symlink at any component
// of its path, or anything that is not a regular file is left alone.
func (q *Quarantine) Move(s Subject) (Record, error) {
	src, err := openSource(s)
	if err != nil {
		return Record{}, err
	}
	defer src.close()
	if src.sha, err = hashFD(src.fd, src.st.Size); err != nil {
		return Record{}, fmt.Errorf("%s: %w", s.Path, err)
	}
	return q.moveOpened(s, src, "")
}

// moveOpened quarantines an opened source whose hash is known; detail goes
// into the manifest record.
func (q *Quarantine) moveOpened(s Subject, src *source, detail string) (Record, error) {
	rec := q.record(ActQuarantine, s, src)
	rec.Detail = detail
	return rec, q.act(src, &rec, func(qdir int, qname string) error { return q.transfer(src, qdir, qname) })
}

// act is every action's frame: it picks rec's place in quarantine (filling
// in QuarantinePath), and unless this is a dry run appends rec to the
// manifest, synced, before do puts anything there, and a cancel record if
// do fails.
func (q *Quarantine) act(src *source, rec *Record, do func(qdir int, qname string) error) error {
	if under(src.path, filepath.Clean(q.Dir)) {
		return fmt.Errorf("%s: in the quarantine directory already", src.path)
	}
	root, err := q.openRoot(!q.DryRun)
	if q.DryRun && err != nil {
		rec.QuarantinePath = Path(q.quarantinePath(src.dir, src.name))
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(root)
	qdir, rel, qname, err := q.placeIn(root, src.dir, src.name, !q.DryRun)
	if err != nil {
		return err
	}
	rec.QuarantinePath = Path(q.quarantinePath(rel, qname))
	if q.DryRun {
		if qdir >= 0 {
			unix.Close(qdir)
		}
		return nil
	}
	defer unix.Close(qdir)
	if err := appendRecord(root, rec); err != nil {
		return err
	}
	q.at("recorded")
	if err := do(qdir, qname); err != nil {
		q.cancel(root, *rec, err)
		return err
	}
	return nil
}

// cancel appends a record saying rec did not happen.
func (q *Quarantine) cancel(root int, rec Record, why error) {
	now := q.now()
	c := Record{ID: newID(now.UnixNano()), Time: now.UTC(), Action: ActCancel, Ref: rec.ID,
		Path: rec.Path, QuarantinePath: rec.QuarantinePath, Detail: why.Error()}
	_ = appendRecord(root, &c)
}

// transfer puts the opened source into qdir as qname and takes it away
// from the user's directory.
func (q *Quarantine) transfer(src *source, qdir int, qname string) error {
	if !q.forceCopy {
		err := linkFD(src.fd, qdir, qname)
		if err == nil {
			return q.afterLink(src, qdir, qname)
		}
		if err != unix.EXDEV {
			return fmt.Errorf("%s: link into quarantine: %w", src.path, err)
		}
	}
	return q.copyAcross(src, qdir, qname)
}

// afterLink unlinks the user's name when it still holds the file that is
// now in quarantine, then makes the quarantined file mode 000, or an
// independent copy when other links share its inode.
func (q *Quarantine) afterLink(src *source, qdir int, qname string) error {
	undo := func(err error) error {
		_ = unix.Unlinkat(qdir, qname, 0)
		return err
	}
	_ = unix.Fsync(qdir)
	q.at("linked")
	if err := unlinkIfSame(src); err != nil {
		return undo(err)
	}
	_ = unix.Fsync(src.dirfd)
	q.at("moved")
	var st unix.Stat_t
	if err := unix.Fstat(src.fd, &st); err != nil {
		return fmt.Errorf("%s: in quarantine, but: %w", src.path, err)
	}
	if st.Nlink > 1 {
		// Another name shares the inode (a hard link, perhaps to a system
		// file): give quarantine its own copy and leave the inode be.
		tmp := tempName(qname)
		if _, err := writeNewFrom(qdir, tmp, src.fd, src.st.Size, 0); err != nil {
			return fmt.Errorf("%s: in quarantine as a hard link, not copied: %w", src.path, err)
		}
		if err := unix.Renameat(qdir, tmp, qdir, qname); err != nil {
			_ = unix.Unlinkat(qdir, tmp, 0)
			return fmt.Errorf("%s: in quarantine as a hard link, not copied: %w", src.path, err)
		}
		_ = unix.Fsync(qdir)
		return nil
	}
	if err := unix.Fchmod(src.fd, 0); err != nil {
		return fmt.Errorf("%s: in quarantine, but chmod 000: %w", src.path, err)
	}
	return nil
}

// unlinkIfSame removes the user's name of the source if it still names the
// opened, unchanged file.
func unlinkIfSame(src *source) error {
	st, err := statAt(src.dirfd, src.name)
	if err != nil || st.Dev != src.st.Dev || st.Ino != src.st.Ino || st.Size != src.st.Size ||
		st.Mtim != src.st.Mtim {
		return fmt.Errorf("%s: %w while it was being moved to quarantine", src.path, ErrChanged)
	}
	if err := unix.Unlinkat(src.dirfd, src.name, 0); err != nil {
		return fmt.Errorf("%s: remove from the user's directory: %w", src.path, err)
	}
	return nil
}

// copyAcross copies the source into qdir, verifies the copy, then unlinks
// the original (if it is still the same, unchanged file).
func (q *Quarantine) copyAcross(src *source, qdir int, qname string) error {
	sum, err := writeNewFrom(qdir, qname, src.fd, src.st.Size, 0)
	if err != nil {
		return fmt.Errorf("%s: copy to quarantine: %w", src.path, err)
	}
	if sum != src.sha {
		_ = unix.Unlinkat(qdir, qname, 0)
		return fmt.Errorf("%s: %w: the copy in quarantine does not match the original", src.path, ErrChanged)
	}
	_ = unix.Fsync(qdir)
	q.at("copied")
	if err := unlinkIfSame(src); err != nil {
		_ = unix.Unlinkat(qdir, qname, 0)
		return err
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
