package walker

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// direntBufSize is the getdents buffer of one worker: about 500 entries of
// typical name length per system call.
const direntBufSize = 32 << 10

// Walk walks the directory trees at roots and sends every regular file that
// passes the filters of opts to out, and reports everything else to skip.
//
// Each root is what the administrator typed: it is made absolute and its
// symlinks are resolved (like find -H); that is the only place a symlink is
// ever followed. A root that is a regular file is filtered and emitted like
// any other file; a missing or unreadable root is reported to skip with
// SkipError and the walk goes on. ExcludeDirs is not applied to the roots.
// Roots are not deduplicated: a root given twice, or inside another, is
// walked twice.
//
// Directories are read by opts.Workers goroutines sharing a stack of
// pending directories; each entry is stat'ed relative to its directory's
// descriptor and never followed. Paths are the root's real path joined with
// the entries' names byte for byte. Emission order is unspecified.
//
// skip may be nil; it is never called concurrently. Walk does not close
// out. It returns when all roots are done, with nil, with ctx.Err() soon
// after ctx is cancelled (it never blocks on a full out after that), or
// with an error at once if opts is invalid.
func Walk(ctx context.Context, roots []string, opts Options, out chan<- Target, skip func(Skip)) error {
	w, err := newWalker(opts, out, skip)
	if err != nil {
		return err
	}
	return w.walk(ctx, roots)
}

// walker is the state of one Walk.
type walker struct {
	filter  *filter
	workers int
	oneFS   bool
	out     chan<- Target
	stack   *stack

	skipMu sync.Mutex
	skipFn func(Skip)

	// beforeOpen, when set (by tests), runs before a directory is opened.
	beforeOpen func(dir string)
}

func newWalker(opts Options, out chan<- Target, skip func(Skip)) (*walker, error) {
	f, err := newFilter(opts)
	if err != nil {
		return nil, err
	}
	n := opts.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &walker{
		filter:  f,
		workers: n,
		oneFS:   opts.OneFileSystem,
		out:     out,
		stack:   newStack(),
		skipFn:  skip,
	}, nil
}

func (w *walker) walk(ctx context.Context, roots []string) error {
	for _, r := range roots {
		if err := w.root(ctx, r); err != nil {
			return err
		}
	}
	if w.stack.len() == 0 {
		return ctx.Err()
	}
	// Cancellation wakes the workers waiting for a directory. A worker
	// fails only when ctx is cancelled, so ctx is all they need.
	stopped := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		w.stack.stop()
		close(stopped)
	})
	defer func() {
		if !stop() {
			<-stopped // do not return while the AfterFunc still runs
		}
	}()
	var g errgroup.Group
	for range w.workers {
		g.Go(func() error { return w.work(ctx) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// root resolves one root argument and emits it or pushes it.
func (w *walker) root(ctx context.Context, arg string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	abs, err := filepath.Abs(arg)
	if err != nil {
		w.skip(Skip{Path: arg, Reason: SkipError, Err: err})
		return nil
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		w.skip(Skip{Path: arg, Reason: SkipError, Err: err})
		return nil
	}
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Lstat(resolved, &st) }); err != nil {
		w.skip(Skip{Path: resolved, Reason: SkipError, Err: &os.PathError{Op: "lstat", Path: resolved, Err: err}})
		return nil
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		dev := uint64(st.Dev)
		w.stack.push(dirJob{path: resolved, dev: dev, ino: uint64(st.Ino), rootDev: dev, fresh: w.filter.dirFresh(&st)})
		return nil
	}
	return w.emitFile(ctx, resolved, filepath.Base(resolved), &st, false)
}

// work reads directories until the walk is over or cancelled.
func (w *walker) work(ctx context.Context) error {
	r := &reader{w: w, buf: make([]byte, direntBufSize)}
	for {
		job, ok := w.stack.pop()
		if !ok {
			return ctx.Err()
		}
		err := r.readDir(ctx, job)
		w.stack.done()
		if err != nil {
			return err
		}
	}
}

// emitFile filters a non-directory and sends it to out or reports it.
func (w *walker) emitFile(ctx context.Context, path, name string, st *unix.Stat_t, fresh bool) error {
	t, why := w.filter.file(path, name, st, fresh)
	if why != keep {
		w.skip(Skip{Path: path, Reason: why})
		return nil
	}
	return send(ctx, w.out, t)
}

func (w *walker) skip(s Skip) {
	if w.skipFn == nil {
		return
	}
	w.skipMu.Lock()
	defer w.skipMu.Unlock()
	w.skipFn(s)
}

// send sends t unless ctx is cancelled first.
func send(ctx context.Context, out chan<- Target, t Target) error {
	select {
	case out <- t:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// join appends a directory entry's name to its directory's path.
func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// ignoringEINTR retries fn while a signal interrupts it.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}
