// Package walker finds the files to scan: it walks directory trees in
// parallel (Walk) or reads a list of paths (ReadPaths), never following a
// symbolic link below the roots the administrator named, never opening
// anything but directories, and emits one Target per regular file that
// passes the filters in Options. Everything not emitted is reported as a
// Skip with its Reason.
package walker

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// Target is one regular file to scan, as stat'ed by the walker (never
// through a symlink).
type Target struct {
	Path         string
	Dev, Ino     uint64
	Size         int64
	Mode         uint32 // raw st_mode
	UID, GID     uint32
	Mtime, Ctime int64 // unix nanoseconds
}

// newTarget fills a Target from an lstat/fstatat result.
func newTarget(path string, st *unix.Stat_t) Target {
	return Target{
		Path:  path,
		Dev:   uint64(st.Dev),
		Ino:   uint64(st.Ino),
		Size:  st.Size,
		Mode:  st.Mode,
		UID:   st.Uid,
		GID:   st.Gid,
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
	}
}

// Skip reports a path that was not scanned and why. Skips are counted and
// reported by the caller, never fatal.
type Skip struct {
	Path   string
	Reason Reason
	Err    error // set for SkipError (an *os.PathError or similar), else nil
}

// Reason says why a path was skipped.
type Reason int

// The reasons a path is not scanned.
const (
	// SkipSymlink: a symbolic link, not followed.
	SkipSymlink Reason = iota + 1
	// SkipSpecial: a FIFO, device or socket, never opened.
	SkipSpecial
	// SkipDirectory: a directory named by ReadPaths, not walked.
	SkipDirectory
	// SkipOtherFS: a directory on another filesystem than its root's,
	// with Options.OneFileSystem.
	SkipOtherFS
	// SkipTooBig: a regular file larger than Options.MaxSize.
	SkipTooBig
	// SkipFilter: excluded by the extension, exclude or age filters; worth
	// counting only.
	SkipFilter
	// SkipError: unreadable directory, vanished file, too long a path...;
	// Skip.Err says what.
	SkipError
)

func (r Reason) String() string {
	switch r {
	case SkipSymlink:
		return "symlink"
	case SkipSpecial:
		return "special file"
	case SkipDirectory:
		return "directory"
	case SkipOtherFS:
		return "other filesystem"
	case SkipTooBig:
		return "too big"
	case SkipFilter:
		return "filtered"
	case SkipError:
		return "error"
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}
