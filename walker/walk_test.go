package walker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/safefs"
)

// everyFile lists the fixture's regular files relative to its root.
var everyFile = []string{
	".git/config", "UPPER.PHP", "a.php", "b.txt", "bad\xff\xfe.php", "cache.tmp.php",
	"name\nwith newline.php", "node_modules/x.php", "node_modules/y/z.php",
	"sub/c.php", "sub/deep/big.php", "sub/deep/d.php", "trailing\r", "with space.php",
}

func TestWalk(t *testing.T) {
	root := fixture(t)
	cases := []struct {
		name  string
		opts  Options
		want  []string          // emitted, relative to root
		skips map[string]Reason // some expected skips, relative to root
	}{
		{
			name: "everything",
			want: everyFile,
			skips: map[string]Reason{
				"linkfile.php": SkipSymlink, "linkdir": SkipSymlink, "passwd.php": SkipSymlink,
				"fifo.php": SkipSpecial,
			},
		},
		{
			name: "one worker",
			opts: Options{Workers: 1},
			want: everyFile,
		},
		{
			name: "extensions",
			opts: Options{Extensions: []string{"php"}},
			want: []string{
				"UPPER.PHP", "a.php", "bad\xff\xfe.php", "cache.tmp.php", "name\nwith newline.php",
				"node_modules/x.php", "node_modules/y/z.php", "sub/c.php", "sub/deep/big.php",
				"sub/deep/d.php", "with space.php",
			},
			skips: map[string]Reason{
				"b.txt": SkipFilter, ".git/config": SkipFilter,
				// Symlinks and FIFOs are reported as such whatever their name.
				"linkfile.php": SkipSymlink, "fifo.php": SkipSpecial,
			},
		},
		{
			name: "extensions with dot and case",
			opts: Options{Extensions: []string{".PhP", "TXT"}},
			want: []string{
				"UPPER.PHP", "a.php", "b.txt", "bad\xff\xfe.php", "cache.tmp.php", "name\nwith newline.php",
				"node_modules/x.php", "node_modules/y/z.php", "sub/c.php", "sub/deep/big.php",
				"sub/deep/d.php", "with space.php",
			},
		},
		{
			name: "exclude dirs and files",
			opts: Options{ExcludeDirs: []string{"node_modules", ".git", "dee?"}, Exclude: []string{"*.tmp.*", "b.*"}},
			want: []string{
				"UPPER.PHP", "a.php", "bad\xff\xfe.php", "name\nwith newline.php", "sub/c.php",
				"trailing\r", "with space.php",
			},
			skips: map[string]Reason{
				"node_modules": SkipFilter, ".git": SkipFilter, "sub/deep": SkipFilter,
				"cache.tmp.php": SkipFilter, "b.txt": SkipFilter,
			},
		},
		{
			name: "max size",
			opts: Options{MaxSize: 1000, Extensions: []string{"php"}, ExcludeDirs: []string{"node_modules"}},
			want: []string{
				"UPPER.PHP", "a.php", "bad\xff\xfe.php", "cache.tmp.php", "name\nwith newline.php",
				"sub/c.php", "sub/deep/d.php", "with space.php",
			},
			skips: map[string]Reason{"sub/deep/big.php": SkipTooBig},
		},
		{
			name: "changed after the future",
			opts: Options{ChangedAfter: time.Now().Add(time.Hour).UnixNano()},
			want: nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := walk(t, []string{root}, c.opts)
			must(t, res.err)
			checkTargets(t, root, res, c.want)
			for rel, want := range c.skips {
				p := filepath.Join(root, rel)
				if got := res.skips[p]; got.Reason != want {
					t.Errorf("skip of %q: %v, want %v", rel, got.Reason, want)
				}
			}
			for p, s := range res.skips {
				if s.Reason == SkipError {
					t.Errorf("unexpected error skip %q: %v", p, s.Err)
				}
			}
		})
	}
}

// checkTargets compares the emitted paths with want (relative to root) and
// checks each Target against an lstat of its path.
func checkTargets(t *testing.T, root string, res result, want []string) {
	t.Helper()
	var got []string
	for p, tg := range res.targets {
		rel, ok := strings.CutPrefix(p, root+"/")
		if !ok {
			t.Errorf("target %q outside %q", p, root)
			continue
		}
		got = append(got, rel)
		var st unix.Stat_t
		must(t, unix.Lstat(p, &st))
		if tg != newTarget(p, &st) {
			t.Errorf("target %+v, lstat says %+v", tg, newTarget(p, &st))
		}
		if tg.Mode&unix.S_IFMT != unix.S_IFREG {
			t.Errorf("target %q is not a regular file", p)
		}
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("emitted\n  %q\nwant\n  %q", got, want)
	}
}

