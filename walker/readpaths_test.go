package walker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func readPaths(t *testing.T, input string, nul bool, opts Options) result {
	t.Helper()
	return run(t, func(out chan<- Target, skip func(Skip)) error {
		return ReadPaths(context.Background(), strings.NewReader(input), nul, opts, out, skip)
	})
}

func TestReadPaths(t *testing.T) {
	root := fixture(t)
	t.Chdir(root + "/sub")
	long := "/" + strings.Repeat("x", 10000)
	cases := []struct {
		name  string
		input string
		nul   bool
		opts  Options
		want  []string          // relative to root
		skips map[string]Reason // relative to root, or absolute
	}{
		{
			name: "lines",
			input: root + "/a.php\n" +
				"\n" + // ignored
				root + "/with space.php\n" +
				"c.php\n" + // relative to the working directory
				"./deep/d.php\n" +
				root + "/bad\xff\xfe.php\n" +
				root + "/trailing\r\n" + // the \r is part of the name
				root + "/sub\n" +
				root + "/linkfile.php\n" +
				root + "/fifo.php\n" +
				root + "/nope.php\n" +
				long + "\n" +
				root + "/b.txt", // no final newline
			want: []string{"a.php", "with space.php", "sub/c.php", "sub/deep/d.php", "bad\xff\xfe.php", "trailing\r", "b.txt"},
			skips: map[string]Reason{
				"sub": SkipDirectory, "linkfile.php": SkipSymlink, "fifo.php": SkipSpecial,
				"nope.php": SkipError, long[:maxPath]: SkipError,
			},
		},
		{
			name:  "nul",
			input: root + "/name\nwith newline.php\x00\x00" + root + "/a.php\x00" + root + "/linkdir\x00",
			nul:   true,
			want:  []string{"name\nwith newline.php", "a.php"},
			skips: map[string]Reason{"linkdir": SkipSymlink},
		},
		{
			name:  "newline-separated names are cut at the newline",
			input: root + "/name\nwith newline.php\n",
			skips: map[string]Reason{"name": SkipError, filepath.Join(root, "sub/with newline.php"): SkipError},
		},
		{
			name: "filters",
			input: root + "/a.php\n" + root + "/b.txt\n" + root + "/sub/deep/big.php\n" +
				root + "/node_modules/x.php\n" + root + "/node_modules/y/z.php\n" + root + "/cache.tmp.php\n",
			opts: Options{Extensions: []string{"php"}, MaxSize: 100, ExcludeDirs: []string{"node_modules"}, Exclude: []string{"*.tmp.*"}},
			want: []string{"a.php"},
			skips: map[string]Reason{
				"b.txt": SkipFilter, "sub/deep/big.php": SkipTooBig, "node_modules/x.php": SkipFilter,
				"node_modules/y/z.php": SkipFilter, "cache.tmp.php": SkipFilter,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := readPaths(t, c.input, c.nul, c.opts)
			must(t, res.err)
			checkTargets(t, root, res, c.want)
			for p, want := range c.skips {
				if !filepath.IsAbs(p) {
					p = filepath.Join(root, p)
				}
				if got := res.skips[p]; got.Reason != want {
					t.Errorf("skip of %q: %v, want %v (skips: %v)", p, got.Reason, want, res.skips)
				}
			}
		})
	}
	t.Run("too long", func(t *testing.T) {
		res := readPaths(t, long+"\n", false, Options{})
		s := res.skips[long[:maxPath]]
		if !errors.Is(s.Err, unix.ENAMETOOLONG) {
			t.Errorf("long path: %+v, want ENAMETOOLONG", s)
		}
		res = readPaths(t, root+"/nope", false, Options{})
		if s := res.skips[root+"/nope"]; !errors.Is(s.Err, fs.ErrNotExist) {
			t.Errorf("missing path: %+v, want ENOENT", s)
		}
	})
}

// TestReadRecord exercises long records with the smallest bufio buffer.
func TestReadRecord(t *testing.T) {
	for _, c := range []struct {
		name    string
		input   string
		recs    []string
		tooLong []bool
	}{
		{"empty", "", []string{""}, []bool{false}},
		{"lines", "a\nbb\n\nccc", []string{"a", "bb", "", "ccc"}, []bool{false, false, false, false}},
		{"final newline", "a\n", []string{"a", ""}, []bool{false, false}},
		{"limit", strings.Repeat("y", maxPath-1) + "\n" + strings.Repeat("z", maxPath) + "\nq",
			[]string{strings.Repeat("y", maxPath-1), strings.Repeat("z", maxPath), "q"}, []bool{false, true, false}},
		{"huge", strings.Repeat("w", 100000) + "\nok\n",
			[]string{strings.Repeat("w", maxPath), "ok", ""}, []bool{true, false, false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(c.input), 16)
			buf := make([]byte, 0, maxPath)
			for i := 0; ; i++ {
				rec, tooLong, err := readRecord(br, '\n', buf)
				if i >= len(c.recs) {
					t.Fatalf("extra record %q", rec)
				}
				if string(rec) != c.recs[i] || tooLong != c.tooLong[i] {
					t.Fatalf("record %d: %.20q… (%d bytes) tooLong=%v, want %.20q… (%d) %v",
						i, rec, len(rec), tooLong, c.recs[i], len(c.recs[i]), c.tooLong[i])
				}
				if err == io.EOF {
					if i != len(c.recs)-1 {
						t.Fatalf("EOF after %d records, want %d", i+1, len(c.recs))
					}
					return
				}
				must(t, err)
			}
		})
	}
}

// endless yields the same line forever.
type endless struct{ line []byte }

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n+len(e.line) <= len(p) {
		n += copy(p[n:], e.line)
	}
	return n, nil
}

func TestReadPathsCancel(t *testing.T) {
	root := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Target) // never read
	done := make(chan error)
	go func() {
		done <- ReadPaths(ctx, endless{[]byte(root + "/a.php\n")}, false, Options{}, out, nil)
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadPaths: %v, want context.Canceled", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestReadPathsReadError(t *testing.T) {
	err := ReadPaths(context.Background(), io.MultiReader(bytes.NewReader([]byte("x\n")), failingReader{}),
		false, Options{}, make(chan Target, 1), nil)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("ReadPaths: %v, want the read error", err)
	}
}
