// Package sigupdate downloads, validates and installs the signature files a
// scan loads from its data dir (/var/lib/shellscan by default), keeping the
// version each replaces so that an update can be rolled back.
//
// The pieces:
//
//   - Fetcher downloads one URL with bounded time (connect, TLS handshake,
//     whole transfer) and size, HTTPS only unless told otherwise, and never
//     follows a redirect from HTTPS to plain HTTP.
//   - Installer.Install checks each new file with the parser a scan uses,
//     then compiles the whole set the next scan would load (its Base rules,
//     the data dir's other files and the new ones), and only then installs:
//     each file is written as NAME.new, fsynced, and renamed over NAME, so
//     the data dir always holds the old or the new complete file. The
//     replaced versions go to DIR/.previous, one per file.
//   - Installer.Rollback puts the versions in DIR/.previous back, through the
//     same checked path (so rolling back twice returns to where it started).
//
// Every step runs under an exclusive lock on DIR/.updatedb.lock, works on the
// data dir through a directory descriptor and never follows a symbolic link
// inside it (NAME, NAME.new, .previous and its files): a link found where a
// file or .previous should be stops the update. The data dir path itself is
// resolved normally (it is the administrator's configuration), but it must
// not be writable by group or others.
//
// A crash at any point leaves complete files: before the new .previous is
// in place nothing visible has changed; after it, the NAME.new files are
// renamed into place one by one (an update of several files can be caught
// half-way, each file complete; rerunning the update or rolling back
// resolves it). Leftovers of an interrupted run (NAME.new, .previous.tmp,
// .previous.old) are cleaned up by the next one.
package sigupdate

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spamgear/spamgear/signatures"
)

// UpstreamShellDetectURL is where Shell-Detector publishes shelldetect.db.
const UpstreamShellDetectURL = "https://raw.githubusercontent.com/emposha/PHP-Shell-Detector/master/shelldetect.db"

// Errors, for errors.Is. The errors returned wrap one of these with the
// details (file, line, URL, path).
var (
	// ErrInvalid: a new file does not parse, has no rules, or the set it
	// would make does not compile. Nothing was changed. The chain holds the
	// parser's *signatures.ParseError (FILE:LINE: what) when there is one.
	ErrInvalid = errors.New("invalid signature file")
	// ErrNoPrevious: a rollback found no previous version to restore.
	ErrNoPrevious = errors.New("nothing to roll back")
	// ErrLocked: another update held the data dir's lock for longer than
	// the wait allowed.
	ErrLocked = errors.New("another update is running")
	// ErrUnsafe: a symbolic link (or another non-regular file) where a
	// signature file or .previous should be, or a data dir that others can
	// write to. Nothing was followed or changed.
	ErrUnsafe = errors.New("unsafe")
	// ErrPartial: installing failed half-way and could not be fully undone;
	// every file in the data dir is complete, but some are new and some old.
	ErrPartial = errors.New("update partially installed")
	// ErrInsecureURL: a URL, or a redirect, is not HTTPS and plain HTTP was
	// not allowed.
	ErrInsecureURL = errors.New("HTTPS required")
	// ErrTooLarge: a download exceeded the size limit.
	ErrTooLarge = errors.New("download too large")
	// ErrHTTPStatus: the server answered with a status other than 200.
	ErrHTTPStatus = errors.New("unexpected HTTP status")
)

// Source is one file to fetch: its name in the data dir, which also says its
// format (see CheckName), and the URL to fetch it from.
type Source struct {
	Name string
	URL  string
}

func (s Source) String() string { return s.Name + "=" + s.URL }

// DefaultSources is the list fetched when nothing else is configured:
// Shell-Detector's shelldetect.db from upstream.
func DefaultSources() []Source {
	return []Source{{Name: "shelldetect.db", URL: UpstreamShellDetectURL}}
}

