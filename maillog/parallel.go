package maillog

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
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
// (at least minPartBlock): a block is searched while it is still in the
// core's cache, and the tallies the lines go to keep the rest of it.
const (
	partBlock    = 256 << 10
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
	counts := sampleCounts(lf.f, size)
	var pivots []int
	for _, nd := range r.filter {
		pivots = append(pivots, pivotOf(nd, counts))
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
		ls := lastNewline(block[:hit]) + 1
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

// lastNewline is bytes.LastIndexByte(b, '\n'), eight bytes at a time (the
// standard one goes byte by byte): a line's start, looked for back from
// the needle found in it.
func lastNewline(b []byte) int {
	const ones, lows = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f
	i := len(b)
	for ; i >= 8; i -= 8 {
		x := binary.LittleEndian.Uint64(b[i-8:i]) ^ '\n'*ones // zero bytes: newlines
		// High bit set exactly in the zero bytes (no carry between bytes).
		if z := ^((x&lows + lows) | x | lows); z != 0 {
			return i - 8 + (63-bits.LeadingZeros64(z))/8
		}
	}
	return bytes.LastIndexByte(b[:i], '\n')
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
	return indexAt(b, needle, pivotOf(needle, nil))
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
		// The last byte first: it differs at nearly every other occurrence
		// of the pivot, and costs no call.
		if b[start+len(needle)-1] == needle[len(needle)-1] && bytes.Equal(b[start:start+len(needle)], needle) {
			return start
		}
		i += j + 1
	}
	return -1
}

// sampleSize is how much of a file's head sampleCounts reads.
const sampleSize = 64 << 10

// sampleCounts counts the bytes of f's head, so that each needle is
// searched by the byte that is rarest in this very log; nil when the head
// cannot be read.
func sampleCounts(f *os.File, size int64) *[256]int {
	buf := make([]byte, min(size, sampleSize))
	n, _ := f.ReadAt(buf, 0)
	if n == 0 {
		return nil
	}
	var counts [256]int
	for _, c := range buf[:n] {
		counts[c]++
	}
	return &counts
}

// pivotOf picks the needle byte least likely in a log line: the one least
// often met in counts (a sample of the log; "last message repeated" is best
// searched by its "g", not by the "l" of every "mail"), ties (and a nil
// counts) broken by byteRank.
func pivotOf(needle []byte, counts *[256]int) int {
	best := 0
	for i, c := range needle {
		b := needle[best]
		if counts != nil && counts[c] != counts[b] {
			if counts[c] < counts[b] {
				best = i
			}
			continue
		}
		if byteRank(c) < byteRank(b) {
			best = i
		}
	}
	return best
}

// byteRank is a rough rank of how common a byte is in mail logs, rarest
// first.
func byteRank(c byte) int {
	switch {
	case c == '_':
		return 0
	case c >= 'A' && c <= 'Z':
		return 2
	case c == '=' || c == '[' || c == ']' || c == ',' || c == '-' || c == '/':
		return 3
	case c >= '0' && c <= '9':
		return 4
	case c >= 'a' && c <= 'z':
		return 5
	case c == ' ' || c == '.' || c == ':':
		return 6
	}
	return 1 // other punctuation
}
