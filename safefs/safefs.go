// Package safefs opens paths inside trees that hostile users control
// without ever following a symbolic link, and without blocking on FIFOs.
//
// The scanner runs as root over home directories whose owners can create
// symlinks, FIFOs and hard links and can rename things while a scan runs.
// Every open here refuses a symlink at any path component (openat2 with
// RESOLVE_NO_SYMLINKS, or a component-by-component walk where openat2 is
// not available), opens FIFOs non-blocking, and checks the type of what was
// opened with fstat before handing it out. ReadCachedFD and DropCacheFD let a
// scan read every file of a server without filling or evicting its page
// cache.
package safefs

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Sentinel errors. The errors returned by this package are *os.PathError
// values wrapping one of these (test with errors.Is) and, where there is one,
// the errno the kernel returned.
var (
	// ErrSymlink means a component of the path is a symbolic link.
	ErrSymlink = errors.New("symbolic link in path")
	// ErrNotRegular means the path names a FIFO, device, socket or
	// directory where a regular file was wanted.
	ErrNotRegular = errors.New("not a regular file")
	// ErrNotDir means the path names something other than a directory
	// where a directory was wanted.
	ErrNotDir = errors.New("not a directory")
	// ErrChanged means the path now names another file than the one
	// stat'ed earlier (different device or inode number).
	ErrChanged = errors.New("file changed since it was listed")
)

// Open opens the regular file at path for reading. It fails with an error
// wrapping ErrSymlink if any component of path is a symbolic link, and with
// ErrNotRegular if the file is not a regular file; a FIFO never blocks the
// open. The returned file is in non-blocking mode, which has no effect on
// reads from a regular file.
func Open(path string) (*os.File, error) {
	f, _, err := openFile(path, openNoFollow)
	return f, err
}

// OpenExpect is Open for a file listed earlier: it also fails, with an
// error wrapping ErrChanged, unless the opened file has device dev and inode
// ino. It returns the fstat of the opened file so callers need not fstat it
// again (use its size, not the listed one: the file may have changed). The
// Stat_t is meaningful only when the error is nil.
func OpenExpect(path string, dev, ino uint64) (*os.File, unix.Stat_t, error) {
	f, st, err := openFile(path, openNoFollow)
	if err != nil {
		return nil, st, err
	}
	if err := expect(path, &st, dev, ino); err != nil {
		f.Close()
		return nil, st, err
	}
	return f, st, nil
}

// OpenDirExpect opens the directory at path for reading its entries, with
// the same guarantees as OpenExpect: no symlink at any component (an error
// wrapping ErrSymlink), a directory (ErrNotDir otherwise), and the one with
// device dev and inode ino (ErrChanged otherwise).
func OpenDirExpect(path string, dev, ino uint64) (*os.File, unix.Stat_t, error) {
	return openDir(path, dev, ino, openNoFollow)
}

// openFunc opens path with flags refusing symlinks (openNoFollow, or
// openComponentwise in tests) and returns a raw errno.
type openFunc func(path string, flags int) (int, error)

func openDir(path string, dev, ino uint64, open openFunc) (*os.File, unix.Stat_t, error) {
	fd, st, err := openDirFD(path, open)
	if err != nil {
		return nil, st, err
	}
	if err := expect(path, &st, dev, ino); err != nil {
		unix.Close(fd)
		return nil, st, err
	}
	return os.NewFile(uintptr(fd), path), st, nil
}

func openDirFD(path string, open openFunc) (int, unix.Stat_t, error) {
	fd, err := open(path, dirFlags)
	if err == unix.ENOTDIR {
		if isSymlink(path) {
			// O_DIRECTORY reports a final symlink as ENOTDIR.
			err = unix.ELOOP
		} else {
			err = &kindError{kind: ErrNotDir, errno: err}
		}
	}
	if err != nil {
		return -1, unix.Stat_t{}, pathError(path, err)
	}
	st, err := fstat(path, fd)
	if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		err = pathError(path, &kindError{kind: ErrNotDir, detail: fileType(st.Mode)})
	}
	if err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	return fd, st, nil
}

