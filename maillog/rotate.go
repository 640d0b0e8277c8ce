package maillog

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// rotatedNames lists the rotated copies of path in its directory, newest
// first: numbered ones (PATH.1, PATH.2.gz, ...) by number, then dated ones
// (PATH-20261126[.gz], logrotate's dateext, also with an hour) newest date
// first. When both PATH.N and PATH.N.gz exist (logrotate is compressing),
// only the plain one is listed: the other is incomplete.
func rotatedNames(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing rotated logs of %s: %w", path, err)
	}
	type rot struct {
		name  string
		dated bool
		n     int    // number, for PATH.N
		date  string // digits, for PATH-DATE
		gz    bool
	}
	var rots []rot
	for _, e := range entries {
		name := e.Name()
		if len(name) <= len(base) || !strings.HasPrefix(name, base) || e.IsDir() {
			continue
		}
		suffix, gz := strings.CutSuffix(name[len(base):], ".gz")
		if len(suffix) < 2 {
			continue
		}
		digits := suffix[1:]
		if !allDigits(digits) {
			continue
		}
		r := rot{name: filepath.Join(dir, name), gz: gz}
		switch {
		case suffix[0] == '.' && len(digits) <= 6:
			r.n, _ = strconv.Atoi(digits)
			if r.n == 0 {
				continue
			}
		case suffix[0] == '-' && (len(digits) == 8 || len(digits) == 10):
			r.dated, r.date = true, digits
		default:
			continue
		}
		rots = append(rots, r)
	}
	slices.SortFunc(rots, func(a, b rot) int {
		if a.dated != b.dated {
			if a.dated {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(a.n, b.n); c != 0 {
			return c
		}
		if c := cmp.Compare(b.date, a.date); c != 0 {
			return c
		}
		if a.gz != b.gz {
			if a.gz {
				return 1
			}
			return -1
		}
		return 0
	})
	names := make([]string, 0, len(rots))
	for i, r := range rots {
		if i > 0 && rots[i-1].n == r.n && rots[i-1].date == r.date && rots[i-1].dated == r.dated {
			continue // PATH.N.gz next to PATH.N
		}
		names = append(names, r.name)
	}
	return names, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// errNotRegular is returned (wrapped) for a path that is not a regular file.
var errNotRegular = errors.New("not a regular file")

// openRegular opens name for reading, following symlinks (admins link
// logs), but refuses anything other than a regular file. O_NONBLOCK makes
// the open of a FIFO return at once instead of waiting for a writer; the
// fstat then rejects it.
func openRegular(name string) (*os.File, os.FileInfo, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w (%s)", errNotRegular, fi.Mode().Type())
	}
	if err == nil {
		err = unix.SetNonblock(fd, false)
	}
	if err != nil {
		f.Close()
		return nil, nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return f, fi, nil
}

// gzipMagic starts every gzip stream.
const gzipMagic = "\x1f\x8b"

// isGzip reports whether the stream behind br starts with gzip's magic.
func isGzip(br interface{ Peek(int) ([]byte, error) }) bool {
	b, _ := br.Peek(2)
	return string(b) == gzipMagic
}

// sectionReader reads f from its start without moving its offset, so a
// peek at a file's head leaves the file ready for the full read.
func sectionReader(f *os.File, size int64) io.Reader {
	return io.NewSectionReader(f, 0, size)
}
