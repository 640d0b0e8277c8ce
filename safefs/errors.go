package safefs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// kindError pairs one of the package's sentinels with a detail and, when the
// kernel reported it, the errno; errors.Is matches either.
type kindError struct {
	kind   error
	detail string
	errno  error // nil when the problem was found by fstat, not the kernel
}

func (e *kindError) Error() string {
	if e.detail == "" {
		return e.kind.Error()
	}
	return e.kind.Error() + " (" + e.detail + ")"
}

func (e *kindError) Unwrap() []error {
	if e.errno == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.errno}
}

// pathError wraps err in an *os.PathError for an open of path, mapping the
// errno that means "a symlink was met" to ErrSymlink.
func pathError(path string, err error) error {
	if errors.Is(err, unix.ELOOP) {
		// With O_NOFOLLOW and RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS,
		// ELOOP means a symlink (or magic link) was met, never a loop.
		err = &kindError{kind: ErrSymlink, errno: err}
	}
	return &os.PathError{Op: "open", Path: path, Err: err}
}

// fileType names the type in a st_mode for error messages.
func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	default:
		return "unknown type"
	}
}

var _ error = (*kindError)(nil)
