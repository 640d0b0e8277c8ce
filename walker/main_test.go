package walker

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// result is what one Walk or ReadPaths produced.
type result struct {
	targets map[string]Target
	skips   map[string]Skip
	dups    []string // paths emitted more than once
	err     error
}

// run calls fn with an out channel drained into a result.
func run(t testing.TB, fn func(out chan<- Target, skip func(Skip)) error) result {
	t.Helper()
	res := result{targets: map[string]Target{}, skips: map[string]Skip{}}
	out := make(chan Target, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		for tg := range out {
			if _, dup := res.targets[tg.Path]; dup {
				res.dups = append(res.dups, tg.Path)
			}
			res.targets[tg.Path] = tg
		}
	})
	res.err = fn(out, func(s Skip) { res.skips[s.Path] = s })
	close(out)
	wg.Wait()
	if len(res.dups) > 0 {
		t.Errorf("emitted more than once: %q", res.dups)
	}
	return res
}

func walk(t testing.TB, roots []string, opts Options) result {
	t.Helper()
	return run(t, func(out chan<- Target, skip func(Skip)) error {
		return Walk(context.Background(), roots, opts, out, skip)
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func write(t testing.TB, path string, size int) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, os.WriteFile(path, make([]byte, size), 0o644))
}

// realTempDir is t.TempDir with its symlinks resolved, as Walk reports it.
func realTempDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	return dir
}

// fixture builds a tree exercising every kind of entry and returns its
// real path.
func fixture(t testing.TB) string {
	t.Helper()
	root := realTempDir(t)
	for name, size := range map[string]int{
		"a.php":                  5,
		"b.txt":                  5,
		"UPPER.PHP":              5,
		"sub/c.php":              5,
		"sub/deep/d.php":         5,
		"sub/deep/big.php":       2000,
		"name\nwith newline.php": 5,
		"with space.php":         5,
		"bad\xff\xfe.php":        5,
		"trailing\r":             5,
		"node_modules/x.php":     5,
		"node_modules/y/z.php":   5,
		".git/config":            5,
		"cache.tmp.php":          5,
	} {
		write(t, filepath.Join(root, name), size)
	}
	must(t, os.Symlink("a.php", filepath.Join(root, "linkfile.php")))
	must(t, os.Symlink("sub", filepath.Join(root, "linkdir")))
	must(t, os.Symlink("/etc/passwd", filepath.Join(root, "passwd.php")))
	must(t, unix.Mkfifo(filepath.Join(root, "fifo.php"), 0o644))
	return root
}
