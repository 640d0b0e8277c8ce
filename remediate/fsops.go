package remediate

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/safefs"
)

// Errors callers may test for with errors.Is.
var (
	// ErrChanged: the file at the path is not the one that was judged, or
	// it changed while being acted on. Nothing was done.
	ErrChanged = safefs.ErrChanged
	// ErrExists: restoring would overwrite a file that reappeared.
	ErrExists = errors.New("a file exists there again; not overwritten")
	// ErrNotQuarantined: the manifest names a file that is not (or no
	// longer) in quarantine, or whose content changed there.
	ErrNotQuarantined = errors.New("not in quarantine")
)

// splitAbs cuts an absolute, clean path into its directory and a final
// name that is a real entry name.
func splitAbs(path string) (dir, name string, err error) {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path || strings.IndexByte(path, 0) >= 0 {
		return "", "", fmt.Errorf("%q: not an absolute, clean path", path)
	}
	dir, name = filepath.Split(path)
	if name == "" || name == "." || name == ".." {
		return "", "", fmt.Errorf("%q: no file name", path)
	}
	return filepath.Clean(dir), name, nil
}

// statAt lstat's name in dirfd.
func statAt(dirfd int, name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	return st, err
}

func checkRegular(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return safefs.ErrNotRegular
	}
	return nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// openFileAt opens the regular file name in dirfd for reading without
// following a symlink or blocking on a FIFO.
func openFileAt(dirfd int, name string) (int, unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP {
			err = safefs.ErrSymlink
		}
		return -1, st, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, st, safefs.ErrNotRegular
	}
	return fd, st, nil
}

// errGrew: the file holds more than the size it had when opened (a sparse
// file can grow to terabytes in an instant): nothing past that size is
// ever read, copied or hashed.
var errGrew = fmt.Errorf("%w: it grew while being acted on", ErrChanged)

