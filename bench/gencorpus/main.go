// Command gencorpus writes a deterministic shared-hosting file tree for
// benchmarks: OUT/home/userNNNN/public_html/... with copies of PHP
// applications (synthetic ones, or real ones with -real), per-user files
// (custom PHP, images, scripts, style sheets, Maildir messages, logs) and
// planted web shells. The same flags always produce the same bytes.
//
//	go run ./bench/gencorpus -out /var/tmp/t -users 200 -files 100000
//	go run ./bench/gencorpus -out /var/tmp/r -users 24 -real /var/tmp/real-apps
//	go run ./bench/gencorpus -out /var/tmp/m -users 1000 -files 1000000 -small
//
// Besides OUT/home it writes OUT/planted.txt (one planted shell per line:
// path relative to OUT, a tab, its source) and OUT/gencorpus.json (the flags
// and totals; scripts compare it to decide whether a tree can be reused).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	out      string
	users    int
	files    int
	filesSet bool
	seed     uint64
	shells   int
	real     string
	shellSrc string
	small    bool
	unique   int
	force    bool
	workers  int
	quiet    bool
}

func main() {
	var o options
	fs := flag.NewFlagSet("gencorpus", flag.ContinueOnError)
	fs.StringVar(&o.out, "out", "", "output directory (required); the tree goes to OUT/home")
	fs.IntVar(&o.users, "users", 100, "number of hosting accounts (home/userNNNN)")
	fs.IntVar(&o.files, "files", 50000, "approximate total number of files (with -real: only when set; see -unique)")
	fs.Uint64Var(&o.seed, "seed", 1, "PRNG seed: same flags and seed give the same bytes")
	fs.IntVar(&o.shells, "shells", 20, "number of planted shells")
	fs.StringVar(&o.real, "real", "", "directory of real PHP apps, one per subdirectory (bench/fetch-real.sh); copied instead of synthetic apps")
	fs.StringVar(&o.shellSrc, "shell-src", "", "directory of shell samples to plant (default: ../shared/corpus/malicious/pmf when present; \"none\": harmless marker files)")
	fs.BoolVar(&o.small, "small", false, "small-files mode: every file 100 B - 4 KB (for 1,000,000-file trees)")
	fs.IntVar(&o.unique, "unique", 60, "with -real and no -files: synthetic per-user files (custom PHP, images, mail, logs) per user")
	fs.BoolVar(&o.force, "force", false, "replace an existing OUT/home")
	fs.IntVar(&o.workers, "j", 2*runtime.GOMAXPROCS(0), "parallel file writers")
	fs.BoolVar(&o.quiet, "q", false, "no progress on stderr")
	printArgs := fs.Bool("print-args", false, "print the canonical form of the flags (the \"args\" of OUT/gencorpus.json) and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "files" {
			o.filesSet = true
		}
	})
	if o.out == "" || fs.NArg() != 0 || o.users < 1 || o.files < 1 || o.shells < 0 || o.workers < 1 {
		fmt.Fprintln(os.Stderr, "usage: gencorpus -out DIR [-users N] [-files N] [-seed N] [-shells N] [-real DIR] [-small] [-force]")
		fs.PrintDefaults()
		os.Exit(2)
	}
	if o.small && o.real != "" {
		fmt.Fprintln(os.Stderr, "gencorpus: -small and -real exclude each other")
		os.Exit(2)
	}
	if *printArgs {
		src, err := findShellSrc(o.shellSrc)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(2)
		}
		fmt.Println(canonicalArgs(o, src))
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}

// manifest is OUT/gencorpus.json. It holds nothing that varies between runs
// with the same flags.
type manifest struct {
	Generator   string         `json:"generator"`
	Args        string         `json:"args"`
	Files       int64          `json:"files"`
	Bytes       int64          `json:"bytes"`
	Users       int            `json:"users"`
	Planted     int            `json:"planted"`
	ShellSource string         `json:"shell_source"`
	ByKind      map[string]int `json:"files_by_kind"`
}

const generatorVersion = "gencorpus/1"

// canonicalArgs is the part of the flags that determines the bytes.
func canonicalArgs(o options, shellSrc string) string {
	s := fmt.Sprintf("%s users=%d seed=%d shells=%d small=%t", generatorVersion, o.users, o.seed, o.shells, o.small)
	if o.real == "" || o.filesSet {
		s += " files=" + strconv.Itoa(o.files)
	}
	if o.real != "" {
		abs, _ := filepath.Abs(o.real)
		s += " real=" + abs
		if !o.filesSet {
			s += " unique=" + strconv.Itoa(o.unique)
		}
	}
	if shellSrc != "" {
		abs, _ := filepath.Abs(shellSrc)
		s += " shell-src=" + abs
	} else {
		s += " shell-src=none"
	}
	return s
}