func TestWalkRoots(t *testing.T) {
	root := fixture(t)
	other := realTempDir(t)
	must(t, os.Symlink(root, filepath.Join(other, "rootlink")))
	must(t, os.Symlink(filepath.Join(root, "a.php"), filepath.Join(other, "filelink")))
	must(t, os.Symlink(filepath.Join(root, "fifo.php"), filepath.Join(other, "fifolink")))
	missing := filepath.Join(other, "missing")

	t.Run("through a symlink", func(t *testing.T) {
		res := walk(t, []string{filepath.Join(other, "rootlink")}, Options{})
		must(t, res.err)
		checkTargets(t, root, res, everyFile) // paths under the real root
	})
	t.Run("missing root goes on", func(t *testing.T) {
		res := walk(t, []string{missing, root}, Options{})
		must(t, res.err)
		checkTargets(t, root, res, everyFile)
		s := res.skips[missing]
		if s.Reason != SkipError || !errors.Is(s.Err, fs.ErrNotExist) {
			t.Errorf("missing root: %+v, want SkipError ENOENT", s)
		}
	})
	t.Run("file roots", func(t *testing.T) {
		res := walk(t, []string{
			filepath.Join(root, "sub/c.php"),
			filepath.Join(other, "filelink"),
			filepath.Join(other, "fifolink"),
			filepath.Join(root, "b.txt"),
		}, Options{Extensions: []string{"php"}})
		must(t, res.err)
		checkTargets(t, root, res, []string{"sub/c.php", "a.php"})
		if r := res.skips[filepath.Join(root, "fifo.php")].Reason; r != SkipSpecial {
			t.Errorf("fifo root: %v, want SkipSpecial", r)
		}
		if r := res.skips[filepath.Join(root, "b.txt")].Reason; r != SkipFilter {
			t.Errorf("filtered root: %v, want SkipFilter", r)
		}
	})
	t.Run("relative root", func(t *testing.T) {
		t.Chdir(root)
		res := walk(t, []string{"sub"}, Options{})
		must(t, res.err)
		checkTargets(t, root, res, []string{"sub/c.php", "sub/deep/big.php", "sub/deep/d.php"})
	})
	t.Run("no roots", func(t *testing.T) {
		res := walk(t, nil, Options{})
		must(t, res.err)
		checkTargets(t, root, res, nil)
	})
}

func TestWalkSpecialFiles(t *testing.T) {
	root := realTempDir(t)
	write(t, filepath.Join(root, "ok.php"), 1)
	must(t, unix.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	l, err := net.Listen("unix", filepath.Join(root, "sock"))
	must(t, err)
	defer l.Close()
	must(t, unix.Mknod(filepath.Join(root, "null"), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))))

	res := walk(t, []string{root}, Options{})
	must(t, res.err)
	checkTargets(t, root, res, []string{"ok.php"})
	for _, name := range []string{"fifo", "sock", "null"} {
		if r := res.skips[filepath.Join(root, name)].Reason; r != SkipSpecial {
			t.Errorf("%s: %v, want SkipSpecial", name, r)
		}
	}
}

