package walker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// trustedLinks resolves, in the directory part of a path read from
// standard input, the symbolic links that only root could have made: a
// link owned by root in a directory owned by root that nobody else may
// write to, such as /home -> /srv/home. find prints paths through such a
// link, and refusing them would leave every file unread. Any other link
// (owned by a user, or in a directory a user may write to) is left in the
// path, and opening the file refuses it as before.
type trustedLinks struct {
	cache map[string]string // directory → resolved directory
}

// maxTrustedCache bounds the cache; paths from find come grouped by
// directory, so a small one hits.
const maxTrustedCache = 4096

// resolve returns p with its directory's trusted links resolved.
func (t *trustedLinks) resolve(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return p
	}
	dir := p[:i]
	r, ok := t.cache[dir]
	if !ok {
		r = resolveTrustedDir(dir, 0)
		if t.cache == nil || len(t.cache) >= maxTrustedCache {
			t.cache = map[string]string{}
		}
		t.cache[dir] = r
	}
	if r == "" || r == dir {
		return p
	}
	return r + p[i:]
}

// resolveTrustedDir resolves the trusted links of an absolute, clean
// directory path; "" when a component is missing or an untrusted link.
func resolveTrustedDir(dir string, depth int) string {
	r, err := resolveTrusted(dir, depth)
	if err != nil {
		return ""
	}
	return r
}

// ResolveTrusted resolves the symbolic links of an absolute, clean path,
// and fails, saying why, on one that root did not make in a directory only
// root may write to (a user's "public_html -> /var/www/other"), or on ".."
// (which after a link means something else than it says).
func ResolveTrusted(path string) (string, error) { return resolveTrusted(path, 0) }

func resolveTrusted(dir string, depth int) (string, error) {
	if depth > 40 {
		return "", fmt.Errorf("%s: too many levels of symbolic links", dir)
	}
	if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir {
		return "", fmt.Errorf("%q: not an absolute, clean path", dir)
	}
	cur := "/"
	for _, c := range strings.Split(dir, "/") {
		if c == "" {
			continue
		}
		next := filepath.Join(cur, c)
		var st unix.Stat_t
		if err := ignoringEINTR(func() error { return unix.Lstat(next, &st) }); err != nil {
			return "", &os.PathError{Op: "lstat", Path: next, Err: err}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			cur = next
			continue
		}
		var parent unix.Stat_t
		if st.Uid != 0 {
			return "", fmt.Errorf("%s is a symbolic link owned by uid %d", next, st.Uid)
		}
		if err := unix.Lstat(cur, &parent); err != nil || parent.Uid != 0 || parent.Mode&0o022 != 0 {
			return "", fmt.Errorf("%s is a symbolic link in %s, which others than root may change", next, cur)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(cur, target)
		}
		if cur, err = resolveTrusted(target, depth+1); err != nil {
			return "", err
		}
	}
	return cur, nil
}