// readLimited calls fn with successive chunks of fd's content from offset
// 0, at most limit bytes, and fails with errGrew if there is more.
func readLimited(fd int, limit int64, fn func([]byte) error) error {
	buf := make([]byte, min(max(limit+1, 1), 256<<10))
	var off int64
	for {
		n, err := unix.Pread(fd, buf, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if off+int64(n) > limit {
			return errGrew
		}
		if err := fn(buf[:n]); err != nil {
			return err
		}
		off += int64(n)
	}
}

// readAllFD reads fd's content, at most limit bytes.
func readAllFD(fd int, limit int64) ([]byte, error) {
	out := make([]byte, 0, limit)
	err := readLimited(fd, limit, func(b []byte) error { out = append(out, b...); return nil })
	return out, err
}

// hashFD is the hex SHA-256 of fd's content, at most limit bytes.
func hashFD(fd int, limit int64) (string, error) {
	h := sha256.New()
	err := readLimited(fd, limit, func(b []byte) error { h.Write(b); return nil })
	return hex.EncodeToString(h.Sum(nil)), err
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// copyFD copies src's content (at most limit bytes) to dst and returns the
// SHA-256 of what it copied.
func copyFD(dst, src int, limit int64) (string, error) {
	h := sha256.New()
	err := readLimited(src, limit, func(b []byte) error {
		h.Write(b)
		return writeAll(dst, b)
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// renameNoReplace renames a file without ever replacing an existing entry:
// renameat2 with RENAME_NOREPLACE or, on filesystems without it, a hard
// link and an unlink (a crash in between leaves both names).
func renameNoReplace(olddir int, oldname string, newdir int, newname string) error {
	for {
		err := unix.Renameat2(olddir, oldname, newdir, newname, unix.RENAME_NOREPLACE)
		switch err {
		case unix.EINTR:
			continue
		case unix.EINVAL, unix.ENOSYS:
			if err := unix.Linkat(olddir, oldname, newdir, newname, 0); err != nil {
				return err
			}
			return unix.Unlinkat(olddir, oldname, 0)
		}
		return err
	}
}

// walkDirAt opens rel (slash-separated, relative) under rootfd, making the
// missing directories (mode 0700) when create is set, never following a
// symlink, and returns the last directory's descriptor and the path it
// really took. Every directory must belong to us and be writable by no one
// else (a user-owned directory inside the quarantine would let its owner
// reach what is put there). When create is set and a component exists but
// is not a directory (a quarantined file of that name), a suffixed
// directory is used instead: x.d, x.d1, ...
func walkDirAt(rootfd int, rel string, create bool) (int, string, error) {
	fd, err := unix.Dup(rootfd)
	if err != nil {
		return -1, "", err
	}
	var took []string
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			unix.Close(fd)
			return -1, "", fmt.Errorf("%q: '..' in path", rel)
		}
		next, name, err := openSubdir(fd, c, create)
		unix.Close(fd)
		if err != nil {
			return -1, "", err
		}
		fd = next
		took = append(took, name)
	}
	return fd, strings.Join(took, "/"), nil
}

// openSubdir opens (making it, when create is set) the directory name in
// dirfd, or a suffixed one when name is taken by something else.
func openSubdir(dirfd int, name string, create bool) (int, string, error) {
	for i := 0; i < 100; i++ {
		cand := name
		if i > 0 {
			cand = shorten(name, 5) + ".d" + strconv.Itoa(i)
			if i == 1 {
				cand = shorten(name, 5) + ".d"
			}
		}
		if create {
			if err := unix.Mkdirat(dirfd, cand, 0o700); err == nil {
				_ = unix.Fsync(dirfd)
			} else if err != unix.EEXIST {
				return -1, "", fmt.Errorf("mkdir %s: %w", cand, err)
			}
		}
		fd, err := unix.Openat(dirfd, cand, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if (err == unix.ENOTDIR || err == unix.ELOOP) && create {
			continue // a file (or link) of that name: try a suffixed directory
		}
		if err == unix.ELOOP {
			return -1, "", fmt.Errorf("%s: %w", cand, safefs.ErrSymlink)
		}
		if err != nil {
			return -1, "", fmt.Errorf("open %s: %w", cand, err)
		}
		if err := checkOurs(fd); err != nil {
			unix.Close(fd)
			return -1, "", fmt.Errorf("%s: %w", cand, err)
		}
		return fd, cand, nil
	}
	return -1, "", fmt.Errorf("%s: no usable directory name", name)
}

// checkOurs fails unless the directory fd belongs to this process's user
// and no one else may write to it.
func checkOurs(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if int(st.Uid) != unix.Geteuid() || st.Mode&0o022 != 0 {
		return fmt.Errorf("quarantine directory owned by uid %d, mode %o: must be ours and writable by no one else", st.Uid, st.Mode&0o7777)
	}
	return nil
}

// shorten cuts name (at a UTF-8 boundary when it can) so that reserve more
// bytes fit within NAME_MAX.
func shorten(name string, reserve int) string {
	const nameMax = 255
	if len(name)+reserve <= nameMax {
		return name
	}
	n := nameMax - reserve
	for n > 0 && n < len(name) && name[n]&0xc0 == 0x80 {
		n--
	}
	return name[:n]
}

// newID is a record id: time-ordered and unique.
func newID(nowNano int64) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatInt(nowNano, 36) + "-" + hex.EncodeToString(b[:])
}

// tempName is a hidden, unguessable name for a file being written next to
// name.
func tempName(name string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	if len(name) > 100 {
		name = name[:100]
	}
	return "." + name + ".shellscan-" + hex.EncodeToString(b[:])
}

// ownerNames looks up the names of uid and gid (empty when unknown).
func ownerNames(uid, gid uint32) (owner, group string) {
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		owner = u.Username
	}
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
		group = g.Name
	}
	return owner, group
}

// linkFD gives the open file fd the name newname in newdir (linkat with
// AT_EMPTY_PATH, or through /proc/self/fd without CAP_DAC_READ_SEARCH).
// It never replaces an existing entry (EEXIST).
func linkFD(fd, newdir int, newname string) error {
	err := unix.Linkat(fd, "", newdir, newname, unix.AT_EMPTY_PATH)
	if err == unix.ENOENT || err == unix.EPERM {
		err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), newdir, newname, unix.AT_SYMLINK_FOLLOW)
	}
	return err
}

// writeNewFrom creates name in dirfd (never replacing anything), copies
// src's content into it (at most limit bytes), syncs, sets mode, and
// returns the SHA-256 of what reads back. On failure nothing is left.
func writeNewFrom(dirfd int, name string, src int, limit int64, mode uint32) (string, error) {
	return writeNewWith(dirfd, name, mode, limit, func(fd int) error {
		_, err := copyFD(fd, src, limit)
		return err
	})
}

// writeNew is writeNewFrom for bytes in memory.
func writeNew(dirfd int, name string, b []byte, mode uint32) (string, error) {
	return writeNewWith(dirfd, name, mode, int64(len(b)), func(fd int) error { return writeAll(fd, b) })
}

func writeNewWith(dirfd int, name string, mode uint32, limit int64, fill func(fd int) error) (string, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	fail := func(err error) (string, error) {
		_ = unix.Unlinkat(dirfd, name, 0)
		return "", err
	}
	if err := fill(fd); err != nil {
		return fail(err)
	}
	if err := unix.Fsync(fd); err != nil {
		return fail(err)
	}
	sum, err := hashFD(fd, limit)
	if err != nil {
		return fail(err)
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		return fail(err)
	}
	return sum, nil
}
