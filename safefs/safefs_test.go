package safefs

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openers runs each case through openat2 and through the fallback walk.
var openers = []struct {
	name string
	open openFunc
}{
	{"openat2", openNoFollow},
	{"componentwise", openComponentwise},
}

// tree builds:
//
//	dir/file       "hello"
//	dir/sub/file   "nested"
//	dir/linkfile   -> file
//	dir/linkdir    -> sub
//	dir/fifo       FIFO
//	dir/sock       unix socket
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "file"), []byte("hello"), 0o644))
	must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "file"), []byte("nested"), 0o644))
	must(t, os.Symlink("file", filepath.Join(dir, "linkfile")))
	must(t, os.Symlink("sub", filepath.Join(dir, "linkdir")))
	must(t, unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	must(t, err)
	t.Cleanup(func() { l.Close() })
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpen(t *testing.T) {
	dir := tree(t)
	cases := []struct {
		name    string
		path    string
		want    string // content when the open succeeds
		wantErr error  // errors.Is target
	}{
		{"regular", dir + "/file", "hello", nil},
		{"nested", dir + "/sub/file", "nested", nil},
		{"dot and dotdot", dir + "/./sub/../sub/file", "nested", nil},
		{"double slash", dir + "//sub//file", "nested", nil},
		{"symlink final", dir + "/linkfile", "", ErrSymlink},
		{"symlink middle", dir + "/linkdir/file", "", ErrSymlink},
		{"symlink middle is ELOOP", dir + "/linkdir/file", "", unix.ELOOP},
		{"fifo", dir + "/fifo", "", ErrNotRegular},
		{"socket", dir + "/sock", "", ErrNotRegular},
		{"device", "/dev/null", "", ErrNotRegular},
		{"directory", dir + "/sub", "", ErrNotRegular},
		{"root directory", "/", "", ErrNotRegular},
		{"missing", dir + "/nope", "", fs.ErrNotExist},
		{"file as directory", dir + "/file/x", "", unix.ENOTDIR},
		{"trailing slash on file", dir + "/file/", "", unix.ENOTDIR},
		{"empty", "", "", fs.ErrNotExist},
		{"magic link", "/proc/self/fd/0", "", ErrSymlink},
	}
	for _, o := range openers {
		for _, c := range cases {
			t.Run(o.name+"/"+c.name, func(t *testing.T) {
				if c.path == "/dev/null" || c.path == "/proc/self/fd/0" {
					if _, err := os.Lstat(c.path); err != nil {
						t.Skip(err)
					}
				}
				f, st, err := openFile(c.path, o.open)
				if c.wantErr != nil {
					if f != nil {
						f.Close()
						t.Fatalf("open %q succeeded, want %v", c.path, c.wantErr)
					}
					if !errors.Is(err, c.wantErr) {
						t.Fatalf("open %q: %v, want %v", c.path, err, c.wantErr)
					}
					var pe *os.PathError
					if !errors.As(err, &pe) || pe.Path != c.path {
						t.Fatalf("open %q: error %#v does not carry the path", c.path, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("open %q: %v", c.path, err)
				}
				defer f.Close()
				b, err := io.ReadAll(f)
				must(t, err)
				if string(b) != c.want || st.Size != int64(len(c.want)) {
					t.Fatalf("read %q (size %d), want %q", b, st.Size, c.want)
				}
			})
		}
	}
}

// TestOpenRelative opens paths relative to the working directory.
func TestOpenRelative(t *testing.T) {
	dir := tree(t)
	t.Chdir(dir)
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			f, _, err := openFile("sub/file", o.open)
			must(t, err)
			f.Close()
			if _, _, err := openFile("linkdir/file", o.open); !errors.Is(err, ErrSymlink) {
				t.Fatalf("linkdir/file: %v, want ErrSymlink", err)
			}
			if _, _, err := openFile("fifo", o.open); !errors.Is(err, ErrNotRegular) {
				t.Fatalf("fifo: %v, want ErrNotRegular", err)
			}
		})
	}
}

