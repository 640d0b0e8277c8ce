package maillog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
	"unsafe"
)

// DefaultMaxLine is the longest line Source delivers whole when MaxLine is
// zero. syslog daemons cap messages well below it (rsyslog: 8 KiB).
const DefaultMaxLine = 64 << 10

// maxMaxLine caps Source.MaxLine: the line buffer is allocated whole.
const maxMaxLine = 16 << 20

// peekLimit bounds how much of a file's head Source reads to find its
// first timestamp.
const peekLimit = 1 << 20

// Source reads log lines within a time window from files and their rotated
// copies, or from standard input.
//
// For each path it reads the file and, only when the window reaches back
// before the file's first timestamp, its rotated copies: PATH.1, PATH.2.gz,
// ... then PATH-YYYYMMDD[HH][.gz], newest first, each opened only if the
// newer one's first timestamp is after Since (or the newer one is empty).
// A file whose head (first MiB) has lines but no timestamp stops the walk:
// its older copies cannot be placed in time. All files of one path are
// opened before any is read, then read oldest first.
//
// Order: lines of one path arrive in file order, oldest file first, so in
// time order as far as the files are (syslog's clock may jump: lines are
// filtered one by one, never by stopping early). Paths are read one after
// the other in the order given, not merged. A file met twice (the same
// inode, e.g. through a symlink or a path listed twice) is read once.
//
// gzip is recognised by a ".gz" name (then required: a bad header is an
// error) or by its magic bytes (any file, and stdin). Nothing is loaded
// whole: lines are read through a buffer of MaxLine bytes.
type Source struct {
	// Paths are the logs to read. "-" reads Stdin (not rotated).
	Paths []string
	Stdin io.Reader
	// Since and Until bound the window, both inclusive. A zero Since has no
	// lower bound (all rotated copies are read); a zero Until no upper.
	Since, Until time.Time
	// Now and Loc configure the TimeParser (year inference, zone of
	// zone-less timestamps); zero values mean time.Now() and time.Local.
	Now time.Time
	Loc *time.Location
	// MaxLine is the longest line delivered whole; 0 means DefaultMaxLine,
	// and more than 16 MiB means 16 MiB.
	// Longer lines are delivered cut to MaxLine bytes and counted in
	// Stats.Truncated (so a PHP mail() line with megabytes of headers still
	// counts), the rest of the line skipped.
	MaxLine int
	// KeepUndated delivers lines with no recognised timestamp (Time zero,
	// Msg the whole line), as always inside the window, instead of counting
	// them malformed. Set it for PHP's mail.log: older PHP wrote no date.
	KeepUndated bool
	// Contains, when set, passes on only the lines holding one of these
	// strings (e.g. "sasl_username="), tested on the raw bytes before any
	// parsing or allocation: most of a mail log is skipped at memchr speed.
	// Give sysklogd's "last message repeated" too if such lines matter.
	Contains []string
	// Borrow passes lines whose strings point into the read buffer: valid
	// only until fn returns (fn must clone what it keeps). It saves a copy
	// of every line passed on.
	Borrow bool
	// OnMalformed, when set, is called with each malformed line (for
	// mailscan -v). With LinesParallel it may be called concurrently.
	OnMalformed func(raw string)
}

// Stats counts what Source.Lines read.
type Stats struct {
	Files     []string // files read (in part, if an error stopped one), in order; "-" for stdin
	Lines     int64    // lines read
	InWindow  int64    // lines passed to fn
	Malformed int64    // lines not passed to fn because they did not parse
	Truncated int64    // lines longer than MaxLine (passed to fn cut, if in the window)
	Bytes     int64    // bytes read, after decompression
}

