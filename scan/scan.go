// Package scan wires the pipeline: paths from the walker, files read once
// into pooled buffers by a bounded pool of workers, matched, and handed as
// Verdicts to one sink goroutine. Channels are bounded, so memory stays
// flat however many files there are.
package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/cache"
	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/safefs"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/walker"
)

// Verdict is the result for one scanned file.
type Verdict struct {
	Target   walker.Target
	Kinds    signatures.Kind
	Size     int64  // bytes read
	SHA256   string // hex; computed only for files with findings
	Findings []matcher.Finding
	Err      error // the file could not be read; Findings is empty
	// Duplicate is set when the same content was matched earlier in the
	// run and its result reused.
	Duplicate bool
	// Cached is set when the cache knew the file unchanged and clean: it
	// was not opened (Size is 0, Kinds unknown).
	Cached bool
	// ContentCached is set when the file was read but its content was
	// known clean from an earlier run, so it was not matched.
	ContentCached bool
	// Clamd says what clamd made of the file (ClamdNotUsed without clamd).
	Clamd ClamdStatus
	// Allowlisted is set when the content's SHA-256 is on the allowlist of
	// known-good files: it was not matched.
	Allowlisted bool
}

// VerdictCache remembers verdicts between runs (package cache).
type VerdictCache interface {
	IsClean(path string, st cache.FileState) bool
	ContentClean(sha [32]byte, kinds uint16) bool
	Put(path string, st cache.FileState, sha *[32]byte, kinds uint16, v cache.Verdict)
}

// Infected reports whether the file has findings.
func (v *Verdict) Infected() bool { return len(v.Findings) > 0 }

// Sink receives the pipeline's results, from one goroutine, in no
// particular order.
type Sink interface {
	Verdict(v *Verdict)
	Skip(s walker.Skip)
}

// Inputs are where the paths to scan come from.
type Inputs struct {
	Roots []string  // files and directories to walk
	Stdin io.Reader // if non-nil, a list of paths, one per line
	Nul   bool      // the list is NUL-separated (find -print0)
}

// Config is what a scan needs.
type Config struct {
	Matcher matcher.Matcher
	Workers int            // scan workers; <=0 means GOMAXPROCS
	Walk    walker.Options // also bounds the bytes read per file (Walk.MaxSize)
	Log     *slog.Logger   // nil: discard
	// Dedupe is how many distinct contents the run remembers, to skip
	// matching identical files (0: DefaultDedupeEntries; <0: off).
	Dedupe int
	// Cache, when set, skips files unchanged since found clean, and
	// records every verdict.
	Cache VerdictCache
	// RacyWindow: files changed less than this long ago are not recorded
	// clean by their stat tuple (0: always recorded).
	RacyWindow time.Duration
	// Clamd, when set, also sends every file read to clamd, from the same
	// buffer. Its pool's workers are added to the scan workers, so that
	// files waiting for clamd do not stop the matching; reading and
	// matching stay bounded by Workers.
	Clamd *Clamd
	// Allowlist, when set, names contents (by SHA-256) known to be good:
	// they are never matched or flagged.
	Allowlist Allowlist
}

// Allowlist is a set of known-good contents (package allowlist).
type Allowlist interface {
	Contains(sum [32]byte) bool
}

// queueDepth bounds the channels between stages.
const queueDepth = 256

type event struct {
	v    *Verdict
	skip *walker.Skip
}