func TestOpenPublic(t *testing.T) {
	dir := tree(t)
	f, err := Open(dir + "/file")
	must(t, err)
	f.Close()
	if _, err := Open(dir + "/linkfile"); !errors.Is(err, ErrSymlink) {
		t.Fatalf("Open(linkfile): %v, want ErrSymlink", err)
	}
	if _, err := Open(dir + "/fifo"); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("Open(fifo): %v, want ErrNotRegular", err)
	}
}

func TestOpenExpect(t *testing.T) {
	dir := tree(t)
	path := dir + "/file"
	var st unix.Stat_t
	must(t, unix.Lstat(path, &st))
	dev, ino := uint64(st.Dev), uint64(st.Ino)

	f, got, err := OpenExpect(path, dev, ino)
	must(t, err)
	f.Close()
	if uint64(got.Ino) != ino || got.Size != 5 {
		t.Fatalf("fstat: ino %d size %d, want %d 5", got.Ino, got.Size, ino)
	}

	// Swap the file for another between listing and opening.
	must(t, os.WriteFile(dir+"/other", []byte("swapped"), 0o644))
	must(t, os.Rename(dir+"/other", path))
	if f, _, err := OpenExpect(path, dev, ino); !errors.Is(err, ErrChanged) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("swapped file: %v, want ErrChanged", err)
	}

	// Swapped for a symlink: refused as a symlink.
	must(t, os.Remove(path))
	must(t, os.Symlink("sub/file", path))
	if _, _, err := OpenExpect(path, dev, ino); !errors.Is(err, ErrSymlink) {
		t.Fatalf("swapped for a symlink: %v, want ErrSymlink", err)
	}
}

func TestOpenDir(t *testing.T) {
	dir := tree(t)
	var st unix.Stat_t
	must(t, unix.Lstat(dir+"/sub", &st))
	dev, ino := uint64(st.Dev), uint64(st.Ino)
	cases := []struct {
		name    string
		path    string
		wantErr error
	}{
		{"directory", dir + "/sub", nil},
		{"symlink final", dir + "/linkdir", ErrSymlink},
		{"symlink middle", dir + "/linkdir/.", ErrSymlink},
		{"file", dir + "/file", ErrNotDir},
		{"fifo", dir + "/fifo", ErrNotDir},
		{"other directory", dir, ErrChanged},
		{"missing", dir + "/nope", fs.ErrNotExist},
	}
	for _, o := range openers {
		for _, c := range cases {
			t.Run(o.name+"/"+c.name, func(t *testing.T) {
				f, _, err := openDir(c.path, dev, ino, o.open)
				if c.wantErr == nil {
					must(t, err)
					names, err := f.Readdirnames(-1)
					f.Close()
					must(t, err)
					if len(names) != 1 || names[0] != "file" {
						t.Fatalf("entries %q, want [file]", names)
					}
					return
				}
				if f != nil {
					f.Close()
				}
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("%v, want %v", err, c.wantErr)
				}
			})
		}
	}
	f, _, err := OpenDirExpect(dir+"/sub", dev, ino)
	must(t, err)
	f.Close()
}

func TestErrorText(t *testing.T) {
	dir := tree(t)
	_, err := Open(dir + "/fifo")
	if want := "open " + dir + "/fifo: not a regular file (fifo)"; err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	_, err = Open(dir + "/linkfile")
	if want := "open " + dir + "/linkfile: symbolic link in path"; err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

// TestOpenWaitsOutALease: a file whose owner holds a write lease (and could
// take it back at every break) is opened once the lease is released, not
// refused as "resource temporarily unavailable" for ever.
func TestOpenWaitsOutALease(t *testing.T) {
	p := filepath.Join(t.TempDir(), "leased.php")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	holder, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(holder)
	if _, err := unix.FcntlInt(uintptr(holder), unix.F_SETLEASE, unix.F_WRLCK); err != nil {
		t.Skipf("cannot take a write lease here: %v", err)
	}
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	go func() {
		// The lease holder gives in once the break is under way.
		time.Sleep(100 * time.Millisecond)
		unix.FcntlInt(uintptr(holder), unix.F_SETLEASE, unix.F_UNLCK)
	}()
	fd, _, err := OpenExpectFD(p, uint64(st.Dev), st.Ino)
	if err != nil {
		t.Fatalf("leased file: %v", err)
	}
	unix.Close(fd)
}
