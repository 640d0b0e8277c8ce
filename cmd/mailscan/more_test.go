package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/postfixtest"
	"github.com/spamgear/spamgear/remediate"
	"github.com/spamgear/spamgear/remediate/mailer/mailtest"
)

func TestExim(t *testing.T) {
	log := write(t, filepath.Join(t.TempDir(), "mainlog"), strings.Repeat(
		"2026-11-27 10:00:01 1XwBXa-0001Hc-Ik <= bob@host.example U=bob P=local S=567 T=\"Hi A=x:y H=z [1.2.3.4]\" for a@b.c\n", 3)+
		strings.Repeat("2026-11-27 10:00:02 +0100 [1234] 1XwBXb-0001Hc-Ik <= x@example.org H=mail.example.org (fake.helo [9.9.9.9]) [192.0.2.1]:54321 I=[198.51.100.2]:25 P=esmtpsa X=TLS1.2 CV=no A=dovecot_plain:alice@example.org S=1234 for x@y.z\n", 4)+
		"2026-11-27 10:00:03 1XwBXc-0001Hc-Ik => a@b.c R=dnslookup T=remote_smtp\n")
	r := runCLI(t, "", "exim", "--log", log, "--now", "2026-11-27T12:00:00Z", "-p", "1day", "-m", "3")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	for _, want := range []string{"Local users that sent", "3 (0 nets/0 unknowns/0 IPs/0 webmail) -- 2026-11-27 10:00:01 1XwBXa",
		"Hosts that sent", "4 (1 nets/0 unknowns/1 IPs/0 webmail) -- 2026-11-27 10:00:02 +0100 [1234] 1XwBXb",
		"Authenticated ids that sent"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "9.9.9.9") && strings.Count(r.stdout, "\n4 (") > 2 {
		t.Errorf("HELO text counted as a host:\n%s", r.stdout)
	}
	r = runCLI(t, "", "exim", "--log", log, "--now", "2026-11-27T12:00:00Z", "-p", "1day", "-m", "3", "--format", "json")
	kinds := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var f finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		kinds[f.Kind] = f.Name
	}
	if kinds["local_user"] != "bob" || kinds["host"] != "192.0.2.1" || kinds["auth_id"] != "alice@example.org" {
		t.Errorf("json kinds %v", kinds)
	}
}

func TestPHPLegacy(t *testing.T) {
	line := "Nov 27 11:55:00 web1 sendmail-php: sendmail-php url=example.com/x.php, client=192.0.2.1, filename=/home/u/public_html/x.php, uid=1001, user=u, args=-t -i\n"
	old := "Nov 27 11:00:00 web1 sendmail-php: sendmail-php url=example.com/y.php, client=192.0.2.1, filename=/home/u/public_html/y.php, uid=1001, user=u, args=-t -i\n"
	log := write(t, filepath.Join(t.TempDir(), "mail.log"), strings.Repeat(old, 20)+strings.Repeat(line, 12))
	r := runCLI(t, "", "php-legacy", "--log", log, "--now", "2026-11-27T12:00:00Z", "10", "10")
	if r.code != 0 || r.stdout != "/home/u/public_html/x.php\n" {
		t.Errorf("exit %d %q %s", r.code, r.stdout, r.stderr)
	}
}