// openFile opens a regular file and returns it with its fstat.
func openFile(path string, open openFunc) (*os.File, unix.Stat_t, error) {
	fd, st, err := openFileFD(path, open)
	if err != nil {
		return nil, st, err
	}
	return os.NewFile(uintptr(fd), path), st, nil
}

// OpenExpectFD is OpenExpect returning a bare file descriptor, which the
// caller must unix.Close. A scanner opening a million files saves the
// runtime's poller registration and finalizer that an *os.File costs.
func OpenExpectFD(path string, dev, ino uint64) (int, unix.Stat_t, error) {
	fd, st, err := openFileFD(path, openNoFollow)
	if err != nil {
		return -1, st, err
	}
	if err := expect(path, &st, dev, ino); err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	return fd, st, nil
}

// openFileFD opens a regular file and returns its descriptor and fstat.
func openFileFD(path string, open openFunc) (int, unix.Stat_t, error) {
	// O_NOATIME keeps the scan from touching access times, which admins
	// read when investigating a break-in. Only the owner or root may ask
	// for it: anyone else gets EPERM and opens without.
	fd, err := open(path, fileFlags|unix.O_NOATIME)
	if err == unix.EPERM {
		fd, err = open(path, fileFlags)
	}
	if err == unix.EWOULDBLOCK {
		// A write lease: its holder would keep a non-blocking open out
		// for ever by taking the lease back on each break. Wait for the
		// break instead, as any reader of the file (PHP) would.
		fd, err = openLeased(path, open)
	}
	if err == unix.ENXIO {
		// A socket, or a device node without a driver.
		err = &kindError{kind: ErrNotRegular, errno: err}
	}
	if err != nil {
		return -1, unix.Stat_t{}, pathError(path, err)
	}
	st, err := fstat(path, fd)
	if err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
		err = pathError(path, &kindError{kind: ErrNotRegular, detail: fileType(st.Mode)})
	}
	if err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	return fd, st, nil
}

func fstat(path string, fd int) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return st, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	return st, nil
}

func expect(path string, st *unix.Stat_t, dev, ino uint64) error {
	if uint64(st.Dev) == dev && uint64(st.Ino) == ino {
		return nil
	}
	return pathError(path, &kindError{
		kind:   ErrChanged,
		detail: fmt.Sprintf("device/inode now %d/%d, listed as %d/%d", uint64(st.Dev), uint64(st.Ino), dev, ino),
	})
}

// isSymlink reports whether path's final component is a symlink (used only
// to explain an ENOTDIR; it follows symlinks in earlier components).
func isSymlink(path string) bool {
	var st unix.Stat_t
	return unix.Lstat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// openLeased opens a regular file that holds a lease with a blocking open
// (the kernel breaks the lease, waiting at most lease-break-time). It first
// pins the inode with O_PATH, which breaks no lease and opens no FIFO, checks
// it is a regular file, and reopens that very inode through /proc/self/fd.
func openLeased(path string, open openFunc) (int, error) {
	pfd, err := open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		return -1, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return -1, &kindError{kind: ErrNotRegular, detail: fileType(st.Mode)}
	}
	var fd int
	err = ignoringEINTR(func() (err error) {
		fd, err = unix.Open("/proc/self/fd/"+strconv.Itoa(pfd), unix.O_RDONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		return err
	})
	return fd, err
}

// OpenDirFD opens the directory at path with the guarantees of
// OpenDirExpect (no symlink at any component, a directory) and returns its
// bare descriptor, which the caller must unix.Close. Work relative to it
// (openat, renameat, unlinkat) to act on a directory's entries without a
// path that a hostile user could redirect in the meantime.
func OpenDirFD(path string) (int, unix.Stat_t, error) {
	return openDirFD(path, openNoFollow)
}