// Lines calls fn for each line within the window, in the order described
// on Source. The *Line passed to fn is reused for the next line: copy the
// Line (not the pointer) to keep it; its strings are never overwritten and
// are safe to keep (a substring keeps its whole line alive: clone short
// keys kept for long).
//
// Lines out of the window cost a timestamp parse and no allocation; they
// are counted in Lines only. A line in the window that does not parse is
// counted Malformed. sysklogd's "last message repeated N times" passes the
// line before it again with Repeat N (and this line's Time and Raw).
//
// A configured path that cannot be opened (missing: errors.Is(err,
// fs.ErrNotExist)) or is not a regular file is an error naming it, returned
// before any line is read. A missing rotated copy is normal. Other
// per-file errors (a corrupt .gz, a read error) are joined into the
// returned error while the other files are still read; the lines already
// passed to fn stand. An error from fn, or ctx's, stops at once and is
// returned as is.
func (s *Source) Lines(ctx context.Context, fn func(*Line) error) (Stats, error) {
	return s.lines(ctx, fn, nil)
}

// LinesParallel is Lines for big logs on several cores: a plain
// (uncompressed) file is cut into workers parts at line boundaries, each
// part read by its own goroutine calling its own fn, made by newFn (one
// per part, and one for stdin and gzipped files, which are read in one
// piece). Each fn sees its lines in order; across fns there is no order,
// so callers merge what their fns gathered. It needs Contains: the parts
// are searched for those strings, as grep does, and only the lines holding
// one are parsed. sysklogd's "last message repeated N times" counts when
// it directly follows a line that is passed on.
func (s *Source) LinesParallel(ctx context.Context, workers int, newFn func() func(*Line) error) (Stats, error) {
	if workers <= 1 || len(s.Contains) == 0 {
		return s.lines(ctx, newFn(), nil)
	}
	return s.lines(ctx, newFn(), &parallel{workers: workers, newFn: newFn})
}

func (s *Source) lines(ctx context.Context, fn func(*Line) error, par *parallel) (Stats, error) {
	r := &run{
		src:      s,
		fn:       fn,
		tp:       &TimeParser{Now: s.Now, Loc: s.Loc},
		max:      s.MaxLine,
		hasUntil: !s.Until.IsZero(),
		par:      par,
	}
	if r.max <= 0 {
		r.max = DefaultMaxLine
	}
	for _, c := range s.Contains {
		r.filter = append(r.filter, []byte(c))
	}
	r.max = min(r.max, maxMaxLine)
	defer r.closeAll()

	// Open every configured file first: a bad path fails before any work.
	current := make([]*logFile, len(s.Paths))
	for i, p := range s.Paths {
		if p == "-" {
			if s.Stdin == nil {
				return r.stats, errors.New("-: no standard input to read")
			}
			continue
		}
		lf, err := r.open(p)
		if err != nil {
			return r.stats, err
		}
		current[i] = lf
	}

	for i, p := range s.Paths {
		if err := ctx.Err(); err != nil {
			return r.stats, err
		}
		if p == "-" {
			r.stats.Files = append(r.stats.Files, "-")
			if err := r.readStream(ctx, "-", s.Stdin, false); err != nil {
				return r.stats, err
			}
			continue
		}
		if r.seenBefore(current[i].info) {
			continue
		}
		chain := r.plan(current[i])
		for j := len(chain) - 1; j >= 0; j-- {
			lf := chain[j]
			if lf.bad {
				continue
			}
			r.stats.Files = append(r.stats.Files, lf.name)
			var err error
			if r.par != nil && !strings.HasSuffix(lf.name, ".gz") && !fileIsGzip(lf.f) {
				err = r.readParallel(ctx, lf)
			} else {
				err = r.readStream(ctx, lf.name, lf.f, strings.HasSuffix(lf.name, ".gz"))
			}
			lf.f.Close()
			if err != nil {
				return r.stats, err
			}
		}
	}
	return r.stats, errors.Join(r.errs...)
}

// logFile is an open log file.
type logFile struct {
	name string
	f    *os.File
	info os.FileInfo
	bad  bool // its head could not be read; the error is recorded
}