// TestWalkAge shows the age filters use the newer of mtime and ctime: a
// file whose mtime was set back after a change still counts as changed.
func TestWalkAge(t *testing.T) {
	root := realTempDir(t)
	write(t, filepath.Join(root, "olddir/old.php"), 1)
	write(t, filepath.Join(root, "olddir/sub/old.php"), 1)
	must(t, os.MkdirAll(filepath.Join(root, "newdir"), 0o755))
	// Filesystem timestamps come from a coarse clock: leave a margin.
	time.Sleep(50 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(50 * time.Millisecond)
	write(t, filepath.Join(root, "newdir/new.php"), 1)
	write(t, filepath.Join(root, "newdir/backdated.php"), 1)
	past := cutoff.Add(-30 * 24 * time.Hour)
	must(t, os.Chtimes(filepath.Join(root, "newdir/backdated.php"), past, past))

	var st unix.Stat_t
	must(t, unix.Lstat(filepath.Join(root, "newdir/backdated.php"), &st))
	if st.Mtim.Nano() != past.UnixNano() {
		t.Fatalf("mtime not set back")
	}

	res := walk(t, []string{root}, Options{ChangedAfter: cutoff.UnixNano()})
	must(t, res.err)
	checkTargets(t, root, res, []string{"newdir/new.php", "newdir/backdated.php"})
	if r := res.skips[filepath.Join(root, "olddir/old.php")].Reason; r != SkipFilter {
		t.Errorf("old.php: %v, want SkipFilter", r)
	}

	res = walk(t, []string{root}, Options{ChangedBefore: cutoff.UnixNano()})
	must(t, res.err)
	checkTargets(t, root, res, []string{"olddir/old.php", "olddir/sub/old.php"})
}

// TestWalkRaces changes directories between the moment they are listed and
// the moment they are opened.
func TestWalkRaces(t *testing.T) {
	cases := []struct {
		name    string
		change  func(t *testing.T, dir string)
		wantErr error
	}{
		{"vanished", func(t *testing.T, dir string) { must(t, os.RemoveAll(dir)) }, fs.ErrNotExist},
		{"swapped for a symlink", func(t *testing.T, dir string) {
			must(t, os.Rename(dir, dir+".moved"))
			must(t, os.Symlink("/etc", dir))
		}, safefs.ErrSymlink},
		{"swapped for another directory", func(t *testing.T, dir string) {
			must(t, os.Rename(dir, dir+".moved"))
			must(t, os.Mkdir(dir, 0o755))
			write(t, filepath.Join(dir, "planted.php"), 1)
		}, safefs.ErrChanged},
		{"swapped for a file", func(t *testing.T, dir string) {
			must(t, os.Rename(dir, dir+".moved"))
			write(t, dir, 1)
		}, safefs.ErrNotDir},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := realTempDir(t)
			write(t, filepath.Join(root, "a.php"), 1)
			write(t, filepath.Join(root, "victim/b.php"), 1)
			write(t, filepath.Join(root, "victim/inner/c.php"), 1)
			victim := filepath.Join(root, "victim")
			w, err := newWalker(Options{}, nil, nil)
			must(t, err)
			w.beforeOpen = func(dir string) {
				if dir == victim {
					c.change(t, dir)
				}
			}
			res := run(t, func(out chan<- Target, skip func(Skip)) error {
				w.out, w.skipFn = out, skip
				return w.walk(context.Background(), []string{root})
			})
			must(t, res.err)
			checkTargets(t, root, res, []string{"a.php"})
			s := res.skips[victim]
			if s.Reason != SkipError || !errors.Is(s.Err, c.wantErr) {
				t.Errorf("skip of the victim: %v %v, want SkipError %v", s.Reason, s.Err, c.wantErr)
			}
		})
	}
}

func TestWalkUnreadableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	root := realTempDir(t)
	write(t, filepath.Join(root, "locked/a.php"), 1)
	must(t, os.Chmod(filepath.Join(root, "locked"), 0))
	defer os.Chmod(filepath.Join(root, "locked"), 0o755)
	res := walk(t, []string{root}, Options{})
	must(t, res.err)
	if s := res.skips[filepath.Join(root, "locked")]; s.Reason != SkipError || !errors.Is(s.Err, fs.ErrPermission) {
		t.Errorf("locked: %v %v, want SkipError EACCES", s.Reason, s.Err)
	}
}

func TestWalkOneFileSystem(t *testing.T) {
	root := realTempDir(t)
	write(t, filepath.Join(root, "a.php"), 1)
	mnt := filepath.Join(root, "mnt")
	must(t, os.Mkdir(mnt, 0o755))
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	write(t, filepath.Join(mnt, "b.php"), 1)

	res := walk(t, []string{root}, Options{OneFileSystem: true})
	must(t, res.err)
	checkTargets(t, root, res, []string{"a.php"})
	if r := res.skips[mnt].Reason; r != SkipOtherFS {
		t.Errorf("mount point: %v, want SkipOtherFS", r)
	}

	res = walk(t, []string{root}, Options{})
	must(t, res.err)
	checkTargets(t, root, res, []string{"a.php", "mnt/b.php"})

	// A root on another filesystem is walked: only crossings are refused.
	res = walk(t, []string{mnt}, Options{OneFileSystem: true})
	must(t, res.err)
	checkTargets(t, root, res, []string{"mnt/b.php"})
}

// TestWalkCancel cancels a walk whose consumer does not read: Walk must
// return promptly, with no goroutine left behind (TestMain checks).
func TestWalkCancel(t *testing.T) {
	root := realTempDir(t)
	genTree(t, root, 3, 4, 10)
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			out := make(chan Target) // never read
			done := make(chan error)
			go func() { done <- Walk(ctx, []string{root}, Options{Workers: workers}, out, nil) }()
			time.Sleep(20 * time.Millisecond)
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Walk: %v, want context.Canceled", err)
			}
		})
	}
	t.Run("before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := Walk(ctx, []string{root}, Options{}, make(chan Target), nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Walk: %v, want context.Canceled", err)
		}
	})
}

func TestWalkBadOptions(t *testing.T) {
	for _, opts := range []Options{
		{ExcludeDirs: []string{"[z-a"}},
		{Exclude: []string{"a["}},
		{Extensions: []string{""}},
		{MaxSize: -1},
	} {
		if err := Walk(context.Background(), []string{"."}, opts, make(chan Target), nil); err == nil {
			t.Errorf("Walk accepted %+v", opts)
		}
		if err := ReadPaths(context.Background(), strings.NewReader(""), false, opts, make(chan Target), nil); err == nil {
			t.Errorf("ReadPaths accepted %+v", opts)
		}
	}
}

