// Package testenv finds the material tests read from outside the repository:
// ../shared (signature seeds, malicious corpus) and the benign corpus of real
// PHP applications. Tests skip cleanly when it is absent.
package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RepoRoot returns the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Shared returns ../shared/REL seen from the repository root, or skips the
// test when it does not exist.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared material %s not available: %v", rel, err)
	}
	return p
}

// BenignEnv names the environment variable pointing at a directory of real
// PHP applications (Debian's wordpress and phpmyadmin packages unpacked with
// dpkg -x); .ci/run sets it.
const BenignEnv = "SPAMGEAR_BENIGN_DIR"

// Benign returns the benign corpus directory, or skips the test.
func Benign(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(BenignEnv)
	if dir == "" {
		t.Skipf("%s not set: no benign corpus (see .ci/run)", BenignEnv)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("benign corpus %s: %v", dir, err)
	}
	return dir
}

// PHPFiles reads the *.php files under dir, in walk order, that keep
// accepts (nil: all), until limit bytes are read; it skips the test when
// there are none. For benchmarks on real applications.
func PHPFiles(t testing.TB, dir string, limit int, keep func([]byte) bool) [][]byte {
	t.Helper()
	var out [][]byte
	total := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || total >= limit {
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(p, ".php") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil && (keep == nil || keep(data)) {
			out = append(out, data)
			total += len(data)
		}
		return nil
	})
	if total == 0 {
		t.Skipf("no PHP files under %s", dir)
	}
	return out
}

// TotalLen is the bytes of all bufs, for testing.B.SetBytes.
func TotalLen(bufs [][]byte) int64 {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	return int64(n)
}