// run is the state of one Source.Lines call.
type run struct {
	src      *Source
	fn       func(*Line) error
	tp       *TimeParser
	max      int
	hasUntil bool

	stats  Stats
	errs   []error
	opened []*os.File
	seen   []os.FileInfo

	cur    Line // the Line passed to fn
	prev   Line // the line before, for "last message repeated"
	prevOK bool
	// prevRaw holds the line before when lines are borrowed (Source.Borrow).
	prevRaw []byte
	filter  [][]byte  // Source.Contains
	pivots  []int     // the byte of each filter string that parts search for
	par     *parallel // LinesParallel's settings; nil for Lines
}

func (r *run) open(name string) (*logFile, error) {
	f, fi, err := openRegular(name)
	if err != nil {
		return nil, err
	}
	r.opened = append(r.opened, f)
	return &logFile{name: name, f: f, info: fi}, nil
}

func (r *run) closeAll() {
	for _, f := range r.opened {
		f.Close() // read-only; closing twice only returns ErrClosed
	}
}

// seenBefore reports whether fi's file was met before, and remembers it.
func (r *run) seenBefore(fi os.FileInfo) bool {
	for _, s := range r.seen {
		if os.SameFile(s, fi) {
			return true
		}
	}
	r.seen = append(r.seen, fi)
	return false
}

// plan returns cur and the rotated copies the window needs, newest first,
// all open. Errors met are recorded; the walk stops at them.
func (r *run) plan(cur *logFile) []*logFile {
	chain := []*logFile{cur}
	if !r.needOlder(cur) {
		return chain
	}
	names, err := rotatedNames(cur.name)
	if err != nil {
		r.errs = append(r.errs, err)
		return chain
	}
	for _, name := range names {
		lf, err := r.open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // rotated away meanwhile
		}
		if err != nil {
			r.errs = append(r.errs, err)
			break
		}
		if r.seenBefore(lf.info) {
			continue
		}
		chain = append(chain, lf)
		if !r.needOlder(lf) {
			break
		}
	}
	return chain
}

// needOlder reports whether the window reaches before lf's first line.
func (r *run) needOlder(lf *logFile) bool {
	if r.src.Since.IsZero() {
		return true
	}
	first, empty, err := r.firstTime(lf)
	switch {
	case err != nil:
		r.errs = append(r.errs, fmt.Errorf("%s: %w", lf.name, err))
		lf.bad = true
		return false
	case empty:
		return true // just rotated
	case first.IsZero():
		return false // no timestamps: older copies cannot be placed
	}
	return first.After(r.src.Since)
}

// firstTime returns the first timestamp in lf's head, zero if there is
// none; empty is true when lf has no lines at all. It does not move lf's
// offset.
func (r *run) firstTime(lf *logFile) (first time.Time, empty bool, err error) {
	size := lf.info.Size()
	if size == 0 {
		return time.Time{}, true, nil
	}
	br, err := r.stream(sectionReader(lf.f, size), strings.HasSuffix(lf.name, ".gz"))
	if err != nil {
		return time.Time{}, false, err
	}
	lr := lineReader{br: br}
	for lr.n < peekLimit {
		b, _, err := lr.next()
		if err == io.EOF {
			return time.Time{}, lr.n == 0, nil
		}
		if err != nil {
			return time.Time{}, false, err
		}
		if t, _, f := r.tp.Parse(view(b)); f != FormatNone {
			return t, false, nil
		}
	}
	return time.Time{}, false, nil
}

// stream returns a buffered reader of in's lines, gunzipping it when
// forceGz or when it starts with gzip's magic.
func (r *run) stream(in io.Reader, forceGz bool) (*bufio.Reader, error) {
	// The buffer holds a line of max bytes and its newline.
	br := bufio.NewReaderSize(in, r.max+1)
	if !forceGz && !isGzip(br) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	return bufio.NewReaderSize(zr, r.max+1), nil
}

