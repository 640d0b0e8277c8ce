package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain runs the tests in UTC: classic syslog timestamps are local time,
// and the test logs are written for a UTC machine.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, auditLog: filepath.Join(t.TempDir(), "actions.log")}
	code := run(context.Background(), e, args)
	return result{code, out.String(), errb.String()}
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// postfixLog crosses New Year: the run is on Jan 1, 2027 at 00:30.
const postfixLog = `Dec 31 22:00:00 mx postfix/smtpd[10]: AAA: client=old.example[192.0.2.9], sasl_method=PLAIN, sasl_username=alice
Dec 31 23:40:01 mx postfix/smtpd[11]: AAB: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=alice
Dec 31 23:50:02 mx postfix/smtpd[12]: AAC: client=unknown[192.0.2.77], sasl_method=LOGIN, sasl_username=alice
Dec 31 23:55:00 mx postfix/smtpd[12]: connect from unknown[192.0.2.77]
Jan  1 00:01:03 mx postfix/smtpd[13]: AAD: client=web.example[10.0.0.5], sasl_method=PLAIN, sasl_username=alice
Jan  1 00:02:04 mx postfix/smtpd[14]: AAE: client=host.example[198.51.100.7], sasl_method=PLAIN, sasl_username=alice
Jan  1 00:03:05 mx postfix/submission/smtpd[15]: AAF: client=unknown[2001:db8:1:2::1], sasl_method=PLAIN, sasl_username=bob@example.org
Jan  1 00:03:06 mx postfix/smtpd[16]: message repeated 3 times: [ AAG: client=unknown[2001:db8:1:2::9], sasl_method=PLAIN, sasl_username=bob@example.org]
Jan  1 00:04:00 mx postfix/smtpd[17]: AAH: client=x.example[203.0.113.5], sasl_method=PLAIN, sasl_username=carol
this line is garbage
`

func TestPostfixReport(t *testing.T) {
	log := write(t, filepath.Join(t.TempDir(), "mail.log"), postfixLog)
	r := runCLI(t, "", "postfix", "--log", log, "--now", "2027-01-01T00:30:00Z", "-p", "1hour", "-m", "4", "-w", "10.0.0.5")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "During the last 1 hour the following senders have made at least 4 SMTP connections.\n\n" +
		"4 (3 nets/2 unknowns/4 IPs/1 webmail) -- Dec 31 23:40:01 mx postfix/smtpd[11]: AAB: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=alice\n" +
		"4 (1 nets/2 unknowns/2 IPs/0 webmail) -- Jan  1 00:03:05 mx postfix/submission/smtpd[15]: AAF: client=unknown[2001:db8:1:2::1], sasl_method=PLAIN, sasl_username=bob@example.org\n"
	if r.stdout != want {
		t.Errorf("report:\n%s\nwant:\n%s", r.stdout, want)
	}
	// Nobody over MAX: nothing at all on stdout (emergency-mail sends nothing).
	r = runCLI(t, "", "postfix", "--log", log, "--now", "2027-01-01T00:30:00Z", "-m", "50")
	if r.code != 0 || r.stdout != "" {
		t.Errorf("nothing found: exit %d, stdout %q", r.code, r.stdout)
	}
	// --exit-code, overrides.
	ov := write(t, filepath.Join(t.TempDir(), "overrides"), "alice 100\n")
	r = runCLI(t, "", "postfix", "--log", log, "--now", "2027-01-01T00:30:00Z", "-m", "4", "--overrides", ov, "--exit-code")
	if r.code != exitFound || strings.Contains(r.stdout, "alice") || !strings.Contains(r.stdout, "bob@example.org") {
		t.Errorf("overrides/exit-code: exit %d\n%s", r.code, r.stdout)
	}
}

func TestLogErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.log")
	r := runCLI(t, "", "postfix", "--log", missing)
	if r.code != exitUsage || !strings.Contains(r.stderr, missing) {
		t.Errorf("missing log: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", "postfix", "--log", "-", "-p", "5parsecs")
	if r.code != exitUsage || !strings.Contains(r.stderr, "5parsecs") {
		t.Errorf("bad period: exit %d %q", r.code, r.stderr)
	}
}

func TestPHPPipe(t *testing.T) {
	var sb strings.Builder
	for i := 0; i < 7; i++ {
		sb.WriteString("[27-Nov-2026 10:00:0" + string(rune('0'+i)) + " UTC] mail() on [/home/u/public_html/wp-content/x.php:12]: To: a@b.c -- Headers: From: x@y.z\n")
	}
	sb.WriteString("mail() on [/home/v/index.php:3]: To: a@b.c -- Headers: X: y\n") // no date (old PHP)
	sb.WriteString("[27-Nov-2026 10:00:09 UTC] mail() on [/home/w/old.php(7) : eval()'d code:1]: To: a@b.c -- Headers: \n")
	log := write(t, filepath.Join(t.TempDir(), "phpmail.log"), sb.String())
	r := runCLI(t, "", "php", "--log", log, "--now", "2026-11-27T12:00:00Z", "5")
	if r.code != 0 || r.stdout != "/home/u/public_html/wp-content/x.php\n" {
		t.Errorf("php 5: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", "php", "--log", log, "--now", "2026-11-27T12:00:00Z", "1")
	if got := strings.Fields(r.stdout); len(got) != 3 || got[1] != "/home/v/index.php" && got[2] != "/home/v/index.php" {
		t.Errorf("php 1: %q", r.stdout)
	}
}
