package walker

import (
	"path"

	"golang.org/x/sys/unix"
)

// keep is the Reason of an entry that is not skipped.
const keep Reason = 0

// file classifies a non-directory entry from its lstat (never followed):
// a Target to emit, or why not. Walk and ReadPaths share it.
//
// fresh says the file's directory, or one above it, changed after
// ChangedAfter: then the file passes that bound whatever its own times (a
// directory moved into the tree keeps its files' old ctimes).
func (f *filter) file(p, name string, st *unix.Stat_t, fresh bool) (Target, Reason) {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFLNK:
		return Target{}, SkipSymlink
	case unix.S_IFDIR:
		return Target{}, SkipDirectory
	default:
		return Target{}, SkipSpecial
	}
	if !f.name(name) || !f.age(st, fresh) {
		return Target{}, SkipFilter
	}
	if f.maxSize > 0 && st.Size > f.maxSize {
		return Target{}, SkipTooBig
	}
	return newTarget(p, st), keep
}

// name reports whether a regular file called name passes the extension and
// exclude filters (it needs no stat, so the walker asks it first).
func (f *filter) name(name string) bool {
	if len(f.exts) > 0 && !hasExt(name, f.exts) {
		return false
	}
	return !matchAny(f.exclude, name)
}

// dir reports whether a directory called name is descended into.
func (f *filter) dir(name string) bool {
	return !matchAny(f.excludeDirs, name)
}

// age applies ChangedAfter and ChangedBefore to the newer of mtime and
// ctime.
func (f *filter) age(st *unix.Stat_t, fresh bool) bool {
	if f.changedAfter == 0 && f.changedBefore == 0 {
		return true
	}
	changed := max(st.Mtim.Nano(), st.Ctim.Nano())
	if f.changedAfter != 0 && changed <= f.changedAfter && !fresh {
		return false
	}
	if f.changedBefore != 0 && changed >= f.changedBefore {
		return false
	}
	return true
}

// hasExt reports whether name ends with one of exts (lower-case), folding
// ASCII case only so that no byte of a non-UTF-8 name is reinterpreted.
func hasExt(name string, exts []string) bool {
	for _, e := range exts {
		if len(name) >= len(e) && equalFoldASCII(name[len(name)-len(e):], e) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether s, folded to ASCII lower case, is lower.
func equalFoldASCII(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok { // patterns checked by newFilter
			return true
		}
	}
	return false
}

// dirFresh reports whether a directory changed after ChangedAfter: an
// entry was added, removed or renamed in it, or it was itself moved here
// (rename changes its ctime, not its files'), so nothing below it may be
// judged by its own times. With the verdict cache, the unchanged files of
// such a subtree cost a stat each, not a read.
func (f *filter) dirFresh(st *unix.Stat_t) bool {
	return f.changedAfter != 0 && st.Ctim.Nano() > f.changedAfter
}
