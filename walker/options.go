package walker

import (
	"errors"
	"fmt"
	"path"
)

// Options select which files are emitted and how the walk runs. The zero
// value walks with GOMAXPROCS readers and emits every regular file.
type Options struct {
	Workers       int      // parallel directory readers; <=0 means GOMAXPROCS
	OneFileSystem bool     // do not descend into other filesystems than the root's (like find -xdev)
	MaxSize       int64    // files larger are skipped with SkipTooBig; 0 = no limit
	Extensions    []string // if set, only files whose name ends with one of these (ASCII case-insensitive, "php" or ".php")
	ExcludeDirs   []string // directory base-name globs (path.Match) not descended into, e.g. "node_modules", ".git"
	Exclude       []string // file base-name globs not scanned
	// ChangedAfter (unix ns), if non-zero, keeps only files whose mtime OR
	// ctime is newer: an attacker can set mtime back with touch, not ctime.
	ChangedAfter int64
	// ChangedBefore (unix ns), if non-zero, keeps only files whose newer of
	// mtime and ctime is older (find's -mtime +N).
	ChangedBefore int64
}

// filter is Options compiled for the checks both entry points share.
type filter struct {
	exts          []string // lower-case, with the leading dot
	excludeDirs   []string
	exclude       []string
	changedAfter  int64
	changedBefore int64
	maxSize       int64
}

func newFilter(o Options) (*filter, error) {
	if o.MaxSize < 0 {
		return nil, fmt.Errorf("walker: negative MaxSize %d", o.MaxSize)
	}
	f := &filter{
		changedAfter:  o.ChangedAfter,
		changedBefore: o.ChangedBefore,
		maxSize:       o.MaxSize,
	}
	for _, e := range o.Extensions {
		if e == "" || e == "." {
			return nil, errors.New("walker: empty extension")
		}
		if e[0] != '.' {
			e = "." + e
		}
		f.exts = append(f.exts, lowerASCII(e))
	}
	for _, globs := range []struct {
		what string
		in   []string
		out  *[]string
	}{
		{"exclude-dir", o.ExcludeDirs, &f.excludeDirs},
		{"exclude", o.Exclude, &f.exclude},
	} {
		for _, g := range globs.in {
			// path.Match checks the whole pattern even when it fails early.
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("walker: %s pattern %q: %w", globs.what, g, err)
			}
			*globs.out = append(*globs.out, g)
		}
	}
	return f, nil
}

// lowerASCII folds ASCII letters only; other bytes, valid UTF-8 or not,
// are kept as they are.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
