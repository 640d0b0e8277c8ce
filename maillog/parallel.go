package maillog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sync/errgroup"
)

// parallel are LinesParallel's settings.
type parallel struct {
	workers int
	newFn   func() func(*Line) error
}

// A worker reads its part partBlock bytes at a time, less for small files
// (at least minPartBlock).
const (
	partBlock    = 4 << 20
	minPartBlock = 16 << 10
)

// fileIsGzip reports whether f starts with gzip's magic.
func fileIsGzip(f *os.File) bool {
	var b [2]byte
	n, _ := f.ReadAt(b[:], 0)
	return n == 2 && b[0] == 0x1f && b[1] == 0x8b
}

// readParallel reads a plain file in parts, one goroutine each.
func (r *run) readParallel(ctx context.Context, lf *logFile) error {
	size := lf.info.Size()
	bounds := []int64{0}
	for k := 1; k < r.par.workers; k++ {
		off, err := partStart(lf.f, int64(k)*size/int64(r.par.workers), size)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", lf.name, err))
			return nil
		}
		if off > bounds[len(bounds)-1] {
			bounds = append(bounds, off)
		}
	}
	bounds = append(bounds, size)
	var pivots []int
	for _, nd := range r.filter {
		pivots = append(pivots, pivotOf(nd))
	}
	parts := make([]*run, len(bounds)-1)
	for i := range parts {
		fn := r.fn
		if i > 0 {
			fn = r.par.newFn()
		}
		parts[i] = &run{src: r.src, fn: fn, tp: &TimeParser{Now: r.src.Now, Loc: r.src.Loc}, max: r.max,
			hasUntil: r.hasUntil, filter: r.filter, pivots: pivots}
	}
	block := int(min(max(size/int64(8*r.par.workers), minPartBlock), partBlock))
	g, gctx := errgroup.WithContext(ctx)
	var mu sync.Mutex
	for i, p := range parts {
		g.Go(func() error {
			err := p.readPart(gctx, lf.f, bounds[i], bounds[i+1], block)
			if err != nil && !errors.Is(err, errPartRead) {
				return err
			}
			if err != nil {
				mu.Lock()
				r.errs = append(r.errs, fmt.Errorf("%s: %w", lf.name, err))
				mu.Unlock()
			}
			return nil
		})
	}
	err := g.Wait()
	for _, p := range parts {
		r.stats.Lines += p.stats.Lines
		r.stats.InWindow += p.stats.InWindow
		r.stats.Malformed += p.stats.Malformed
		r.stats.Truncated += p.stats.Truncated
		r.stats.Bytes += p.stats.Bytes
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// errPartRead marks a read error of a part (recorded, not fatal).
var errPartRead = errors.New("read error")

// nextLineStart is the offset of the first line starting at or after off.
func nextLineStart(f *os.File, off, size int64) (int64, error) {
	if off == 0 {
		return 0, nil
	}
	buf := make([]byte, 64<<10)
	for pos := off - 1; pos < size; pos += int64(len(buf)) {
		n, err := f.ReadAt(buf, pos)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	return size, nil
}

// partStart is where a part may start at or after off: a line start, and
// not one of sysklogd's "last message repeated" lines, which must stay
// with the line before them.
func partStart(f *os.File, off, size int64) (int64, error) {
	head := make([]byte, 256)
	for {
		start, err := nextLineStart(f, off, size)
		if err != nil || start >= size {
			return start, err
		}
		n, _ := f.ReadAt(head, start)
		line := head[:n]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if !bytes.Contains(line, []byte("last message repeated")) {
			return start, nil
		}
		off = start + 1
	}
}

// readPart reads [start, end) of f: the lines holding one of the filter
// strings are found by searching whole blocks, as grep does, then parsed.
func (p *run) readPart(ctx context.Context, f *os.File, start, end int64, block int) error {
	buf := make([]byte, block+p.max+1)
	carry := 0        // bytes of an unfinished line at the start of buf
	skipping := false // in the rest of a line longer than the buffer
	lastEnd := -2     // end of the last line passed on, in this block's offsets
	for off := start; off < end || carry > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 0
		if off < end {
			want := min(int64(len(buf)-carry), end-off)
			m, err := f.ReadAt(buf[carry:carry+int(want)], off)
			if err != nil && err != io.EOF {
				return fmt.Errorf("%w: %v", errPartRead, err)
			}
			if m == 0 && err == io.EOF {
				end = off // the file shrank
			}
			n, off = m, off+int64(m)
		}
		data := buf[:carry+n]
		p.stats.Bytes += int64(n)
		// Only whole lines; the last, unfinished one waits for more
		// data, unless this is the end of the part.
		if skipping {
			// The rest of a line longer than the buffer: dropped, as the
			// sequential reader drops it (never parsed as lines of its own).
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				carry = 0
				continue
			}
			data = data[i+1:]
			skipping = false
		}
		whole := len(data)
		if off < end {
			if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
				whole = i + 1
			} else if len(data) < len(buf) {
				carry = copy(buf, data) // keep reading the line
				continue
			} else {
				whole = len(data) // a line longer than the buffer: cut,
				skipping = true   // and its rest skipped
			}
		}
		p.stats.Lines += int64(bytes.Count(data[:whole], []byte{'\n'}))
		if whole == len(data) && whole > 0 && data[whole-1] != '\n' {
			p.stats.Lines++
		}
		if err := p.scanBlock(data[:whole], &lastEnd); err != nil {
			return err
		}
		carry = copy(buf, data[whole:])
		// The next block starts right after this one's last line: the
		// line passed on last is "the line before" only if it was that.
		if lastEnd == whole-1 || lastEnd == whole {
			lastEnd = -1
		} else {
			lastEnd = -2
		}
		if off >= end && carry > 0 {
			// The part's last line had no newline: it is whole now.
			if err := p.scanBlock(buf[:carry], &lastEnd); err != nil {
				return err
			}
			carry = 0
		}
	}
	return nil
}