// readStream passes in's lines to fn. A read error is recorded with name;
// the returned error (fn's or ctx's) stops everything.
func (r *run) readStream(ctx context.Context, name string, in io.Reader, forceGz bool) error {
	br, err := r.stream(in, forceGz)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
		return nil
	}
	lr := lineReader{br: br}
	defer func() { r.stats.Bytes += lr.n }()
	r.prevOK = false
	for {
		b, long, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
			return nil
		}
		r.stats.Lines++
		if r.stats.Lines&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if long {
			r.stats.Truncated++
			b = b[:min(len(b), r.max)]
		}
		if len(r.filter) > 0 && !containsAny(b, r.filter) {
			r.prevOK = false // a "last message repeated" must follow its line
			continue
		}
		if err := r.line(b); err != nil {
			return err
		}
	}
}

// line filters one line by time and passes it on.
func (r *run) line(b []byte) error {
	t, rest, f := r.tp.Parse(view(b))
	if f == FormatNone {
		if !r.src.KeepUndated {
			r.malformed(b)
			r.prevOK = false
			return nil
		}
	} else if t.Before(r.src.Since) || r.hasUntil && t.After(r.src.Until) {
		r.prevOK = false
		return nil
	}
	var raw string
	if r.src.Borrow {
		raw = view(b)
	} else {
		raw = string(b)
	}
	l := &r.cur
	if !fillLine(l, raw, t, raw[len(raw)-len(rest):], f) && f != FormatNone {
		r.malformed(b)
		r.prevOK = false
		return nil
	}
	if f == FormatSyslog || f == FormatRFC3339 {
		// sysklogd writes the line untagged; a tagged one is anybody's
		// (logger -t x "last message repeated 999999 times").
		if n, ok := lastRepeated(l.Msg); ok && l.Program == "" && r.prevOK {
			rep := r.previous()
			if rep.Host == l.Host {
				rep.Time, rep.Raw, rep.Repeat = l.Time, l.Raw, n
				*l = rep
			}
		} else if r.src.Borrow {
			// The line's strings die with the buffer: keep its bytes.
			r.prevRaw, r.prevOK = append(r.prevRaw[:0], b...), true
		} else {
			r.prev, r.prevOK = *l, true
		}
	} else {
		r.prevOK = false
	}
	r.stats.InWindow++
	return r.fn(l)
}

// view returns b as a string without copying. The string must not outlive
// the next read into b's buffer: it is only parsed, never kept (Parse
// clones what it caches).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// lineReader reads lines through a bufio.Reader without copying: a line is
// valid until the next call. A line longer than the buffer comes back cut,
// with long set, and its rest is skipped on the next call.
type lineReader struct {
	br   *bufio.Reader
	skip bool  // in the middle of a long line
	n    int64 // bytes consumed
}

// next returns the next line without its "\n" or "\r\n". err is io.EOF
// at the end, or the read error (a partial last line is then dropped).
func (lr *lineReader) next() (line []byte, long bool, err error) {
	for lr.skip {
		b, err := lr.br.ReadSlice('\n')
		lr.n += int64(len(b))
		if err == bufio.ErrBufferFull {
			continue
		}
		lr.skip = false
		if err != nil {
			return nil, false, err
		}
	}
	b, err := lr.br.ReadSlice('\n')
	lr.n += int64(len(b))
	switch {
	case err == nil:
		return trimEOL(b), false, nil
	case err == bufio.ErrBufferFull:
		lr.skip = true
		return b, true, nil
	case err == io.EOF && len(b) > 0:
		return trimEOL(b), false, nil
	}
	return nil, false, err
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// containsAny reports whether b holds one of the needles.
func containsAny(b []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(b, n) {
			return true
		}
	}
	return false
}

// malformed counts a line that did not parse, and shows it when asked.
func (r *run) malformed(b []byte) {
	r.stats.Malformed++
	if r.src.OnMalformed != nil {
		r.src.OnMalformed(string(b))
	}
}

// previous is the line before the current one, parsed again from its bytes
// when lines are borrowed.
func (r *run) previous() Line {
	if !r.src.Borrow {
		return r.prev
	}
	var l Line
	raw := view(r.prevRaw)
	t, rest, f := r.tp.Parse(raw)
	fillLine(&l, raw, t, raw[len(raw)-len(rest):], f)
	return l
}
