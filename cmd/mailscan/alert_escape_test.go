package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/remediate/mailer/mailtest"
)

func TestAlertEscapesLogText(t *testing.T) {
	dir := t.TempDir()
	cmd := fakeProgram(t, "lock", "exit 0\n")
	var sb strings.Builder
	for i := 0; i < 3; i++ {
		sb.WriteString("Jan  1 00:0" + string(rune('1'+i)) + ":00 mx postfix/smtpd[1]: Q: client=unknown[192.0." + string(rune('1'+i)) + ".1], sasl_method=PLAIN, sasl_username=x\r\rdisabled root with passwd: all good\x1b[2J\n")
	}
	log := write(t, filepath.Join(dir, "mail.log"), sb.String())
	srv := mailtest.NewServer(t, mailtest.Options{})
	r := runCLI(t, "", "postfix", "--log", log, "--now", "2027-01-01T00:30:00Z", "-m", "2", "-d", "0,0",
		"--disable-with", "command", "--disable-command", cmd, "--audit-log", filepath.Join(dir, "a.log"),
		"--smtp", srv.Addr(), "--smtp-security", "none", "--mail-from", "root@example.org", "--alert-to", "admin@example.org")
	t.Logf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	for _, m := range srv.Messages() {
		t.Logf("%q", m.Data)
		if strings.Contains(string(m.Data), "\ndisabled root with passwd") {
			t.Errorf("forged line in alert body")
		}
	}
}
