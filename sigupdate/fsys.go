package sigupdate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// dirFD is an open directory; every operation on its entries goes through
// the descriptor (the *at system calls) and never follows a symbolic link.
type dirFD struct {
	path string
	fd   int
	f    *os.File // owns fd; for Readdirnames and Close
}

const (
	dirFlags  = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
	readFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	newFlags  = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_NOCTTY | unix.O_CLOEXEC
)

// openDir opens the directory at path (following links in path itself,
// which is the administrator's configuration).
func openDir(path string) (*dirFD, error) {
	fd, err := retry(func() (int, error) { return unix.Open(path, dirFlags, 0) })
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return &dirFD{path: path, fd: fd, f: os.NewFile(uintptr(fd), path)}, nil
}

// sub opens the directory name inside d, refusing a symbolic link.
func (d *dirFD) sub(name string) (*dirFD, error) {
	if err := d.expect(name, unix.S_IFDIR, false); err != nil {
		return nil, err
	}
	fd, err := retry(func() (int, error) { return unix.Openat(d.fd, name, dirFlags|unix.O_NOFOLLOW, 0) })
	if err != nil {
		return nil, d.pathErr("open", name, err)
	}
	p := d.join(name)
	return &dirFD{path: p, fd: fd, f: os.NewFile(uintptr(fd), p)}, nil
}

func (d *dirFD) close() error { return d.f.Close() }

func (d *dirFD) join(name string) string { return filepath.Join(d.path, name) }

func (d *dirFD) pathErr(op, name string, err error) error {
	if errors.Is(err, unix.ELOOP) {
		return fmt.Errorf("%s: %w: a symbolic link; refusing to follow it", d.join(name), ErrUnsafe)
	}
	return &os.PathError{Op: op, Path: d.join(name), Err: err}
}

// lstat stats name without following a link; ok is false when it does not
// exist.
func (d *dirFD) lstat(name string) (st unix.Stat_t, ok bool, err error) {
	err = ignoringEINTR(func() error { return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	if errors.Is(err, unix.ENOENT) {
		return st, false, nil
	}
	if err != nil {
		return st, false, d.pathErr("lstat", name, err)
	}
	return st, true, nil
}

// expect checks that name is of type typ (unix.S_IFREG or S_IFDIR), or,
// when absentOK, does not exist. Anything else, a symbolic link above all,
// is ErrUnsafe.
func (d *dirFD) expect(name string, typ uint32, absentOK bool) error {
	st, ok, err := d.lstat(name)
	if err != nil {
		return err
	}
	if !ok {
		if absentOK {
			return nil
		}
		return &os.PathError{Op: "open", Path: d.join(name), Err: os.ErrNotExist}
	}
	if got := st.Mode & unix.S_IFMT; got != typ {
		want := "a regular file"
		if typ == unix.S_IFDIR {
			want = "a directory"
		}
		how := "refusing to follow or replace it; remove it if it is yours"
		if got != unix.S_IFLNK {
			how = "refusing to replace it"
		}
		return fmt.Errorf("%s: %w: %s, want %s; %s", d.join(name), ErrUnsafe, typeName(got), want, how)
	}
	return nil
}

func typeName(t uint32) string {
	switch t {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "a device"
	}
	return "an unknown file type"
}

// readFile reads the regular file name in d, at most max bytes, refusing a
// symbolic link or anything but a regular file.
func (d *dirFD) readFile(name string, max int64) ([]byte, error) {
	fd, err := retry(func() (int, error) { return unix.Openat(d.fd, name, readFlags, 0) })
	if err != nil {
		return nil, d.pathErr("open", name, err)
	}
	f := os.NewFile(uintptr(fd), d.join(name))
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, d.pathErr("stat", name, err)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFREG {
		return nil, fmt.Errorf("%s: %w: %s, want a regular file", d.join(name), ErrUnsafe, typeName(t))
	}
	if st.Size > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", d.join(name), st.Size, max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: more than the %d bytes allowed", d.join(name), max)
	}
	return data, nil
}

// writeFile creates name in d (replacing a leftover of that name, never
// through a link), mode 0644, writes data and fsyncs it. On error nothing
// is left behind.
func (d *dirFD) writeFile(name string, data []byte) (err error) {
	if err := d.unlink(name); err != nil {
		return err
	}
	fd, err := retry(func() (int, error) { return unix.Openat(d.fd, name, newFlags, 0o644) })
	if err != nil {
		return d.pathErr("create", name, err)
	}
	f := os.NewFile(uintptr(fd), d.join(name))
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			_ = d.unlink(name)
		}
	}()
	if err := f.Chmod(0o644); err != nil { // whatever the umask
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

// linkOrCopy makes d/to hold the content of the regular file from/name: a
// hard link (linkat without AT_SYMLINK_FOLLOW never follows a link), else
// a copy. A leftover d/to is replaced.
func (d *dirFD) linkOrCopy(from *dirFD, name, to string) error {
	if err := from.expect(name, unix.S_IFREG, false); err != nil {
		return err
	}
	if err := d.unlink(to); err != nil {
		return err
	}
	err := ignoringEINTR(func() error { return unix.Linkat(from.fd, name, d.fd, to, 0) })
	if err == nil {
		return nil
	}
	data, err := from.readFile(name, maxInstalledSize)
	if err != nil {
		return err
	}
	return d.writeFile(to, data)
}

// unlink removes the non-directory name in d; a missing name is no error.
func (d *dirFD) unlink(name string) error {
	err := ignoringEINTR(func() error { return unix.Unlinkat(d.fd, name, 0) })
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return d.pathErr("remove", name, err)
}

// rename renames from to to within d; to is replaced atomically (if it is a
// link, the link itself is replaced: rename never follows one).
func (d *dirFD) rename(from, to string) error {
	err := ignoringEINTR(func() error { return unix.Renameat(d.fd, from, d.fd, to) })
	if err != nil {
		return fmt.Errorf("rename %s to %s: %w", d.join(from), to, err)
	}
	return nil
}

// exchange swaps a and b within d atomically; errExchangeUnsupported when
// the filesystem cannot (then the caller renames in two steps).
func (d *dirFD) exchange(a, b string) error {
	err := ignoringEINTR(func() error { return unix.Renameat2(d.fd, a, d.fd, b, unix.RENAME_EXCHANGE) })
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errExchangeUnsupported
	}
	if err != nil {
		return fmt.Errorf("exchange %s and %s: %w", d.join(a), b, err)
	}
	return nil
}