// Run scans inputs and delivers every verdict and skip to sink. It returns
// when everything is delivered or ctx is cancelled (then with ctx.Err()).
// Per-file problems are verdicts or skips, never errors of Run.
func Run(ctx context.Context, cfg Config, in Inputs, sink Sink) error {
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dedupeMax := cfg.Dedupe
	if dedupeMax == 0 {
		dedupeMax = DefaultDedupeEntries
	}
	dd := newDedupe(dedupeMax)
	cs := newClamdState(cfg.Clamd, log)
	goroutines := workers
	var sem chan struct{}
	if cs != nil {
		goroutines += cfg.Clamd.Pool.Workers()
		sem = make(chan struct{}, workers)
	}
	targets := make(chan walker.Target, queueDepth)
	events := make(chan event, queueDepth)
	g, gctx := errgroup.WithContext(ctx)

	emitSkip := func(s walker.Skip) {
		select {
		case events <- event{skip: &s}:
		case <-gctx.Done():
		}
	}
	// Producer: roots, then stdin.
	g.Go(func() error {
		defer close(targets)
		if len(in.Roots) > 0 {
			if err := walker.Walk(gctx, in.Roots, cfg.Walk, targets, emitSkip); err != nil {
				return err
			}
		}
		if in.Stdin != nil {
			if err := walker.ReadPaths(gctx, in.Stdin, in.Nul, cfg.Walk, targets, emitSkip); err != nil {
				return err
			}
		}
		return nil
	})
	// Workers.
	for i := 0; i < goroutines; i++ {
		g.Go(func() error {
			w := worker{m: cfg.Matcher, maxSize: cfg.Walk.MaxSize, log: log, dd: dd, cache: cfg.Cache, racyWindow: cfg.RacyWindow,
				clamd: cs, sem: sem, allow: cfg.Allowlist}
			for t := range targets {
				v := w.scan(gctx, t)
				select {
				case events <- event{v: v}:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	done := make(chan error, 1)
	go func() {
		done <- g.Wait()
		close(events)
	}()
	// Sink: this goroutine.
	for ev := range events {
		if ev.v != nil {
			sink.Verdict(ev.v)
		} else {
			sink.Skip(*ev.skip)
		}
	}
	err := <-done
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// bigBuffer is the size past which a worker drops its buffer after use, so
// one huge file does not pin memory for the rest of the run.
const bigBuffer = 4 << 20

type worker struct {
	m          matcher.Matcher
	maxSize    int64
	log        *slog.Logger
	dd         *dedupe // nil: off
	cache      VerdictCache
	racyWindow time.Duration
	clamd      *clamdState   // nil: no clamd
	allow      Allowlist     // nil: none
	sem        chan struct{} // bounds reading and matching when clamd adds goroutines
	buf        []byte
}

// scan reads and matches one file; a panic in a matcher becomes the
// file's error, never the end of the run.
func (w *worker) scan(ctx context.Context, t walker.Target) (v *Verdict) {
	v = &Verdict{Target: t}
	release := func() {}
	if w.sem != nil {
		w.sem <- struct{}{}
		var once sync.Once
		release = func() { once.Do(func() { <-w.sem }) }
	}
	defer release()
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("panic scanning file", "path", t.Path, "panic", r, "stack", string(debug.Stack()))
			v.Findings = nil
			v.Err = fmt.Errorf("%s: internal error: %v", t.Path, r)
		}
		if cap(w.buf) > bigBuffer {
			w.buf = nil
		}
	}()
	if w.cache != nil && w.cache.IsClean(t.Path, stateOf(t)) {
		v.Cached = true
		return v
	}
	data, st, err := w.read(t)
	if err != nil {
		v.Err = err
		return v
	}
	v.Size = int64(len(data))
	v.Kinds = matcher.KindsOf(t.Path, data)
	var (
		key dedupeKey
		res dedupeVal
		hit bool
	)
	if w.dd != nil {
		key = w.dd.key(data, v.Kinds)
		res, hit = w.dd.get(key)
		v.Duplicate = hit
	}
	if !hit {
		if w.cache != nil || w.allow != nil {
			res.sum, res.hasSum = sha256.Sum256(data), true
		}
		if w.allow != nil && w.allow.Contains(res.sum) {
			res.allowlisted = true
		} else if w.cache != nil {
			v.ContentCached = w.cache.ContentClean(res.sum, uint16(v.Kinds))
		}
		if !v.ContentCached && !res.allowlisted {
			res.findings = w.m.Match(data, v.Kinds)
			if w.clamd != nil {
				res.clamd = ClamdNotSent
				if w.clamd.wanted(data, v.Kinds, res.findings) {
					// clamd is slow: let other files be read and matched
					// meanwhile.
					release()
					var f *matcher.Finding
					f, res.clamd = w.clamd.scan(ctx, t.Path, data)
					if f != nil {
						res.findings = append(res.findings, *f)
					}
				}
			}
		}
		if len(res.findings) > 0 && !res.hasSum {
			res.sum, res.hasSum = sha256.Sum256(data), true
		}
		if w.dd != nil && res.clamd != ClamdMissed {
			w.dd.put(key, res)
		}
	}
	v.Clamd = res.clamd
	v.Allowlisted = res.allowlisted
	v.Findings = res.findings
	if len(v.Findings) > 0 {
		v.SHA256 = hex.EncodeToString(res.sum[:])
	}
	if w.cache != nil && v.Clamd != ClamdMissed {
		// A file clamd did not see is not vouched for: it is read again
		// next time.
		verdict := cache.Clean
		if len(v.Findings) > 0 {
			verdict = cache.Infected
		}
		var sum *[32]byte
		if res.hasSum {
			sum = &res.sum
		}
		state := fstatState(&st)
		if verdict == cache.Clean && racy(state, w.racyWindow) {
			// Changed so recently that a rewrite in the same clock tick
			// (coarse timestamps) would leave the same stat tuple: do
			// not vouch for the file, only for its content.
			state = cache.FileState{}
		}
		w.cache.Put(t.Path, state, sum, uint16(v.Kinds), verdict)
	}
	return v
}

// DefaultRacyWindow is how recent a change must be for its stat tuple not
// to be trusted: kernels before 6.13 update ctime and mtime once per clock
// tick, so a file rewritten right after it was read may keep its tuple
// (git calls such entries racy).
const DefaultRacyWindow = 2 * time.Second

func racy(st cache.FileState, window time.Duration) bool {
	return window > 0 && time.Now().UnixNano()-max(st.Mtime, st.Ctime) < int64(window)
}

// stateOf is the stat tuple the walker saw.
func stateOf(t walker.Target) cache.FileState {
	return cache.FileState{Dev: t.Dev, Ino: t.Ino, Size: t.Size, Mtime: t.Mtime, Ctime: t.Ctime}
}

// fstatState is the stat tuple of the file as opened.
func fstatState(st *unix.Stat_t) cache.FileState {
	return cache.FileState{Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: st.Size, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}
}

// ErrTooBig is returned for a file that grew past the size limit after it
// was listed.
var ErrTooBig = errors.New("file larger than the size limit")

// read reads the whole file into the worker's buffer, through safefs (no
// symlinks, no FIFOs, the same inode the walker saw). Pages that were not
// in the page cache before are dropped again after reading, so a nightly
// scan neither evicts a busy server's hot cache nor fills it with cold
// files; pages that were cached stay cached. The file is read as it was
// when opened: bytes appended after its fstat may be missed.
func (w *worker) read(t walker.Target) ([]byte, unix.Stat_t, error) {
	fd, st, err := safefs.OpenExpectFD(t.Path, t.Dev, t.Ino)
	if err != nil {
		return nil, st, err
	}
	defer unix.Close(fd)
	size := st.Size
	if w.maxSize > 0 && size > w.maxSize {
		return nil, st, fmt.Errorf("%s: %w (%d bytes)", t.Path, ErrTooBig, size)
	}
	want := int(size) + 1 // one more byte to notice growth
	if cap(w.buf) < want {
		w.buf = make([]byte, 0, max(want, 64<<10))
	}
	buf := w.buf[:cap(w.buf)]
	// A first read that succeeds only from the page cache tells what was
	// cached: everything after its end was not.
	n, known := safefs.ReadCachedFD(fd, buf[:want], 0)
	cachedEnd := int64(n)
	if !known {
		cachedEnd = int64(^uint64(0) >> 1) // cannot tell: leave the cache alone
	}
	for int64(n) != size {
		if n == len(buf) { // the file grew since fstat
			if w.maxSize > 0 && int64(n) > w.maxSize {
				break
			}
			buf = append(buf, make([]byte, len(buf))...)
			buf = buf[:cap(buf)]
		}
		m, err := unix.Pread(fd, buf[n:], int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, st, &os.PathError{Op: "read", Path: t.Path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	if cachedEnd < int64(n) {
		safefs.DropCacheFD(fd, cachedEnd)
	}
	w.buf = buf[:0]
	if w.maxSize > 0 && int64(n) > w.maxSize {
		return nil, st, fmt.Errorf("%s: %w (grew while being read)", t.Path, ErrTooBig)
	}
	return buf[:n], st, nil
}