// TestWalkLarge walks ~20k files in ~1k directories with 4 workers and
// checks each is emitted exactly once.
func TestWalkLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	root := realTempDir(t)
	want := genTree(t, root, 10, 3, 20) // 1+10+100+1000 dirs, 20 files in each leaf
	res := walk(t, []string{root}, Options{Workers: 4})
	must(t, res.err)
	if len(res.targets) != len(want) || len(res.dups) > 0 {
		t.Fatalf("emitted %d files (%d twice), want %d", len(res.targets), len(res.dups), len(want))
	}
	for _, p := range want {
		if _, ok := res.targets[p]; !ok {
			t.Fatalf("%s not emitted", p)
		}
	}
	if len(res.skips) != 0 {
		t.Errorf("unexpected skips: %v", slices.Collect(maps.Keys(res.skips))[:1])
	}
}

// genTree makes a tree fanout wide and depth deep under root, with files
// in each leaf directory, and returns the files' paths. The top-level
// subtrees are made in parallel: file creation is slow in VMs.
func genTree(tb testing.TB, root string, fanout, depth, files int) []string {
	tb.Helper()
	var (
		mu    sync.Mutex
		paths []string
		mk    func(dir string, level int) error
	)
	mk = func(dir string, level int) error {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		if level == depth {
			for i := range files {
				p := fmt.Sprintf("%s/f%03d.php", dir, i)
				fd, err := unix.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
				if err != nil {
					return &os.PathError{Op: "create", Path: p, Err: err}
				}
				unix.Close(fd)
				mu.Lock()
				paths = append(paths, p)
				mu.Unlock()
			}
			return nil
		}
		for i := range fanout {
			if err := mk(fmt.Sprintf("%s/d%02d", dir, i), level+1); err != nil {
				return err
			}
		}
		return nil
	}
	top := filepath.Join(root, "tree")
	must(tb, os.Mkdir(top, 0o755))
	var g errgroup.Group
	for i := range fanout {
		g.Go(func() error { return mk(fmt.Sprintf("%s/d%02d", top, i), 1) })
	}
	must(tb, g.Wait())
	return paths
}

func BenchmarkWalk(b *testing.B) {
	root := realTempDir(b)
	n := len(genTree(b, root, 10, 3, 20))
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprint("workers=", workers), func(b *testing.B) {
			for b.Loop() {
				out := make(chan Target, 256)
				done := make(chan int)
				go func() {
					c := 0
					for range out {
						c++
					}
					done <- c
				}()
				err := Walk(context.Background(), []string{root}, Options{Workers: workers}, out, nil)
				close(out)
				if c := <-done; err != nil || c != n {
					b.Fatalf("Walk: %v, %d files, want %d", err, c, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
		})
	}
}

func TestReasonString(t *testing.T) {
	for r, want := range map[Reason]string{
		SkipSymlink: "symlink", SkipSpecial: "special file", SkipDirectory: "directory",
		SkipOtherFS: "other filesystem", SkipTooBig: "too big", SkipFilter: "filtered",
		SkipError: "error", 0: "Reason(0)", 99: "Reason(99)",
	} {
		if got := r.String(); got != want {
			t.Errorf("Reason(%d).String() = %q, want %q", int(r), got, want)
		}
	}
}

// TestAgeFilterDirectoryMovedIn: a directory moved into the tree after the
// cutoff keeps its files' old times; its files must still be emitted.
func TestAgeFilterDirectoryMovedIn(t *testing.T) {
	root := t.TempDir()
	stash := t.TempDir()
	old := time.Now().Add(-48 * time.Hour)
	for _, p := range []string{filepath.Join(stash, "d", "shell.php"), filepath.Join(root, "site", "old.php")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	// Chtimes sets the files' ctime to now: the cutoff goes after it, and
	// the move after the cutoff, past the kernel's timestamp granularity.
	time.Sleep(50 * time.Millisecond)
	cutoff := time.Now().UnixNano()
	time.Sleep(50 * time.Millisecond)
	if err := os.Rename(filepath.Join(stash, "d"), filepath.Join(root, "site", "d")); err != nil {
		t.Fatal(err)
	}
	out := make(chan Target, 16)
	if err := Walk(context.Background(), []string{root}, Options{ChangedAfter: cutoff}, out, nil); err != nil {
		t.Fatal(err)
	}
	close(out)
	var got []string
	for tg := range out {
		got = append(got, filepath.Base(tg.Path))
	}
	if !slices.Contains(got, "shell.php") {
		t.Errorf("emitted %v: the moved-in directory's file is missing", got)
	}
}
