package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/testenv"
)

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

// TestCleanSpamGearBackdoorsFromRealApps injects code that spam-gear's
// backdoors.re describes (harmless strings that merely match) into real
// WordPress/phpMyAdmin files, runs --clean, and wants every file back
// exactly as the application shipped it, the injected originals in
// quarantine.
func TestCleanSpamGearBackdoorsFromRealApps(t *testing.T) {
	backdoors := testenv.Shared(t, "seed-sigs/backdoors.re")
	benign := testenv.Benign(t)
	var sources []string
	filepath.WalkDir(benign, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(p, ".php") && len(sources) < 6 {
			if b, err := os.ReadFile(p); err == nil && len(b) > 2000 && strings.HasPrefix(string(b), "<?php") {
				sources = append(sources, p)
			}
		}
		return nil
	})
	if len(sources) == 0 {
		t.Skip("no PHP files in the benign corpus")
	}
	injections := []struct{ before, after string }{
		// Split so that this test binary does not match the rules itself.
		{strings.Join([]string{"<?php eval(", "base64_decode($_POST['sgtest0']));?>"}, ""), ""}, // backdoors.re line 0
		{"", "<!--a1b2c3--><a href='http://spam.example'>x</a><!--/a1b2c3-->"},                  // line 2 (a back-reference)
	}
	dir := t.TempDir()
	q := filepath.Join(dir, "shells")
	want := map[string]string{}
	for i, src := range sources {
		orig, _ := os.ReadFile(src)
		inj := injections[i%len(injections)]
		p := filepath.Join(dir, "home", "user"+strconv.Itoa(i), "public_html", filepath.Base(src))
		write(t, p, inj.before+string(orig)+inj.after)
		want[p] = string(orig)
	}
	r := runCLI(t, "", "--data-dir", "", "--no-default-rules", "--sigs", backdoors, "--no-progress", "--clean",
		"--quarantine="+q, "--audit-log", filepath.Join(dir, "actions.log"), filepath.Join(dir, "home"))
	if r.code != exitFound {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for p, orig := range want {
		got, err := os.ReadFile(p)
		if err != nil || string(got) != orig {
			t.Errorf("%s: not restored to the shipped file (err %v, %d bytes, want %d)", p, err, len(got), len(orig))
		}
		if !strings.Contains(r.stdout, p+" [CUSTOM] [PHP.Backdoor.") || !strings.Contains(r.stdout, "[CLEANED]") {
			t.Errorf("%s not reported cleaned:\n%s", p, r.stdout)
		}
		if _, err := os.Lstat(filepath.Join(q, p)); err != nil {
			t.Errorf("%s: original not kept in quarantine: %v", p, err)
		}
	}
	t.Logf("%d real files cleaned", len(want))
}

// TestDetectionTable is the quality gate: every pmf sample found, at least
// 95% of bartblaze's PHP backdoors found, nothing flagged in WordPress or
// phpMyAdmin, with the built-in rules alone. It prints the table, with
// what the same rules find without decoding (--no-decode) beside it.
func TestDetectionTable(t *testing.T) {
	type set struct {
		name, dir string
		exts      []string
		minRate   float64
	}
	var rows []string
	// flagged runs a scan of files and returns the paths it reported.
	flagged := func(files []string, extra ...string) map[string]bool {
		list := strings.Join(files, "\n") + "\n"
		r := runCLI(t, list, append([]string{"--data-dir", "", "--no-progress", "--no-cache"}, extra...)...)
		found := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if i := strings.Index(line, " ["); i > 0 {
				found[line[:i]] = true
			}
		}
		return found
	}
	count := func(files []string, found map[string]bool) (n int, missed []string) {
		for _, p := range files {
			real, _ := filepath.EvalSymlinks(p)
			if found[p] || found[real] {
				n++
			} else {
				missed = append(missed, filepath.Base(p))
			}
		}
		return n, missed
	}
	check := func(s set) {
		var files []string
		filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && (len(s.exts) == 0 || slices.Contains(s.exts, strings.ToLower(filepath.Ext(p)))) {
				files = append(files, p)
			}
			return nil
		})
		if len(files) == 0 {
			t.Skipf("%s: no files", s.name)
		}
		found := flagged(files)
		n, missed := count(files, found)
		plain, _ := count(files, flagged(files, "--no-decode"))
		rate := float64(n) / float64(len(files))
		rows = append(rows, fmt.Sprintf("| %s | %d / %d | %.1f%% | %d |", s.name, n, len(files), 100*rate, plain))
		if s.minRate > 0 && rate < s.minRate {
			t.Errorf("%s: %d of %d found (%.1f%%), want at least %.0f%%; missed %v", s.name, n, len(files), 100*rate, 100*s.minRate, missed)
		}
		if s.minRate == 0 && n > 0 {
			var fps []string
			for p := range found {
				fps = append(fps, p)
			}
			t.Errorf("%s: %d false positives:\n%s", s.name, n, strings.Join(fps, "\n"))
		}
	}
	check(set{"pmf (all)", testenv.Shared(t, "corpus/malicious/pmf"), nil, 1})
	check(set{"bartblaze (PHP)", testenv.Shared(t, "corpus/malicious/bartblaze"), []string{".php"}, 0.95})
	check(set{"WordPress + phpMyAdmin (false positives)", testenv.Benign(t), nil, 0})
	t.Logf("detection with the built-in rules:\n| set | flagged | rate | flagged with --no-decode |\n|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}
