// Package testenv finds the material tests read from outside the repository:
// ../shared (signature seeds, malicious corpus) and the benign corpus of real
// PHP applications. Tests skip cleanly when it is absent.
package testenv

import (
	"os"
	"path/filepath"
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
