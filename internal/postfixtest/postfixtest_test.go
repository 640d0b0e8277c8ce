package postfixtest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// saslLine is what a test reads from an smtpd "client=..., sasl_method=...,
// sasl_username=..." line.
type saslLine struct {
	line, clientIP, method, user string
}

// saslLines returns the log's smtpd lines for accepted authenticated
// messages ("client=..., sasl_username=..."; failed logins carry
// sasl_username too, in a warning without client=).
func saslLines(t *testing.T, path string) []saslLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []saslLine
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSuffix(line, "\n")
		if !strings.Contains(line, "sasl_username=") || !strings.Contains(line, ": client=") {
			continue
		}
		if !strings.Contains(line, " postfix/smtpd[") {
			t.Errorf("sasl_username outside smtpd: %s", line)
		}
		s := saslLine{line: line}
		for _, kv := range strings.Split(line[strings.Index(line, "client="):], ", ") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "client":
				_, ip, _ := strings.Cut(v, "[")
				s.clientIP = strings.TrimSuffix(ip, "]")
			case "sasl_method":
				s.method = v
			case "sasl_username":
				s.user = v
			}
		}
		out = append(out, s)
	}
	return out
}

// TestSendAndLog is the flow mailscan's integration test uses: users given
// to Start and added later, authenticated messages from two loopback
// sources, and the exact lines smtpd logs for them.
func TestSendAndLog(t *testing.T) {
	env := Start(t, WithUsers(map[string]string{"alice": "secret1"}))
	env.AddUser("bob", "pw")
	env.Send(t, "alice", "secret1", "127.0.0.23", 3)
	env.Send(t, "bob", "pw", "127.9.8.7", 2)
	path := env.WaitLogged(t, 5)
	if path != env.LogPath() {
		t.Errorf("WaitLogged returned %s, LogPath is %s", path, env.LogPath())
	}

	lines := saslLines(t, path)
	count := map[string]int{}
	samples := map[string]string{}
	for _, l := range lines {
		if l.method != "PLAIN" {
			t.Errorf("sasl_method %q, want PLAIN: %s", l.method, l.line)
		}
		key := l.user + "@" + l.clientIP
		count[key]++
		if samples[l.user] == "" {
			samples[l.user] = l.line
		}
	}
	want := map[string]int{"alice@127.0.0.23": 3, "bob@127.9.8.7": 2}
	if len(lines) != 5 || fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("sasl lines by user@client = %v (%d lines), want %v", count, len(lines), want)
	}
	for _, l := range lines {
		if !strings.Contains(l.line, "client=unknown["+l.clientIP+"], sasl_method=PLAIN, sasl_username="+l.user) {
			t.Errorf("unexpected client= line format: %s", l.line)
		}
	}
	t.Logf("sample line: %s", samples["alice"])
	t.Logf("sample line: %s", samples["bob"])
}

// TestAuthRequiredAndUserChanges checks that smtpd relays for nobody
// unauthenticated (not even 127.0.0.1), that a wrong password fails Send's
// swaks, and that AddUser's password change reaches Dovecot.
func TestAuthRequiredAndUserChanges(t *testing.T) {
	env := Start(t)
	swaks := func(args ...string) error {
		base := []string{"--server", "127.0.0.1", "--port", strconv.Itoa(env.Port()),
			"--from", "x@example.test", "--to", Recipient, "--timeout", "20"}
		return exec.Command(env.bin.swaks, append(base, args...)...).Run()
	}
	if err := swaks("--local-interface", "127.0.0.1"); err == nil {
		t.Error("unauthenticated message from 127.0.0.1 was accepted")
	}
	env.AddUser("carol", "old1")
	env.Send(t, "carol", "old1", "127.0.0.5", 1)
	env.AddUser("carol", "new2") // same length: Dovecot must still notice
	env.Send(t, "carol", "new2", "127.0.0.5", 1)
	if err := swaks("--local-interface", "127.0.0.5", "--auth", "PLAIN",
		"--auth-user", "carol", "--auth-password", "old1"); err == nil {
		t.Error("old password still accepted after AddUser changed it")
	}
	env.WaitLogged(t, 2)
	log := readFile(env.LogPath())
	if !strings.Contains(log, "Relay access denied") || !strings.Contains(log, "authentication failed") {
		t.Errorf("no relay reject or no failed login in the log:\n%s", log)
	}
	if n := len(saslLines(t, env.LogPath())); n != 2 {
		t.Errorf("%d sasl_username lines, want 2", n)
	}
	for line := range strings.Lines(log) {
		if strings.Contains(line, "reject:") || strings.Contains(line, "authentication failed") {
			t.Logf("sample line: %s", strings.TrimSpace(line))
		}
	}
}