// ParseSource parses "NAME=URL", the form --url takes. An empty URL
// ("NAME=") is allowed: Merge drops NAME from the list.
func ParseSource(s string) (Source, error) {
	name, url, ok := strings.Cut(s, "=")
	if !ok {
		return Source{}, fmt.Errorf("%q: want NAME=URL, e.g. shelldetect.db=https://mirror.example/shelldetect.db", s)
	}
	if _, err := CheckName(name); err != nil {
		return Source{}, err
	}
	return Source{Name: name, URL: strings.TrimSpace(url)}, nil
}

// Merge layers source lists, later layers winning: a source whose name is
// already listed replaces that entry's URL in place, a new name is appended,
// and an empty URL removes the name. Meant as
// Merge(DefaultSources(), fromConfigFile, fromFlags).
func Merge(layers ...[]Source) []Source {
	var out []Source
	for _, layer := range layers {
		for _, s := range layer {
			i := indexOf(out, s.Name)
			switch {
			case s.URL == "" && i >= 0:
				out = append(out[:i], out[i+1:]...)
			case s.URL == "":
			case i >= 0:
				out[i].URL = s.URL
			default:
				out = append(out, s)
			}
		}
	}
	return out
}

func indexOf(srcs []Source, name string) int {
	for i, s := range srcs {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// DataDirFiles lists the fixed names a scan loads from the data dir, in load
// order; every *.toml file is loaded before them, sorted by name. This must
// agree with cmd/shellscan's loader (a test there checks it does).
func DataDirFiles() []string {
	return []string{"shelldetect.db", "fingerprints.txt", "backdoors.re"}
}

// maxNameLen leaves room for the ".new" suffix in a 255-byte file name.
const maxNameLen = 240

// CheckName checks that name can be installed in the data dir and returns
// its format: a plain file name (no directory, not starting with a dot)
// that a scan loads, i.e. NAME.toml or one of DataDirFiles.
func CheckName(name string) (signatures.Format, error) {
	switch {
	case name == "":
		return "", errors.New("empty file name")
	case strings.ContainsAny(name, "/\\\x00") || filepath.Base(name) != name:
		return "", fmt.Errorf("%q: want a file name in the data dir, not a path", name)
	case strings.HasPrefix(name, "."):
		return "", fmt.Errorf("%q: a file name must not start with a dot", name)
	case len(name) > maxNameLen:
		return "", fmt.Errorf("%.32q...: file name longer than %d bytes", name, maxNameLen)
	}
	if strings.HasSuffix(name, ".toml") {
		return signatures.FormatTOML, nil
	}
	for _, n := range DataDirFiles() {
		if name == n {
			return signatures.DetectFormat(name)
		}
	}
	return "", fmt.Errorf("%q: a scan does not load this file from the data dir; want NAME.toml, %s",
		name, strings.Join(DataDirFiles(), ", "))
}

// NameFor returns the name a local file of format f is installed under: the
// fixed name of its format, or, for TOML rules, the file's own base name
// (which must end in .toml). An empty f is detected from path's name.
func NameFor(f signatures.Format, path string) (string, error) {
	if f == "" {
		var err error
		if f, err = signatures.DetectFormat(path); err != nil {
			return "", err
		}
	}
	switch f {
	case signatures.FormatShellDetect:
		return "shelldetect.db", nil
	case signatures.FormatFingerprints:
		return "fingerprints.txt", nil
	case signatures.FormatBackdoors:
		return "backdoors.re", nil
	case signatures.FormatTOML:
		base := filepath.Base(path)
		if !strings.HasSuffix(base, ".toml") {
			return "", fmt.Errorf("%s: TOML rules are installed under their own file name, which must end in .toml", path)
		}
		if _, err := CheckName(base); err != nil {
			return "", err
		}
		return base, nil
	}
	return "", fmt.Errorf("unknown format %q (want toml, shelldetect, fingerprints or backdoors)", f)
}

// Printable makes text taken from a downloaded file (a version string) safe
// to print: bytes outside printable ASCII become '?', and it is cut to max
// bytes.
func Printable(s string, max int) string {
	b := []byte(s)
	cut := false
	if len(b) > max {
		b, cut = b[:max], true
	}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	if cut {
		return string(b) + "..."
	}
	return string(b)
}