// fakeProgram writes an executable shell script.
func fakeProgram(t *testing.T, name, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDisable(t *testing.T) {
	dir := t.TempDir()
	disabled := filepath.Join(dir, "disabled")
	cmd := fakeProgram(t, "lock", `echo "$1" >> `+disabled+"\n")
	check := fakeProgram(t, "check", `[ -f `+disabled+` ] || exit 1; grep -qx -- "$1" `+disabled+"\n")
	log := write(t, filepath.Join(dir, "mail.log"), postfixLog)
	audit := filepath.Join(dir, "actions.log")
	srv := mailtest.NewServer(t, mailtest.Options{})
	args := []string{"postfix", "--log", log, "--now", "2027-01-01T00:30:00Z", "-m", "4", "-d", "2,1",
		"--disable-with", "command", "--disable-command", cmd, "--disable-check-command", check, "--audit-log", audit,
		"--smtp", srv.Addr(), "--smtp-security", "none", "--mail-from", "root@example.org", "--alert-to", "admin@example.org"}

	// Dry run: nothing disabled, nothing mailed, nothing audited.
	r := runCLI(t, "", append(args, "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.stderr, "would disable alice") || strings.Contains(r.stdout, "[DISABLED]") {
		t.Fatalf("dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(disabled); err == nil || len(srv.Messages()) != 0 {
		t.Fatal("dry run acted")
	}

	// alice: 3 nets > 2 and 2 unknowns > 1: disabled; bob: 1 net: not.
	r = runCLI(t, "", args...)
	if r.code != 0 || !strings.Contains(r.stdout, "sasl_username=alice [DISABLED]") || strings.Contains(r.stdout, "bob@example.org [DISABLED]") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(disabled); string(b) != "alice\n" {
		t.Errorf("disable command got %q", b)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "admin@example.org" || !strings.Contains(string(msgs[0].Data), "[USER DISABLED]") {
		t.Fatalf("alerts: %d", len(msgs))
	}
	b, _ := os.ReadFile(audit)
	var e remediate.Entry
	if err := json.Unmarshal([]byte(strings.Split(string(b), "\n")[0]), &e); err != nil || e.Action != "disable" || e.User != "alice" {
		t.Errorf("audit: %s", b)
	}

	// Again: alice is already disabled: not disabled or alerted twice.
	r = runCLI(t, "", args...)
	if !strings.Contains(r.stdout, "alice [ALREADY DISABLED]") || len(srv.Messages()) != 1 {
		t.Errorf("second run: %d alerts\n%s", len(srv.Messages()), r.stdout)
	}
	if b, _ := os.ReadFile(disabled); string(b) != "alice\n" {
		t.Errorf("disabled twice: %q", b)
	}
}

func TestDisableRefusesHostileNames(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	cmd := fakeProgram(t, "lock", "touch "+marker+"\n")
	var sb strings.Builder
	for i := 0; i < 5; i++ {
		sb.WriteString("Jan  1 00:0" + string(rune('1'+i)) + ":00 mx postfix/smtpd[1]: Q: client=unknown[192.0." + string(rune('1'+i)) + ".1], sasl_method=PLAIN, sasl_username=x;touch /tmp/pwned\n")
	}
	log := write(t, filepath.Join(dir, "mail.log"), sb.String())
	r := runCLI(t, "", "postfix", "--log", log, "--now", "2027-01-01T00:30:00Z", "-m", "2", "-d", "0,0",
		"--disable-with", "command", "--disable-command", cmd, "--audit-log", filepath.Join(dir, "a.log"), "--sendmail", "/nonexistent/sendmail")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the disable command ran for a hostile user name")
	}
	if !strings.Contains(r.stdout, "[DISABLE FAILED]") || !strings.Contains(r.stderr, "could not disable") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestWebmail(t *testing.T) {
	rc := write(t, filepath.Join(t.TempDir(), "sendmail"),
		"[27-Nov-2026 11:00:00 +0100]: <abcd1234> User alice [192.0.2.1]; Message <x@host> for a@b.c, c@d.e; 250: 2.0.0 Ok: queued as ABC\n"+
			"[27-Nov-2026 11:00:05 +0100]: User alice [192.0.2.2]; Message for a@b.c; 250: 2.0.0 Ok: queued as ABD\n"+
			"[27-Nov-2026 09:00:05 +0100]: User alice [192.0.2.3]; Message for a@b.c; 250: 2.0.0 Ok: queued as ABE\n")
	r := runCLI(t, "", "roundcube", "--log", rc, "--now", "2026-11-27T12:00:00+01:00", "-m", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "2 (3 recipients/1 nets/0 unknowns/2 IPs/0 webmail) -- [27-Nov-2026 11:00:00 +0100]: <abcd1234> User alice") {
		t.Errorf("roundcube: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	imp := write(t, filepath.Join(t.TempDir(), "horde.log"),
		"2026-11-27T11:10:00Z web HORDE: [imp] Message sent to a@b.example, d@e.example from bob (192.0.2.1) [pid 1 on line 1101 of \"/x/Compose.php\"]\n"+
			"Nov 27 11:30:00 web HORDE[77]: [imp] Message sent to a@b.example from bob (198.51.100.1) [pid 2 on line 1101 of \"/x/Compose.php\"]\n")
	r = runCLI(t, "", "imp", "--log", imp, "--now", "2026-11-27T12:00:00Z", "-m", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "2 (3 recipients/2 nets/0 unknowns/2 IPs/0 webmail) -- 2026-11-27T11:10:00Z web HORDE: [imp]") {
		t.Errorf("imp: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRealPostfix sends authenticated mail through a real Postfix with
// Dovecot SASL on loopback, from many source addresses, and checks that
// mailscan reports exactly what was sent.
func TestRealPostfix(t *testing.T) {
	env := postfixtest.Start(t, postfixtest.WithUsers(map[string]string{"alice": "pw-a", "bob": "pw-b", "carol": "pw-c"}))
	sent := 0
	for i, src := range []string{"127.0.0.23", "127.0.0.24", "127.0.2.23", "127.5.0.1"} {
		env.Send(t, "alice", "pw-a", src, 2+i%2) // 2+3+2+3 = 10 from 4 networks
		sent += 2 + i%2
	}
	env.Send(t, "bob", "pw-b", "127.9.8.7", 4)
	env.Send(t, "carol", "pw-c", "127.0.0.5", 1)
	log := env.WaitLogged(t, sent+5)
	r := runCLI(t, "", "postfix", "--log", log, "-p", "1hour", "-m", "4", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := map[string]finding{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var f finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got[f.Name] = f
	}
	a, b := got["alice"], got["bob"]
	if len(got) != 2 || a.Messages != sent || a.IPs != 4 || a.Nets != 3 || a.Unknowns != 4 || b.Messages != 4 || b.IPs != 1 {
		t.Errorf("report %+v\nwant alice %d messages from 4 IPs in 3 nets, bob 4; carol under -m", got, sent)
	}
}
