package safefs

import (
	"strings"

	"golang.org/x/sys/unix"
)

const (
	// fileFlags open a regular file: O_NONBLOCK so a FIFO (or a file with a
	// conflicting lease) fails or returns at once instead of blocking.
	fileFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	// dirFlags open a directory for getdents.
	dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NOCTTY | unix.O_CLOEXEC
	// pathFlags open an intermediate directory during the fallback walk.
	pathFlags = unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
)

// openNoFollow opens path with flags, refusing a symlink at any component.
// It returns a raw errno so callers can classify it.
func openNoFollow(path string, flags int) (int, error) {
	fd, err := openat2(path, flags)
	if err == unix.ENOSYS || err == unix.EPERM {
		// No openat2 (kernel < 5.6), or a seccomp filter (some container
		// runtimes) that answers EPERM for syscalls it does not know.
		fd, err = openComponentwise(path, flags)
	}
	return fd, err
}

func openat2(path string, flags int) (int, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags),
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Openat2(unix.AT_FDCWD, path, &how)
		return err
	})
	return fd, err
}

// openComponentwise does what openat2 with RESOLVE_NO_SYMLINKS does, with
// plain openat: it opens each directory component with O_PATH|O_NOFOLLOW
// relative to the previous one, then the final component with flags (which
// must include O_NOFOLLOW). A symlink anywhere yields ELOOP.
func openComponentwise(path string, flags int) (int, error) {
	if path == "" {
		return -1, unix.ENOENT
	}
	dirfd := unix.AT_FDCWD
	defer func() {
		if dirfd != unix.AT_FDCWD {
			unix.Close(dirfd)
		}
	}()
	if path[0] == '/' {
		fd, err := openat(unix.AT_FDCWD, "/", pathFlags)
		if err != nil {
			return -1, err
		}
		dirfd = fd
	}
	if strings.HasSuffix(path, "/") {
		// Like the kernel: a trailing slash requires a directory.
		flags |= unix.O_DIRECTORY
	}
	names := components(path)
	last := "."
	if len(names) > 0 {
		last = names[len(names)-1]
		names = names[:len(names)-1]
	}
	for _, name := range names {
		fd, err := openat(dirfd, name, pathFlags)
		if err == unix.ENOTDIR && isSymlinkAt(dirfd, name) {
			// O_DIRECTORY reports a symlink as ENOTDIR, not ELOOP.
			err = unix.ELOOP
		}
		if err != nil {
			return -1, err
		}
		if dirfd != unix.AT_FDCWD {
			unix.Close(dirfd)
		}
		dirfd = fd
	}
	fd, err := openat(dirfd, last, flags)
	if err == unix.ENOTDIR && isSymlinkAt(dirfd, last) {
		err = unix.ELOOP
	}
	return fd, err
}

// components splits path at slashes, dropping empty and "." names. ".." is
// kept: openat resolves it physically, which is what the kernel does too.
func components(path string) []string {
	names := strings.Split(path, "/")
	out := names[:0]
	for _, n := range names {
		if n != "" && n != "." {
			out = append(out, n)
		}
	}
	return out
}

func openat(dirfd int, name string, flags int) (int, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Openat(dirfd, name, flags, 0)
		return err
	})
	return fd, err
}

func isSymlinkAt(dirfd int, name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// ignoringEINTR retries fn while it is interrupted by a signal (the Go
// runtime sends SIGURG for preemption; opens on NFS or FUSE can see it).
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}
