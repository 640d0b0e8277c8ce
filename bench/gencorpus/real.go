package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Real applications: every top-level directory of the -real directory (as
// bench/fetch-real.sh lays it out: one unpacked Debian package each) is an
// application copied whole into users' trees. A package named <base>-... is
// merged into the application <base> or <base>-core (wordpress-theme-* into
// wordpress, roundcube-plugins into roundcube-core).

type rfile struct {
	rel  string // path inside the installed copy
	src  string // absolute source path
	size int64
}

type realApp struct {
	name     string
	library  bool   // installed under vendor/
	siteRoot string // directory (inside the copy) holding most files
	files    []rfile
	bytes    int64
}

var libraryNames = map[string]bool{"smarty3": true, "composer": true, "phpunit": true}

func isLibrary(name string) bool {
	return strings.HasPrefix(name, "php-") || strings.HasPrefix(name, "lib") || libraryNames[name]
}

// mapRealPath shortens package paths: usr/share/X/... becomes X/...
func mapRealPath(rel string) string {
	if r, ok := strings.CutPrefix(rel, "usr/share/"); ok {
		return r
	}
	return rel
}

func loadReal(dir string) ([]realApp, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	// Merge <base>-... packages into <base> or <base>-core.
	owner := map[string]string{}
	for _, p := range names {
		best := ""
		for _, a := range names {
			if a == p {
				continue
			}
			base := strings.TrimSuffix(a, "-core")
			if strings.HasPrefix(p, base+"-") && len(base) > len(best) {
				best = a
			}
		}
		if best != "" {
			owner[p] = best
		}
	}
	idx := map[string]int{}
	var apps []realApp
	for _, n := range names {
		if owner[n] == "" {
			idx[n] = len(apps)
			apps = append(apps, realApp{name: n, library: isLibrary(n)})
		}
	}
	for _, n := range names {
		root := n
		for owner[root] != "" {
			root = owner[root]
		}
		a := &apps[idx[root]]
		base := filepath.Join(dir, n)
		err := filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil // directories are implied, symlinks skipped
			}
			rel, _ := filepath.Rel(base, path)
			rel = filepath.ToSlash(rel)
			if rel == ".unpacked" {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			a.files = append(a.files, rfile{rel: mapRealPath(rel), src: path, size: info.Size()})
			a.bytes += info.Size()
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("-real: %w", err)
		}
	}
	out := apps[:0]
	for _, a := range apps {
		if len(a.files) == 0 {
			continue
		}
		sort.Slice(a.files, func(i, j int) bool { return a.files[i].rel < a.files[j].rel })
		// Two packages may ship the same path: keep the first.
		dedup := a.files[:1]
		for _, f := range a.files[1:] {
			if f.rel != dedup[len(dedup)-1].rel {
				dedup = append(dedup, f)
			}
		}
		a.files = dedup
		// Site root: the top directory holding the most files.
		count := map[string]int{}
		for _, f := range a.files {
			if i := strings.IndexByte(f.rel, '/'); i > 0 {
				count[f.rel[:i]]++
			}
		}
		best := ""
		for d, c := range count {
			if c > count[best] || (c == count[best] && d < best) {
				best = d
			}
		}
		a.siteRoot = best
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-real %s: no application directories with files", dir)
	}
	return out, nil
}