var errExchangeUnsupported = errors.New("RENAME_EXCHANGE not supported")

// mkdir creates the directory name in d, mode 0755.
func (d *dirFD) mkdir(name string) error {
	err := ignoringEINTR(func() error { return unix.Mkdirat(d.fd, name, 0o755) })
	if err != nil {
		return d.pathErr("mkdir", name, err)
	}
	return nil
}

// removeTree removes name from d: a file or link is unlinked, a directory
// emptied (recursively, to a bounded depth) and removed. A missing name is
// no error; nothing is followed.
func (d *dirFD) removeTree(name string) error {
	return d.removeTreeDepth(name, 8)
}

func (d *dirFD) removeTreeDepth(name string, depth int) error {
	st, ok, err := d.lstat(name)
	if err != nil || !ok {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return d.unlink(name)
	}
	if depth == 0 {
		return fmt.Errorf("%s: directories nested too deep to remove", d.join(name))
	}
	sub, err := d.sub(name)
	if err != nil {
		return err
	}
	names, err := sub.names()
	for _, n := range names {
		if err = sub.removeTreeDepth(n, depth-1); err != nil {
			break
		}
	}
	sub.close()
	if err != nil {
		return err
	}
	err = ignoringEINTR(func() error { return unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR) })
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return d.pathErr("remove", name, err)
	}
	return nil
}

func (d *dirFD) sync() error {
	if err := ignoringEINTR(func() error { return unix.Fsync(d.fd) }); err != nil {
		return fmt.Errorf("fsync %s: %w", d.path, err)
	}
	return nil
}

// checkPrivate refuses a data dir that someone else could write to: a
// writer could plant rules, or links, between our checks and our renames.
func (d *dirFD) checkPrivate() error {
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: d.path, Err: err}
	}
	if st.Mode&0o022 != 0 {
		return fmt.Errorf("%s: %w: writable by group or others (mode %04o); run chmod go-w %s", d.path, ErrUnsafe, st.Mode&0o7777, d.path)
	}
	if uid := uint32(os.Geteuid()); st.Uid != uid && st.Uid != 0 {
		return fmt.Errorf("%s: %w: owned by uid %d, neither root nor the user running the update (uid %d)", d.path, ErrUnsafe, st.Uid, uid)
	}
	return nil
}

// lockName is the lock file in the data dir; a scan does not load it.
const lockName = ".updatedb.lock"

// lock takes an exclusive flock on d/.updatedb.lock, waiting at most wait.
// The file is left in place (removing a lock file races with its next
// user); the lock goes with the returned function, or the process.
func (d *dirFD) lock(ctx context.Context, wait time.Duration) (unlock func(), err error) {
	fd, err := retry(func() (int, error) {
		return unix.Openat(d.fd, lockName, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0o600)
	})
	if err != nil {
		return nil, d.pathErr("open", lockName, err)
	}
	f := os.NewFile(uintptr(fd), d.join(lockName))
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			// Say who holds it, for the message of a run that waits.
			if unix.Ftruncate(fd, 0) == nil {
				_, _ = unix.Pwrite(fd, []byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			}
			return func() {
				_ = unix.Ftruncate(fd, 0) // no stale pid for the next message
				f.Close()                 // closing the last descriptor unlocks
			}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", d.join(lockName), err)
		}
		if !time.Now().Before(deadline) {
			holder := ""
			buf := make([]byte, 16)
			if n, _ := unix.Pread(fd, buf, 0); n > 0 {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n]))); err == nil {
					holder = fmt.Sprintf(" by process %d", pid)
				}
			}
			f.Close()
			return nil, fmt.Errorf("%w: %s is held%s (waited %v); try again when it is done", ErrLocked, d.join(lockName), holder, wait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(min(50*time.Millisecond, time.Until(deadline)+time.Millisecond)):
		}
	}
}

func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if err != unix.EINTR {
			return err
		}
	}
}

func retry(fn func() (int, error)) (int, error) {
	for {
		fd, err := fn()
		if err != unix.EINTR {
			return fd, err
		}
	}
}