func run(ctx context.Context, o options, logw io.Writer) error {
	start := time.Now()
	shellSrc, err := findShellSrc(o.shellSrc)
	if err != nil {
		return err
	}
	var samples []string
	if shellSrc != "" {
		if samples, err = listFiles(shellSrc); err != nil {
			return fmt.Errorf("-shell-src: %w", err)
		}
		if len(samples) == 0 {
			shellSrc = ""
		}
	}
	home := filepath.Join(o.out, "home")
	if _, err := os.Lstat(home); err == nil {
		if !o.force {
			return fmt.Errorf("%s exists (use -force to replace it)", home)
		}
		if !o.quiet {
			fmt.Fprintf(logw, "gencorpus: removing %s\n", home)
		}
		if err := os.RemoveAll(home); err != nil {
			return err
		}
	}
	for _, f := range []string{"planted.txt", "gencorpus.json"} {
		if err := os.Remove(filepath.Join(o.out, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}

	var apps []realApp
	if o.real != "" {
		if apps, err = loadReal(o.real); err != nil {
			return err
		}
	}

	w := newWriter(ctx, o.workers)
	if !o.quiet {
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					fmt.Fprintf(logw, "gencorpus: %d files, %.0f MB ...\n", w.files.Load(), float64(w.bytes.Load())/1e6)
				}
			}
		}()
	}
	p := &planner{o: o, w: w, made: map[string]bool{"home": true}, samples: samples}
	if o.real != "" {
		p.planReal(apps)
	} else {
		p.planSynthetic()
	}
	w.close()
	if err := w.wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// planted.txt and gencorpus.json
	sort.Slice(p.planted, func(i, j int) bool { return p.planted[i][0] < p.planted[j][0] })
	var pl strings.Builder
	for _, x := range p.planted {
		pl.WriteString(x[0] + "\t" + x[1] + "\n")
	}
	if err := os.WriteFile(filepath.Join(o.out, "planted.txt"), []byte(pl.String()), 0o644); err != nil {
		return err
	}
	m := manifest{
		Generator: generatorVersion, Args: canonicalArgs(o, shellSrc),
		Files: w.files.Load(), Bytes: w.bytes.Load(), Users: o.users, Planted: len(p.planted),
		ShellSource: "marker", ByKind: map[string]int{},
	}
	if shellSrc != "" {
		m.ShellSource = shellSrc
		if abs, err := filepath.Abs(shellSrc); err == nil {
			m.ShellSource = abs
		}
	}
	for k := kind(0); k < numKinds; k++ {
		if n := w.byKind[k].Load(); n > 0 {
			m.ByKind[k.String()] = int(n)
		}
	}
	js, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(o.out, "gencorpus.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if !o.quiet {
		el := time.Since(start).Seconds()
		fmt.Fprintf(logw, "gencorpus: %s: %d files, %.1f MB, %d users, %d planted shells (%s) in %.1fs (%.0f files/s)\n",
			home, m.Files, float64(m.Bytes)/1e6, o.users, m.Planted, m.ShellSource, el, float64(m.Files)/el)
	}
	return nil
}

// findShellSrc resolves -shell-src: "none" → markers; "" → the shared pmf
// corpus relative to the working directory or the module root, if present.
func findShellSrc(v string) (string, error) {
	switch v {
	case "none":
		return "", nil
	case "":
	default:
		if st, err := os.Stat(v); err != nil || !st.IsDir() {
			return "", fmt.Errorf("-shell-src %s: not a directory", v)
		}
		return v, nil
	}
	const rel = "../shared/corpus/malicious/pmf"
	cands := []string{rel}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				cands = append(cands, filepath.Join(d, rel))
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, nil
		}
	}
	return "", nil
}

// listFiles returns the regular files under dir, sorted.
func listFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// ---- writer ----

type job struct {
	path string // absolute
	k    kind
	size int
	seed uint64
	aux  string // user name, for generated logs, mail and configs
	src  string // kCopy
}

type writer struct {
	ctx    context.Context
	jobs   chan job
	wg     sync.WaitGroup
	errMu  sync.Mutex
	err    error
	failed atomic.Bool
	files  atomic.Int64
	bytes  atomic.Int64
	byKind [numKinds]atomic.Int64
}

func newWriter(ctx context.Context, n int) *writer {
	w := &writer{ctx: ctx, jobs: make(chan job, 4*n)}
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go w.work()
	}
	return w
}

func (w *writer) fail(err error) {
	w.errMu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.errMu.Unlock()
	w.failed.Store(true)
}

func (w *writer) stopped() bool { return w.failed.Load() || w.ctx.Err() != nil }

func (w *writer) submit(j job) {
	if w.stopped() {
		return
	}
	w.jobs <- j
}

func (w *writer) close() { close(w.jobs) }

func (w *writer) wait() error {
	w.wg.Wait()
	return w.err
}

func (w *writer) work() {
	defer w.wg.Done()
	buf := make([]byte, 0, 64<<10)
	for j := range w.jobs {
		if w.stopped() {
			continue
		}
		var n int64
		var err error
		if j.k == kCopy {
			n, err = copyFile(j.src, j.path)
		} else {
			buf = generate(j.k, j.size, j.seed, j.aux, buf)
			n = int64(len(buf))
			err = writeNew(j.path, buf)
			if cap(buf) > 4<<20 {
				buf = make([]byte, 0, 64<<10)
			}
		}
		if err != nil {
			w.fail(err)
			continue
		}
		w.files.Add(1)
		w.bytes.Add(n)
		w.byKind[j.k].Add(1)
	}
}

func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("copy %s: %w", src, err)
	}
	return n, nil
}
