package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spamgear/spamgear/cache"
)

// testRule matches a harmless marker string, so tests do not depend on
// the built-in rules.
const testRule = `
[[rule]]
id = "T.Marker"
name = "Test.Marker"
literals = ["spamgear-test-marker"]
regex = 'spamgear-test-marker\(\d+\)'
kinds = ["php"]
true_positives = ["<?php spamgear-test-marker(1);"]
false_positives = ["spamgear-test-marker()"]
`

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	tmp := t.TempDir()
	// Never the real /root/shells or /var/log/spamgear from a test.
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, stdinPiped: stdin != "",
		cachePath: filepath.Join(tmp, "cache.db"), quarantine: filepath.Join(tmp, "default-shells"),
		auditLog: filepath.Join(tmp, "default-actions.log")}
	code := run(context.Background(), e, args)
	return result{code, out.String(), errb.String()}
}

// fixture makes a tree with one matching file and one clean one and a
// rule file; it returns the tree root and the rule file.
func fixture(t *testing.T) (root, rules string) {
	t.Helper()
	dir := t.TempDir()
	rules = filepath.Join(dir, "test.toml")
	write(t, rules, testRule)
	root = filepath.Join(dir, "home")
	write(t, filepath.Join(root, "alice", "public_html", "bad.php"), "<?php\n// x\nspamgear-test-marker(42);\n")
	write(t, filepath.Join(root, "alice", "public_html", "good.php"), "<?php echo 'hello';\n")
	write(t, filepath.Join(root, "bob", "logo.jpg"), "\xff\xd8\xff<?php spamgear-test-marker(7); ?>")
	return root, rules
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func baseArgs(rules string) []string {
	return []string{"--no-default-rules", "--data-dir", "", "--sigs", rules}
}

func TestScanFindsAndExits1(t *testing.T) {
	root, rules := fixture(t)
	r := runCLI(t, "", append(baseArgs(rules), root)...)
	if r.code != exitFound {
		t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	slices.Sort(lines)
	want := []string{
		filepath.Join(root, "alice/public_html/bad.php") + " [RULES] [Test.Marker]",
		filepath.Join(root, "bob/logo.jpg") + " [RULES] [Test.Marker]",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, strings.Join(want, "\n"))
	}
	if !strings.Contains(r.stderr, "3 files") || !strings.Contains(r.stderr, "2 infected") {
		t.Errorf("summary: %s", r.stderr)
	}
}

func TestScanCleanExits0(t *testing.T) {
	root, rules := fixture(t)
	r := runCLI(t, "", append(baseArgs(rules), filepath.Join(root, "alice/public_html/good.php"))...)
	if r.code != exitClean || r.stdout != "" {
		t.Fatalf("exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
	}
}

func TestScanPathsFromStdin(t *testing.T) {
	root, rules := fixture(t)
	bad := filepath.Join(root, "alice/public_html/bad.php")
	good := filepath.Join(root, "alice/public_html/good.php")
	for _, tc := range []struct {
		name, stdin string
		extra       []string
	}{
		{"lines", good + "\n" + bad + "\n", nil},
		{"nul", good + "\x00" + bad + "\x00", []string{"-0"}},
		{"dash", good + "\n" + bad + "\n", []string{"-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, append(baseArgs(rules), tc.extra...)...)
			if r.code != exitFound || r.stdout != bad+" [RULES] [Test.Marker]\n" {
				t.Fatalf("exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestScanJSON(t *testing.T) {
	root, rules := fixture(t)
	bad := filepath.Join(root, "alice/public_html/bad.php")
	r := runCLI(t, "", append(baseArgs(rules), "--format", "json", bad)...)
	if r.code != exitFound {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		t.Fatalf("%v: %q", err, r.stdout)
	}
	for k, want := range map[string]any{
		"path": bad, "engine": "RULES", "signature_id": "T.Marker", "signature": "Test.Marker",
		"category": "shell", "line": 3.0, "offset": 11.0, "action": "reported",
	} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %v", k, rec[k], want)
		}
	}
	if s, _ := rec["sha256"].(string); len(s) != 64 {
		t.Errorf("sha256 = %v", rec["sha256"])
	}
	if !strings.HasPrefix(rec["snippet"].(string), `spamgear-test-marker(42);\n`) {
		t.Errorf("snippet %q", rec["snippet"])
	}
}

func TestHostileFileNameIsEscaped(t *testing.T) {
	root, rules := fixture(t)
	evil := filepath.Join(root, "x\n/etc/passwd [RULES] [forged].php")
	write(t, evil, "<?php spamgear-test-marker(1);")
	r := runCLI(t, "", append(baseArgs(rules), filepath.Dir(evil))...)
	if strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, `x\n/etc/passwd`) {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestSymlinksAndFIFOsAreNotFollowed(t *testing.T) {
	root, rules := fixture(t)
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret.php"), "<?php spamgear-test-marker(9);")
	dir := filepath.Join(root, "carol")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.php"), filepath.Join(dir, "link.php")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.php"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- runCLI(t, "", append(baseArgs(rules), dir)...) }()
	select {
	case r := <-done:
		if r.code != exitClean || r.stdout != "" {
			t.Errorf("exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "2 symlink") || !strings.Contains(r.stderr, "1 special") {
			t.Errorf("summary %q", r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("scan blocked (opened a FIFO?)")
	}
}

func TestUsageErrors(t *testing.T) {
	root, rules := fixture(t)
	bad := filepath.Join(t.TempDir(), "bad.toml")
	write(t, bad, "[[rule]]\nid = \"X\"\nliterals = [\"ab\"]\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad rule file", []string{"--no-default-rules", "--sigs", bad, root}, bad + ":1: rule X: literal \"ab\" is shorter"},
		{"unknown flag", []string{"--frobnicate", root}, "unknown flag"},
		{"template without notify", append(baseArgs(rules), "-c", rules, root), "needs -n/--notify-user"},
		{"bad user pattern", append(baseArgs(rules), "--notify-user=^/home/[^/]*/", root), "capture group"},
		{"bad size", append(baseArgs(rules), "--max-size", "lots", root), "invalid size"},
		{"bad mtime", append(baseArgs(rules), "--mtime", "yesterday", root), "invalid --mtime"},
		{"bad format", append(baseArgs(rules), "--format", "xml", root), "--format"},
		{"no paths on a terminal", baseArgs(rules), "no PATH given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d stderr %q, want 2 and %q", r.code, r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
}

func TestMissingRootExits3(t *testing.T) {
	root, rules := fixture(t)
	r := runCLI(t, "", append(baseArgs(rules), filepath.Join(root, "alice/public_html/good.php"), filepath.Join(root, "nope"))...)
	if r.code != exitIncomplete || !strings.Contains(r.stderr, "nope: no such file") || !strings.Contains(r.stderr, "1 unreadable") {
		t.Errorf("exit %d, want 3; stderr %s", r.code, r.stderr)
	}
}

func TestLegacyArgs(t *testing.T) {
	tests := []struct {
		args  []string
		piped bool
		want  []string
	}{
		{[]string{"-q", "/root/shells"}, true, []string{"--quarantine=/root/shells"}},
		{[]string{"-n", `^/home/\([^/]*\)/.*`}, true, []string{`--notify-user=^/home/\([^/]*\)/.*`}},
		{[]string{"-q", "/var/www"}, false, []string{"-q", "/var/www"}},
		{[]string{"-q", "/a", "/b"}, true, []string{"-q", "/a", "/b"}},
		{[]string{"-q"}, true, []string{"-q"}},
		{[]string{"--format", "json", "-q", "-"}, true, []string{"--format", "json", "-q", "-"}},
		// spam-gear's documented pipe.
		{[]string{"-q", "-n", `^/home/\([^/.]*\)/.*`, "-c", "/etc/mail.txt"}, true,
			[]string{"-q", `--notify-user=^/home/\([^/.]*\)/.*`, "-c", "/etc/mail.txt"}},
		{[]string{"-j", "4", "-q", "/root/shells"}, true, []string{"-j", "4", "--quarantine=/root/shells"}},
		{[]string{"-j4", "-0q", "/root/shells"}, true, []string{"-j4", "--quarantine=/root/shells"}},
		{[]string{"-q", "/root/shells", "-n", "^/home/([^/]*)/"}, true, []string{"--quarantine=/root/shells", "--notify-user=^/home/([^/]*)/"}},
		{[]string{"-q", "/root/shells", "--", "/home"}, true, []string{"-q", "/root/shells", "--", "/home"}},
	}
	fs := newRootCommand(&env{}).Flags()
	for _, tt := range tests {
		if got := legacyArgs(tt.args, tt.piped, fs); !slices.Equal(got, tt.want) {
			t.Errorf("legacyArgs(%q, %v) = %q, want %q", tt.args, tt.piped, got, tt.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "512": 512, "4K": 4096, "32M": 32 << 20, "1g": 1 << 30, "2MiB": 2 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "99999999999999G"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestAgeWindow(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	day := int64(24 * time.Hour)
	tests := []struct {
		arg           string
		after, before int64
	}{
		{"-2", now.UnixNano() - 2*day, 0},
		{"+3", 0, now.UnixNano() - 4*day},
		{"1", now.UnixNano() - 2*day, now.UnixNano() - day},
	}
	for _, tt := range tests {
		a, b, err := ageWindow(tt.arg, now)
		if err != nil || a != tt.after || b != tt.before {
			t.Errorf("ageWindow(%q) = %d, %d, %v; want %d, %d", tt.arg, a, b, err, tt.after, tt.before)
		}
	}
}

func TestDisableRule(t *testing.T) {
	root, rules := fixture(t)
	r := runCLI(t, "", append(baseArgs(rules), "--disable-rule", "T.*", root)...)
	if r.code != exitClean || r.stdout != "" {
		t.Errorf("exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestOwnBinaryIsClean: the binary embeds the rules, test snippets and all;
// scanning the directory shellscan is installed in must not find them.
func TestOwnBinaryIsClean(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	r := runCLI(t, "", "--data-dir", "", "--no-progress", exe)
	if r.code != exitClean {
		t.Errorf("exit %d scanning the test binary:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestRulesSubcommands(t *testing.T) {
	_, rules := fixture(t)
	r := runCLI(t, "", "rules", "check", "--no-default-rules", "--data-dir", "", "--sigs", rules)
	if r.code != exitClean || !strings.Contains(r.stdout, "version ") || !strings.Contains(r.stdout, "1 rules") {
		t.Errorf("check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", "rules", "list", "--no-default-rules", "--data-dir", "", "--sigs", rules)
	if r.stdout != "T.Marker\tRULES\tshell\tphp\tTest.Marker\nSG.PHP.Behaviour.Score\tRULES\tmalicious(score)\tphp\tSG.PHP.Behaviour.Score\n" {
		t.Errorf("list: %q", r.stdout)
	}
	bad := filepath.Join(t.TempDir(), "fingerprints.txt")
	write(t, bad, "ok literal here\nab\n")
	r = runCLI(t, "", "rules", "check", "--data-dir", "", "--sigs", bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, bad+":2:") {
		t.Errorf("bad file: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestInterruptedExits130(t *testing.T) {
	root, rules := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	if code := run(ctx, e, append(baseArgs(rules), root)); code != exitInterrupted {
		t.Errorf("exit %d, want 130; stderr %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "(interrupted)") {
		t.Errorf("summary does not say interrupted: %s", errb.String())
	}
}

func TestCacheSecondRunReadsNothingButReportsAgain(t *testing.T) {
	root, rules := fixture(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	// The fixture's files are brand new: trust their stat tuples anyway.
	args := append(baseArgs(rules), "--cache", cachePath, "--racy-window", "0", root)
	first := runCLI(t, "", args...)
	if first.code != exitFound || !strings.Contains(first.stderr, "3 read") {
		t.Fatalf("first run: exit %d\n%s", first.code, first.stderr)
	}
	second := runCLI(t, "", args...)
	if second.code != exitFound || sortedLines(second.stdout) != sortedLines(first.stdout) {
		t.Errorf("second run: exit %d, stdout %q (want the same hits)", second.code, second.stdout)
	}
	// The clean file is not read again; the two infected ones are.
	if !strings.Contains(second.stderr, "1 unchanged, not read") || !strings.Contains(second.stderr, "2 read") {
		t.Errorf("second run summary: %s", second.stderr)
	}
	// Touching the clean file (new ctime) makes it be read again.
	good := filepath.Join(root, "alice/public_html/good.php")
	now := time.Now()
	if err := os.Chtimes(good, now, now); err != nil {
		t.Fatal(err)
	}
	third := runCLI(t, "", args...)
	if !strings.Contains(third.stderr, "3 read") {
		t.Errorf("third run summary: %s", third.stderr)
	}
	// Other rules: every entry is stale.
	other := filepath.Join(t.TempDir(), "other.toml")
	write(t, other, strings.Replace(testRule, "T.Marker", "T.Other", 1))
	fourth := runCLI(t, "", "--no-default-rules", "--data-dir", "", "--sigs", other, "--cache", cachePath, root)
	if !strings.Contains(fourth.stderr, "3 read") {
		t.Errorf("after a rule change: %s", fourth.stderr)
	}
}

func TestCacheInUseExits2(t *testing.T) {
	root, rules := fixture(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	c, err := cache.Open(cachePath, cache.Options{SigVersion: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := runCLI(t, "", append(baseArgs(rules), "--cache", cachePath, "--cache-wait", "100ms", root)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "in use by another shellscan") {
		t.Errorf("exit %d stderr %s", r.code, r.stderr)
	}
}

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func TestCacheSubcommands(t *testing.T) {
	root, rules := fixture(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	runCLI(t, "", append(baseArgs(rules), "--cache", cachePath, root)...)
	r := runCLI(t, "", "cache", "stats", "--cache", cachePath)
	if r.code != exitClean || !strings.Contains(r.stdout, "3 files") || !strings.Contains(r.stdout, "root "+root+": last complete scan") {
		t.Errorf("stats: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := os.Remove(filepath.Join(root, "alice/public_html/good.php")); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "cache", "prune", "--cache", cachePath)
	if r.code != exitClean || !strings.Contains(r.stdout, "pruned 1 entries") {
		t.Errorf("prune: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestSinceLastScan(t *testing.T) {
	root, rules := fixture(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	// The new file goes into a directory that exists at the first scan:
	// a directory that changes is scanned whole (it may have been moved
	// in, its files keeping their old times), infected files included.
	if err := os.MkdirAll(filepath.Join(root, "carol"), 0o755); err != nil {
		t.Fatal(err)
	}
	args := append(baseArgs(rules), "--cache", cachePath, "--since-last-scan", root)
	first := runCLI(t, "", args...)
	if first.code != exitFound || !strings.Contains(first.stderr, "scanning everything") || !strings.Contains(first.stderr, "3 read") {
		t.Fatalf("first: exit %d\n%s", first.code, first.stderr)
	}
	newbad := filepath.Join(root, "carol", "new.php")
	write(t, newbad, "<?php spamgear-test-marker(3);")
	second := runCLI(t, "", args...)
	if second.code != exitFound || second.stdout != newbad+" [RULES] [Test.Marker]\n" || !strings.Contains(second.stderr, "1 files") {
		t.Errorf("second: exit %d stdout %q\n%s", second.code, second.stdout, second.stderr)
	}
	r := runCLI(t, "x", append(baseArgs(rules), "--since-last-scan")...)
	if r.code != exitUsage {
		t.Errorf("stdin with --since-last-scan: exit %d", r.code)
	}
}

// TestRacyFilesAreReadAgain: a file changed moments before it was read is
// not vouched for by its stat tuple (coarse timestamps could hide a rewrite
// in the same clock tick); its content verdict still saves the matching.
func TestRacyFilesAreReadAgain(t *testing.T) {
	root, rules := fixture(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	args := append(baseArgs(rules), "--cache", cachePath, "--racy-window", "1h", root)
	runCLI(t, "", args...)
	second := runCLI(t, "", args...)
	if !strings.Contains(second.stderr, "3 read") || !strings.Contains(second.stderr, "1 known clean") {
		t.Errorf("second run: %s", second.stderr)
	}
}

func TestFullScanPrunesDeletedFiles(t *testing.T) {
	root, rules := fixture(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	args := append(baseArgs(rules), "--cache", cachePath, root)
	runCLI(t, "", args...)
	if err := os.Remove(filepath.Join(root, "alice/public_html/good.php")); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "", args...)
	r := runCLI(t, "", "cache", "stats", "--cache", cachePath)
	if !strings.Contains(r.stdout, " 2 files") {
		t.Errorf("after a full scan the deleted file is still cached:\n%s", r.stdout)
	}
}