// TestTwoInstances runs two environments at once and checks that they are
// independent and that cleanup leaves no process behind.
func TestTwoInstances(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	envs := make([]*Env, 2)
	t.Run("group", func(t *testing.T) {
		for i := range envs {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				user := fmt.Sprintf("user%d", i)
				env := Start(t, WithUsers(map[string]string{user: "pw"}))
				envs[i] = env
				env.Send(t, user, "pw", fmt.Sprintf("127.0.%d.1", i+1), 1)
				lines := saslLines(t, env.WaitLogged(t, 1))
				if len(lines) != 1 || lines[0].user != user {
					t.Errorf("instance %d logged %v, want one line for %s", i, lines, user)
				}
			})
		}
	})
	if t.Failed() || envs[0] == nil || envs[1] == nil {
		return
	}
	if envs[0].Port() == envs[1].Port() || envs[0].Dir() == envs[1].Dir() {
		t.Errorf("instances share port or directory: %s %s, %s %s",
			envs[0].Addr(), envs[0].Dir(), envs[1].Addr(), envs[1].Dir())
	}
	for i, env := range envs {
		for _, d := range []*daemon{env.master, env.dovecot} {
			if left := liveGroupMembers(d.cmd.Process.Pid); len(left) > 0 {
				t.Errorf("instance %d: %s left processes %v running after cleanup", i, d.name, left)
			}
		}
	}
}

func TestCountLog(t *testing.T) {
	const (
		conn   = "Nov 27 02:20:34 mail postfix/smtpd[1]: connect from unknown[127.0.0.23]\n"
		client = "Nov 27 02:20:34 mail postfix/smtpd[1]: BDBF5986504: client=unknown[127.0.0.23], sasl_method=PLAIN, sasl_username=alice\n"
		from   = "Nov 27 02:20:34 mail postfix/qmgr[2]: BDBF5986504: from=<alice@example.test>, size=430, nrcpt=1 (queue active)\n"
		disc   = "Nov 27 02:20:34 mail postfix/smtpd[1]: disconnect from unknown[127.0.0.23] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6\n"
		sent   = "Nov 27 02:20:34 mail postfix/discard[3]: BDBF5986504: to=<rcpt@example.test>, relay=none, delay=0.05, delays=0.02/0.03/0/0, dsn=2.0.0, status=sent (example.test)\n"
		remove = "Nov 27 02:20:34 mail postfix/qmgr[2]: BDBF5986504: removed\n"
	)
	for _, tc := range []struct {
		name    string
		log     string
		want    logCounts
		settled bool
	}{
		{"empty", "", logCounts{}, true},
		{"in session", conn + client, logCounts{sasl: 1, connects: 1}, false},
		{"queued", conn + client + from + disc, logCounts{sasl: 1, connects: 1, disconnects: 1, pending: 1}, false},
		{"done", conn + client + from + disc + sent + remove, logCounts{sasl: 1, connects: 1, disconnects: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := countLog(tc.log)
			if got != tc.want || got.settled() != tc.settled {
				t.Errorf("countLog = %+v settled=%v, want %+v settled=%v", got, got.settled(), tc.want, tc.settled)
			}
		})
	}
}
