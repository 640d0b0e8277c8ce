package disable

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// DefaultLockWait bounds the wait for another run's lock on a file.
	DefaultLockWait = 30 * time.Second
	// newFileMode is the mode of a map or deny file this package creates
	// because it did not exist: both are read by daemons that may not run
	// as root, and hold only account names.
	newFileMode = 0o644
	// maxFileSize refuses to load absurd files into memory.
	maxFileSize = 64 << 20
	lockPoll    = 20 * time.Millisecond
)

// fileState is a file's content and metadata as read under the lock.
type fileState struct {
	data     []byte
	exists   bool
	mode     uint32 // permission bits incl. setuid/setgid/sticky
	uid, gid int
}

// checkFilePath accepts an absolute, clean path with a file name.
func checkFilePath(what, path string) error {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path || strings.ContainsAny(path, "\x00\n") {
		return fmt.Errorf("%s: %q is not an absolute, clean path", what, path)
	}
	if base := filepath.Base(path); base == "/" || base == "." || base == ".." {
		return fmt.Errorf("%s: %q names no file", what, path)
	}
	return nil
}

// lockFile takes an exclusive flock on path+".lock" (created 0600 if
// missing, never through a symlink), waiting up to wait or until ctx ends.
// The lock lives on its own file because the data file is replaced by
// rename: a lock on its old inode would not exclude the next writer. The
// caller closes the returned file to unlock.
func lockFile(ctx context.Context, path string, wait time.Duration) (*os.File, error) {
	lp := path + ".lock"
	fd, err := unix.Open(lp, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", lp, err)
	}
	f := os.NewFile(uintptr(fd), lp)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(lockPoll)
	defer tick.Stop()
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lp, err)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lp, ctx.Err())
		case <-deadline.C:
			f.Close()
			return nil, fmt.Errorf("lock %s: still held by another process after %s", lp, wait)
		}
	}
}

// readState reads path without following a symlink at its last component.
// A missing file is an empty state, not an error; anything but a regular
// file is an error.
func readState(path string) (fileState, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err == unix.ENOENT {
		return fileState{mode: newFileMode, uid: -1, gid: -1}, nil
	}
	if err == unix.ELOOP {
		return fileState{}, fmt.Errorf("%s: is a symbolic link; refusing to replace it", path)
	}
	if err != nil {
		return fileState{}, fmt.Errorf("%s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileState{}, fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fileState{}, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size > maxFileSize {
		return fileState{}, fmt.Errorf("%s: %d bytes, larger than %d", path, st.Size, maxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return fileState{}, fmt.Errorf("%s: %w", path, err)
	}
	return fileState{data: data, exists: true, mode: st.Mode & 0o7777, uid: int(st.Uid), gid: int(st.Gid)}, nil
}

// writeAtomic replaces path with data: a temporary file in the same
// directory, given the old file's mode, owner and group (or newFileMode),
// written, fsynced, renamed over path, and the directory fsynced. On error
// path is unchanged and the temporary file is gone.
func writeAtomic(path string, data []byte, old fileState) (err error) {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+base+".spamgear-*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
			err = fmt.Errorf("%s: %w", path, err)
		}
	}()
	fd := int(tmp.Fd())
	if old.exists {
		var st unix.Stat_t
		if err = unix.Fstat(fd, &st); err != nil {
			return err
		}
		if int(st.Uid) != old.uid || int(st.Gid) != old.gid {
			if err = unix.Fchown(fd, old.uid, old.gid); err != nil {
				return err
			}
		}
	}
	// After the chown, which clears setuid/setgid bits.
	if err = unix.Fchmod(fd, old.mode); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmpName, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// restoreState puts back what readState saw: the old content, or no file
// if there was none.
func restoreState(path string, old fileState) error {
	if old.exists {
		return writeAtomic(path, old.data, old)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// appendLine returns data with line (which ends in "\n") appended, adding a
// newline first if data does not end in one.
func appendLine(data []byte, line string) []byte {
	out := make([]byte, 0, len(data)+len(line)+1)
	out = append(out, data...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, line...)
}
