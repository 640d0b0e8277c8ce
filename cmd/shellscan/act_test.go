package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/remediate"
	"github.com/spamgear/spamgear/remediate/mailer/mailtest"
)

// actRules: a shell marker, injected code that a clean pattern removes,
// and a "potentially dangerous" (report-only) marker.
const actRules = testRule + `
[[rule]]
id = "T.Inject"
name = "Test.Inject"
category = "malicious"
literals = ["spamgear-inject-marker"]
regex = 'spamgear-inject-marker\(\d+\);'
clean = '/\*sg\*/spamgear-inject-marker\(\d+\);/\*sg\*/'
kinds = ["php"]
true_positives = ["<?php /*sg*/spamgear-inject-marker(1);/*sg*/ ?>"]
false_positives = ["spamgear-inject-marker()"]

[[rule]]
id = "T.Risky"
name = "Test.Risky"
category = "suspicious"
literals = ["spamgear-risky-marker"]
kinds = ["php"]
true_positives = ["<?php spamgear-risky-marker ?>"]
false_positives = ["spamgear-risk"]
`

// actTree is a hosting tree: /home/<user>/public_html files for three
// users, plus the rule file, quarantine and audit paths.
type actTree struct {
	home, rules, q, audit string
	files                 map[string]string // name → path
}

func newActTree(t *testing.T) *actTree {
	t.Helper()
	dir := t.TempDir()
	a := &actTree{home: filepath.Join(dir, "home"), rules: filepath.Join(dir, "rules.toml"),
		q: filepath.Join(dir, "shells"), audit: filepath.Join(dir, "log", "actions.log"), files: map[string]string{}}
	write(t, a.rules, actRules)
	for name, f := range map[string]struct{ rel, content string }{
		"shell":    {"alice/public_html/shell.php", "<?php spamgear-test-marker(1); ?>"},
		"shell2":   {"bob/public_html/up/x.php", "<?php spamgear-test-marker(2); ?>"},
		"injected": {"carol/public_html/index.php", "<?php /*sg*/spamgear-inject-marker(7);/*sg*/ ?>\n<?php echo 'site'; ?>\n"},
		"allbad":   {"carol/public_html/only.php", "<?php /*sg*/spamgear-inject-marker(8);/*sg*/ ?>\n"},
		"risky":    {"alice/public_html/tool.php", "<?php spamgear-risky-marker ?>"},
		"good":     {"alice/public_html/index.php", "<?php echo 'hello'; ?>"},
	} {
		p := filepath.Join(a.home, f.rel)
		write(t, p, f.content)
		a.files[name] = p
	}
	return a
}

func (a *actTree) args(extra ...string) []string {
	return append([]string{"--no-default-rules", "--sigs", a.rules, "--no-progress", "--audit-log", a.audit}, extra...)
}