// scanBlock passes on the lines of block (whole lines) that hold a filter
// string. lastEnd is the offset of the newline ending the last line passed
// on (-1: the line just before the block; -2: none), so that a
// "last message repeated" right after it counts.
func (p *run) scanBlock(block []byte, lastEnd *int) error {
	next := make([]int, len(p.filter)) // next hit of each needle, -1 when none is left
	for i, nd := range p.filter {
		next[i] = indexAt(block, nd, p.pivots[i])
	}
	for {
		hit := -1
		for _, h := range next {
			if h >= 0 && (hit < 0 || h < hit) {
				hit = h
			}
		}
		if hit < 0 {
			return nil
		}
		ls := bytes.LastIndexByte(block[:hit], '\n') + 1
		le := hit + bytes.IndexByte(block[hit:], '\n')
		if le < hit {
			le = len(block)
		}
		line := trimEOL(block[ls:le])
		if len(line) > p.max {
			p.stats.Truncated++
			line = line[:p.max]
		}
		if ls != *lastEnd+1 {
			p.prevOK = false // the line before was not passed on
		}
		if err := p.line(line); err != nil {
			return err
		}
		*lastEnd = le
		for i, nd := range p.filter {
			if next[i] >= 0 && next[i] <= le {
				if j := indexAt(block[le:], nd, p.pivots[i]); j >= 0 {
					next[i] = le + j
				} else {
					next[i] = -1
				}
			}
		}
		if le >= len(block) {
			return nil
		}
	}
}

// indexPivot is bytes.Index for needles searched in big blocks of log
// text: it runs the vectorised IndexByte on the needle's rarest byte (by a
// rough rank of how common bytes are in mail logs) and checks the needle
// around each hit, where bytes.Index keeps stopping at its first byte
// ("s" of "sasl_username=" is everywhere in a log).
func indexPivot(b, needle []byte) int {
	if len(needle) == 0 {
		return 0
	}
	return indexAt(b, needle, pivotOf(needle))
}

// indexAt is indexPivot with the pivot chosen already.
func indexAt(b, needle []byte, pv int) int {
	c := needle[pv]
	for i := pv; i < len(b); {
		j := bytes.IndexByte(b[i:], c)
		if j < 0 {
			return -1
		}
		start := i + j - pv
		if start+len(needle) > len(b) {
			return -1
		}
		if bytes.Equal(b[start:start+len(needle)], needle) {
			return start
		}
		i += j + 1
	}
	return -1
}

// pivotOf picks the needle byte least likely in a log line.
func pivotOf(needle []byte) int {
	best, bestRank := 0, 99
	for i, c := range needle {
		var r int
		switch {
		case c == '_':
			r = 0
		case c >= 'A' && c <= 'Z':
			r = 2
		case c == '=' || c == '[' || c == ']' || c == ',' || c == '-' || c == '/':
			r = 3
		case c >= '0' && c <= '9':
			r = 4
		case c >= 'a' && c <= 'z':
			r = 5
		case c == ' ' || c == '.' || c == ':':
			r = 6
		default:
			r = 1 // other punctuation
		}
		if r < bestRank {
			best, bestRank = i, r
		}
	}
	return best
}
