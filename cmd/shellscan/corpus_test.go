package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
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
