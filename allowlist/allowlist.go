// Package allowlist holds the SHA-256 sums of files known to be good (the
// files of an unpacked WordPress release, say): a file whose content is
// listed is never flagged, and is not even matched. Lists use sha256sum's
// format, so "find DIR -type f -exec sha256sum {} +" makes one too.
package allowlist

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spamgear/spamgear/safefs"
)

// List is a set of content sums. It is safe for concurrent use once
// loaded.
type List struct {
	sums    map[[32]byte]struct{}
	version string
}

// Version changes whenever the list does (a hash of its sums): a verdict
// cache keyed by it forgets what a removed entry let pass.
func (l *List) Version() string { return l.version }

// Len is the number of sums.
func (l *List) Len() int { return len(l.sums) }

// Contains reports whether content with this SHA-256 is listed.
func (l *List) Contains(sum [32]byte) bool {
	_, ok := l.sums[sum]
	return ok
}

// Load reads a list: lines "HASH  PATH" (or "HASH *PATH", or a bare HASH),
// as sha256sum prints them; blank lines and # comments are skipped. Errors
// name the file and line.
func Load(path string) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f)
}

// Read is Load from a reader; name is used in errors.
func Read(name string, r io.Reader) (*List, error) {
	l := &List{sums: map[[32]byte]struct{}{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		line = strings.TrimPrefix(line, `\`) // sha256sum's mark of an escaped name
		hexSum, _, _ := strings.Cut(line, " ")
		var sum [32]byte
		if len(hexSum) != 64 {
			return nil, fmt.Errorf("%s:%d: not a SHA-256 sum: %q", name, n, hexSum)
		}
		if _, err := hex.Decode(sum[:], []byte(hexSum)); err != nil {
			return nil, fmt.Errorf("%s:%d: not a SHA-256 sum: %q", name, n, hexSum)
		}
		l.sums[sum] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	all := make([][32]byte, 0, len(l.sums))
	for s := range l.sums {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, s := range all {
		h.Write(s[:])
	}
	l.version = hex.EncodeToString(h.Sum(nil))[:16]
	return l, nil
}

// Build writes the sums of every regular file under root to w, sorted by
// path, in sha256sum's format (names holding a newline or a backslash are
// escaped as sha256sum does). Symbolic links are not followed, and special
// files are skipped. It returns how many files it listed.
func Build(root string, w io.Writer) (int, error) {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	slices.Sort(paths)
	bw := bufio.NewWriter(w)
	for _, p := range paths {
		sum, err := fileSum(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // gone since listed
		}
		if err != nil {
			return 0, err
		}
		name, mark := p, ""
		if strings.ContainsAny(name, "\\\n\r") {
			name = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(name)
			mark = `\`
		}
		fmt.Fprintf(bw, "%s%s  %s\n", mark, hex.EncodeToString(sum[:]), name)
	}
	return len(paths), bw.Flush()
}

func fileSum(p string) ([32]byte, error) {
	var sum [32]byte
	f, err := safefs.Open(p)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, fmt.Errorf("%s: %w", p, err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
