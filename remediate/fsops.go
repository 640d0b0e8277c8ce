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

// readAllFD reads fd from offset 0 to EOF.
func readAllFD(fd int, sizeHint int64) ([]byte, error) {
	buf := make([]byte, 0, max(sizeHint, 512)+1)
	var off int64
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Pread(fd, buf[len(buf):cap(buf)], off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		off += int64(n)
	}
}

// hashFD is the hex SHA-256 of fd's content from offset 0.
func hashFD(fd int) (string, int64, error) {
	h := sha256.New()
	buf := make([]byte, 256<<10)
	var off int64
	for {
		n, err := unix.Pread(fd, buf, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", off, err
		}
		if n == 0 {
			return hex.EncodeToString(h.Sum(nil)), off, nil
		}
		h.Write(buf[:n])
		off += int64(n)
	}
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// copyFD copies src (from offset 0) to dst and returns the SHA-256 of what
// it copied.
func copyFD(dst, src int) (string, error) {
	h := sha256.New()
	buf := make([]byte, 256<<10)
	var off int64
	for {
		n, err := unix.Pread(src, buf, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", err
		}
		if n == 0 {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err := writeAll(dst, buf[:n]); err != nil {
			return "", err
		}
		h.Write(buf[:n])
		off += int64(n)
	}
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
// symlink, and returns the last directory's descriptor.
func walkDirAt(rootfd int, rel string, create bool) (int, error) {
	fd, err := unix.Dup(rootfd)
	if err != nil {
		return -1, err
	}
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			unix.Close(fd)
			return -1, fmt.Errorf("%q: '..' in path", rel)
		}
		if create {
			if err := unix.Mkdirat(fd, c, 0o700); err != nil && err != unix.EEXIST {
				unix.Close(fd)
				return -1, fmt.Errorf("mkdir %s: %w", c, err)
			}
		}
		next, err := unix.Openat(fd, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			if err == unix.ELOOP {
				return -1, fmt.Errorf("%s: %w", c, safefs.ErrSymlink)
			}
			return -1, fmt.Errorf("open %s: %w", c, err)
		}
		fd = next
	}
	return fd, nil
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