func (a *actTree) auditActions(t *testing.T) []remediate.Entry {
	t.Helper()
	b, err := os.ReadFile(a.audit)
	if err != nil {
		t.Fatal(err)
	}
	var out []remediate.Entry
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e remediate.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func TestQuarantineAndRestoreCLI(t *testing.T) {
	a := newActTree(t)
	r := runCLI(t, "", a.args("--quarantine="+a.q, a.home)...)
	if r.code != exitFound {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, name := range []string{"shell", "shell2", "injected", "allbad"} {
		p := a.files[name]
		if exists(p) {
			t.Errorf("%s still in place", name)
		}
		if !exists(filepath.Join(a.q, p)) {
			t.Errorf("%s not in quarantine", name)
		}
		if !strings.Contains(r.stdout, p+" [") || !strings.Contains(r.stdout, "[QUARANTINED]") {
			t.Errorf("report does not say %s was quarantined:\n%s", name, r.stdout)
		}
	}
	if !exists(a.files["risky"]) || !exists(a.files["good"]) {
		t.Error("a report-only or clean file was moved")
	}
	if !strings.Contains(r.stdout, a.files["risky"]+" [RULES] [Test.Risky]\n") {
		t.Errorf("report-only hit not reported plainly:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "4 quarantined") {
		t.Errorf("summary: %s", r.stderr)
	}
	if got := a.auditActions(t); len(got) != 4 || got[0].Action != "quarantine" || got[0].Target == "" {
		t.Errorf("audit log: %+v", got)
	}

	// Restore one by its original path, then the rest by time.
	r = runCLI(t, "", "restore", "-q", a.q, "--audit-log", a.audit, a.files["shell"])
	if r.code != 0 || !exists(a.files["shell"]) {
		t.Fatalf("restore: exit %d, restored %v\n%s", r.code, exists(a.files["shell"]), r.stderr)
	}
	r = runCLI(t, "", "restore", "-q", a.q, "--audit-log", a.audit, a.files["shell"])
	if r.code != exitIncomplete || !strings.Contains(r.stderr, "not in the manifest") {
		t.Errorf("second restore of the same file: exit %d %s", r.code, r.stderr)
	}
	write(t, a.files["shell2"], "new content")
	r = runCLI(t, "", "restore", "-q", a.q, "--audit-log", a.audit, "--all-since", "1h")
	if r.code != exitIncomplete || !strings.Contains(r.stderr, "exists there again") {
		t.Errorf("restore over a reappeared file: exit %d %s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(a.files["shell2"]); string(b) != "new content" {
		t.Error("reappeared file overwritten")
	}
	if !exists(a.files["injected"]) || !exists(a.files["allbad"]) {
		t.Error("--all-since did not restore the others")
	}
	r = runCLI(t, "", "restore", "-q", a.q, "--list")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, a.files["shell2"]) {
		t.Errorf("list: %d %q", r.code, r.stdout)
	}
}

func TestCleanCLI(t *testing.T) {
	a := newActTree(t)
	r := runCLI(t, "", a.args("--clean", "--quarantine="+a.q, filepath.Join(a.home, "carol"))...)
	if r.code != exitFound {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(a.files["injected"])
	if err != nil || string(b) != "<?php  ?>\n<?php echo 'site'; ?>\n" {
		t.Errorf("cleaned file: %q %v", b, err)
	}
	if !strings.Contains(r.stdout, a.files["injected"]+" [RULES] [Test.Inject] [CLEANED]") {
		t.Errorf("report:\n%s", r.stdout)
	}
	if exists(a.files["allbad"]) || !strings.Contains(r.stdout, a.files["allbad"]+" [RULES] [Test.Inject] [QUARANTINED]") {
		t.Errorf("a file of nothing but injected code must be quarantined whole:\n%s", r.stdout)
	}
	if !exists(filepath.Join(a.q, a.files["injected"])) {
		t.Error("original of the cleaned file not kept in quarantine")
	}
}

func TestDryRunCLI(t *testing.T) {
	a := newActTree(t)
	srv := mailtest.NewServer(t, mailtest.Options{})
	r := runCLI(t, "", a.args("--dry-run", "--clean", "-q="+a.q, "--notify-user=^"+a.home+"/([^/.]*)/", "--smtp", srv.Addr(), "--smtp-security", "none",
		"--mail-domain", "example.org", "--mail-from", "root@example.org", a.home)...)
	if r.code != exitFound {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"[WOULD QUARANTINE]", "[WOULD CLEAN]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %s in\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "would mail alice@example.org") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	for name, p := range a.files {
		if !exists(p) {
			t.Errorf("dry run moved %s", name)
		}
	}
	if exists(a.q) || exists(a.audit) || len(srv.Messages()) != 0 {
		t.Error("dry run made the quarantine, wrote the audit log or sent mail")
	}
}

// TestSpamGearPipe runs spam-gear's documented crontab line:
//
//	find /home -type f | php-shell-scan -q -n PATTERN -c EMAIL
//
// with a sed-syntax pattern and a custom template, through an SMTP server.
func TestSpamGearPipe(t *testing.T) {
	a := newActTree(t)
	srv := mailtest.NewServer(t, mailtest.Options{})
	tmpl := filepath.Join(t.TempDir(), "mail.txt")
	write(t, tmpl, "To: ${EMAIL}\nSubject: Malware in ${USERNAME}'s account\n\nDear ${USERNAME},\n\n${SHELLS}\n")
	var list bytes.Buffer
	for _, p := range a.files {
		list.WriteString(p + "\n")
	}
	pattern := "^" + a.home + `/\([^/.]*\)/.*`
	// spam-gear's separate-word values for -q and -n (the default
	// quarantine directory, /root/shells, is not for tests).
	args := []string{"--no-default-rules", "--sigs", a.rules, "--no-progress", "--audit-log", a.audit,
		"-q", a.q, "-n", pattern, "-c", tmpl, "--smtp", srv.Addr(), "--smtp-security", "none",
		"--mail-domain", "example.org", "--mail-from", "root@example.org"}
	r := runCLI(t, list.String(), args...)
	if r.code != exitFound {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !exists(filepath.Join(a.q, a.files["shell"])) {
		t.Fatalf("not quarantined into %s:\n%s", a.q, r.stdout)
	}
	msgs := srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want one per user (alice, bob, carol)", len(msgs))
	}
	byUser := map[string]string{}
	for _, m := range msgs {
		if len(m.To) != 1 {
			t.Fatalf("recipients %v", m.To)
		}
		byUser[m.To[0]] = string(m.Data)
	}
	alice := byUser["alice@example.org"]
	if !strings.Contains(alice, "Subject: Malware in alice's account") || !strings.Contains(alice, a.files["shell"]) ||
		strings.Contains(alice, a.files["risky"]) || strings.Contains(alice, a.files["shell2"]) {
		t.Errorf("alice's digest:\n%s", alice)
	}
	if c := byUser["carol@example.org"]; !strings.Contains(c, a.files["injected"]) || !strings.Contains(c, a.files["allbad"]) {
		t.Errorf("carol's digest:\n%s", c)
	}
	if !strings.Contains(r.stderr, "3 users notified") {
		t.Errorf("summary: %s", r.stderr)
	}
	notified := 0
	for _, e := range a.auditActions(t) {
		if e.Action == "notify" && e.Error == "" {
			notified++
		}
	}
	if notified != 3 {
		t.Errorf("%d notify entries in the audit log", notified)
	}
}

func TestNotifyFailureKeepsResults(t *testing.T) {
	a := newActTree(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close() // nothing listens there now
	r := runCLI(t, "", a.args("--notify-user=^"+a.home+"/([^/.]*)/", "--smtp", dead, "--smtp-security", "none", "--mail-domain", "example.org",
		"--mail-from", "root@example.org", a.home)...)
	if r.code != exitFound {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, a.files["shell"]) || !strings.Contains(r.stderr, "notification not sent") ||
		!strings.Contains(r.stderr, "3 actions FAILED") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

func TestActionsNeedAnAuditLog(t *testing.T) {
	a := newActTree(t)
	blocker := filepath.Join(t.TempDir(), "file")
	write(t, blocker, "")
	args := a.args("--quarantine="+a.q, a.home)
	for i, x := range args {
		if x == a.audit {
			args[i] = filepath.Join(blocker, "actions.log") // a directory that is a file
		}
	}
	r := runCLI(t, "", args...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "audit log") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !exists(a.files["shell"]) {
		t.Error("a file was moved without an audit log")
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func TestActingRefusesUserSymlinkRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a link owned by another user")
	}
	a := newActTree(t)
	outside := filepath.Join(t.TempDir(), "www-other")
	write(t, filepath.Join(outside, "x.php"), "<?php spamgear-test-marker(3); ?>")
	link := filepath.Join(a.home, "bob", "site")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 1234, 1234); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", a.args("--quarantine="+a.q, link)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "owned by uid 1234") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !exists(filepath.Join(outside, "x.php")) {
		t.Error("a file outside the user's tree was moved")
	}
	// Reporting only still follows the link, like find -H.
	if r := runCLI(t, "", a.args(link)...); r.code != exitFound {
		t.Errorf("report-only scan through the link: exit %d", r.code)
	}
}

// TestStdinThroughRootLink: "find /home/ -type f | shellscan" where /home
// is a link root made: the files are scanned (and could be acted on) at
// their real paths; a user's link on the way is still refused.
func TestStdinThroughRootLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	a := newActTree(t)
	link := filepath.Join(filepath.Dir(a.home), "home-link")
	if err := os.Symlink(a.home, link); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(link, "alice", "public_html", "shell.php") + "\n"
	r := runCLI(t, in, a.args("--quarantine="+a.q)...)
	if r.code != exitFound || !strings.Contains(r.stdout, a.files["shell"]+" [RULES] [Test.Marker] [QUARANTINED]") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAllowlist: a file whose content is on the allowlist is neither
// matched nor flagged; the same marker in another file still is.
func TestAllowlist(t *testing.T) {
	a := newActTree(t)
	trusted := filepath.Join(t.TempDir(), "release")
	write(t, filepath.Join(trusted, "shell.php"), "<?php spamgear-test-marker(1); ?>") // same bytes as alice's shell.php
	list := filepath.Join(t.TempDir(), "allow.sha256")
	r := runCLI(t, "", "allowlist", "build", trusted, "-o", list)
	if r.code != 0 || !strings.Contains(r.stderr, "1 files listed") {
		t.Fatalf("build: exit %d %s", r.code, r.stderr)
	}
	r = runCLI(t, "", a.args("--allowlist", list, a.home)...)
	if strings.Contains(r.stdout, a.files["shell"]) || !strings.Contains(r.stdout, a.files["shell2"]) || !strings.Contains(r.stderr, "1 allowlisted") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.sha256")
	write(t, bad, "not a sum  x\n")
	if r := runCLI(t, "", a.args("--allowlist", bad, a.home)...); r.code != exitUsage || !strings.Contains(r.stderr, bad+":1:") {
		t.Errorf("bad list: exit %d %s", r.code, r.stderr)
	}
}
