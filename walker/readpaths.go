package walker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// maxPath is the kernel's PATH_MAX: a path of this many bytes or more (the
// limit counts the terminating NUL) cannot be passed to a system call.
const maxPath = unix.PathMax

// errPathTooLong is the Err of a SkipError for an over-long input path.
var errPathTooLong = fmt.Errorf("path of %d bytes or more: %w", maxPath, unix.ENAMETOOLONG)

// ReadPaths reads paths from r, one per line or, if nul is set, NUL
// separated (find -print0), and sends the regular files among them that
// pass the filters of opts to out; it reports everything else to skip.
//
// Paths are taken byte for byte (only the separator is removed; a "\r" is
// part of the name); empty records are ignored. Relative paths are made
// absolute against the working directory; no symlink is resolved. Each path
// is lstat'ed: a symlink is SkipSymlink, a directory SkipDirectory (it is
// not walked), a FIFO, device or socket SkipSpecial, a path below a
// directory matching ExcludeDirs SkipFilter, a path of PATH_MAX bytes or
// more SkipError. Lines may be of any length.
//
// skip may be nil. ReadPaths does not close out. It returns nil at the end
// of r, an error if reading r fails or opts is invalid, or ctx.Err() once
// ctx is cancelled (checked between paths: a Read blocked in r is not
// interrupted).
func ReadPaths(ctx context.Context, r io.Reader, nul bool, opts Options, out chan<- Target, skip func(Skip)) error {
	f, err := newFilter(opts)
	if err != nil {
		return err
	}
	if skip == nil {
		skip = func(Skip) {}
	}
	sep := byte('\n')
	if nul {
		sep = 0
	}
	br := bufio.NewReaderSize(r, 64<<10)
	buf := make([]byte, 0, maxPath)
	cwd := sync.OnceValues(os.Getwd) // for relative paths, asked once
	links := &trustedLinks{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, tooLong, err := readRecord(br, sep, buf)
		if len(rec) > 0 {
			if err := readPath(ctx, f, string(rec), tooLong, cwd, links, out, skip); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading paths: %w", err)
		}
	}
}

// readRecord returns the next record of br, without its separator, in
// buf's storage. Of a record of maxPath bytes or more only the first maxPath
// bytes are kept and tooLong is set; the rest is read and dropped, so memory
// stays bounded however long a line is. At the end of the input it returns
// the last, unterminated record (possibly empty) and io.EOF.
func readRecord(br *bufio.Reader, sep byte, buf []byte) (rec []byte, tooLong bool, err error) {
	rec = buf[:0]
	n := 0 // length of the whole record
	for {
		chunk, err := br.ReadSlice(sep)
		if err == nil {
			chunk = chunk[:len(chunk)-1]
		}
		n += len(chunk)
		if room := maxPath - len(rec); room > 0 {
			rec = append(rec, chunk[:min(room, len(chunk))]...)
		}
		if err != bufio.ErrBufferFull {
			return rec, n >= maxPath, err
		}
	}
}

// readPath classifies one input path.
func readPath(ctx context.Context, f *filter, p string, tooLong bool, cwd func() (string, error), links *trustedLinks, out chan<- Target, skip func(Skip)) error {
	if tooLong {
		skip(Skip{Path: p, Reason: SkipError, Err: &os.PathError{Op: "lstat", Path: p, Err: errPathTooLong}})
		return nil
	}
	if !filepath.IsAbs(p) {
		wd, err := cwd()
		if err != nil {
			skip(Skip{Path: p, Reason: SkipError, Err: err})
			return nil
		}
		p = filepath.Join(wd, p) // what filepath.Abs does
	}
	p = links.resolve(p)
	if excludedDir(f, p) {
		skip(Skip{Path: p, Reason: SkipFilter})
		return nil
	}
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Lstat(p, &st) }); err != nil {
		skip(Skip{Path: p, Reason: SkipError, Err: &os.PathError{Op: "lstat", Path: p, Err: err}})
		return nil
	}
	// A file in a directory that changed (one moved in keeps its files'
	// old times) passes the changed-after bound: check the parent.
	fresh := false
	if f.changedAfter != 0 {
		var dst unix.Stat_t
		if err := ignoringEINTR(func() error { return unix.Lstat(filepath.Dir(p), &dst) }); err == nil {
			fresh = f.dirFresh(&dst)
		}
	}
	t, why := f.file(p, baseName(p), &st, fresh)
	if why != keep {
		skip(Skip{Path: p, Reason: why})
		return nil
	}
	return send(ctx, out, t)
}

// excludedDir reports whether a directory component of p (not its last
// name) matches ExcludeDirs, as if the tree had been walked.
func excludedDir(f *filter, p string) bool {
	if len(f.excludeDirs) == 0 {
		return false
	}
	dir := p[:strings.LastIndexByte(p, '/')+1]
	for _, name := range strings.Split(dir, "/") {
		if name != "" && !f.dir(name) {
			return true
		}
	}
	return false
}

// baseName is the last name in p, without trailing slashes; unlike
// filepath.Base it never returns "." or "/" for a name.
func baseName(p string) string {
	p = strings.TrimRight(p, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}
