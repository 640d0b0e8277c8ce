package main

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/testenv"
)

// TestDefaultsFindEveryPMFSample runs the real command, with the built-in
// rules only, over php-malware-finder's samples: every file must be found.
func TestDefaultsFindEveryPMFSample(t *testing.T) {
	dir := testenv.Shared(t, "corpus/malicious/pmf")
	var want []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			want = append(want, p)
		}
		return nil
	})
	r := runCLI(t, "", "--data-dir", "", "--no-progress", dir)
	if r.code != exitFound {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	found := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if i := strings.Index(line, " ["); i > 0 {
			found[line[:i]] = true
		}
	}
	for _, p := range want {
		real, _ := filepath.EvalSymlinks(p)
		if !found[real] {
			t.Errorf("not found: %s", p)
		}
	}
	t.Logf("%d/%d pmf samples found", len(found), len(want))
}

// TestDefaultsAndShellDetectQuietOnBenignApps scans WordPress and
// phpMyAdmin with the built-in rules and Shell-Detector's database, as a
// production scan would: nothing may be flagged.
func TestDefaultsAndShellDetectQuietOnBenignApps(t *testing.T) {
	dir := testenv.Benign(t)
	db := testenv.Shared(t, "seed-sigs/shelldetect.db")
	r := runCLI(t, "", "--data-dir", "", "--no-progress", "--sigs", db, dir)
	if r.code != exitClean || r.stdout != "" {
		t.Fatalf("exit %d, false positives:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Log(strings.TrimSpace(r.stderr))
}
