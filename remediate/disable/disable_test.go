package disable

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/remediate"
)

// hostileUsers are names from mail logs that must never reach a program.
var hostileUsers = []string{
	"",
	"bob; rm -rf /",
	"$(id)",
	"`id`",
	"-rf",
	"--help",
	"a b",
	"bob\nroot",
	"bob\r",
	"bob\x00root",
	"../etc",
	"bob/../../etc/passwd",
	"x@y@z",
	"bob@",
	"@example.com",
	"bob@.example.com",
	"bob@example.com.",
	"bob@-example.com",
	"bob@exa_mple.com",
	"bob@exam+ple.com",
	"bob..smith",
	"bob@example..com",
	"bøb",
	"bob\u202e",
	"ｂｏｂ",
	"bob'",
	"bob\"",
	"bob\\",
	"bob|id",
	"bob&",
	"bob>x",
	"bob*",
	"bob?",
	"bob#",
	"bob:x",
	"bob,alice",
	"bob\t",
	".bob",
	"+bob",
	"~root",
	strings.Repeat("a", MaxUserLen+1),
}

func TestValidUser(t *testing.T) {
	valid := []string{
		"bob",
		"b",
		"_",
		"0",
		"bob.smith",
		"bob-smith",
		"bob_smith",
		"bob+spam",
		"Bob",
		"bob.",
		"bob@example.com",
		"Bob.Smith+tag@Mail-1.Example.COM",
		"bob@localhost",
		"bob@1.2.3.4",
		"12345",
		strings.Repeat("a", MaxUserLen),
	}
	for _, u := range valid {
		t.Run("valid/"+u, func(t *testing.T) {
			if err := ValidUser(u); err != nil {
				t.Errorf("ValidUser(%q) = %v, want nil", u, err)
			}
		})
	}
	for _, u := range hostileUsers {
		t.Run("invalid/"+u, func(t *testing.T) {
			err := ValidUser(u)
			if !errors.Is(err, ErrInvalidUser) {
				t.Fatalf("ValidUser(%q) = %v, want ErrInvalidUser", u, err)
			}
			// The message quotes the name: no raw control bytes.
			if strings.ContainsFunc(err.Error(), func(r rune) bool { return r < 0x20 || r >= 0x7f }) {
				t.Errorf("error %q carries raw control or non-ASCII characters", err)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{
		"",
		"bob",
		"'",
		"''",
		"a'b",
		"'; rm -rf / #",
		"bob; rm -rf /",
		"$(id)",
		"`id`",
		"${HOME}",
		"$HOME",
		`\`,
		`\'`,
		`"`,
		`"'"'"`,
		"a\nb",
		"a\tb  c",
		"*",
		"~root",
		"-rf",
		"%s%n",
		"!!",
		"a|b&c;d<e>f(g)h",
		"bøb ｂｏｂ \u202e",
		"\x01\x7f",
	} {
		q := shellQuote(s)
		out, err := exec.Command("/bin/sh", "-c", "printf %s "+q).Output()
		if err != nil {
			t.Errorf("sh -c 'printf %%s %s': %v", q, err)
			continue
		}
		if string(out) != s {
			t.Errorf("shellQuote(%q) = %s; the shell read it back as %q", s, q, out)
		}
	}
}

func TestParsePasswdStatus(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      bool
		wantErr   bool
	}{
		{"shadow locked", "bob L 01/01/2024 0 99999 7 -1\n", true, false},
		{"libuser locked", "bob LK 2024-01-01 0 99999 7 -1 (Password locked.)\n", true, false},
		{"shadow usable", "bob P 01/01/2024 0 99999 7 -1\n", false, false},
		{"libuser usable", "bob PS 2024-01-01 0 99999 7 -1 (Password set, SHA512 crypt.)\n", false, false},
		{"no password", "bob NP 01/01/2024 0 99999 7 -1\n", false, false},
		{"leading blank line", "\nbob L 01/01/2024 0 99999 7 -1\n", true, false},
		{"other user", "alice L 01/01/2024 0 99999 7 -1\n", false, true},
		{"unknown status", "bob X 01/01/2024\n", false, true},
		{"one field", "bob\n", false, true},
		{"empty", "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePasswdStatus("bob", []byte(tc.out))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parsePasswdStatus(%q) = %v, %v; want %v, error %v", tc.out, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func readAudit(t *testing.T, path string) []remediate.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []remediate.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e remediate.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p, err := NewPasswd(PasswdOptions{Path: writeFake(t, dir, "passwd", fakePasswdBody)})
	if err != nil {
		t.Fatal(err)
	}
	auditPath := filepath.Join(dir, "log", "actions.log")
	audit, err := remediate.OpenAudit(auditPath, "mailscan")
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()

	steps := []struct {
		name      string
		user      string
		dryRun    bool
		failLock  bool
		want      Result
		wantErr   error // errors.Is target; nil: no error
		anyErr    bool
		wantCalls [][]string
		wantAudit *remediate.Entry
	}{
		{
			name: "disable", user: "bob",
			want:      Result{User: "bob", Disabled: true, Detail: "disabled via passwd"},
			wantCalls: [][]string{{"-S", "--", "bob"}, {"-S", "--", "bob"}, {"-l", "--", "bob"}},
			wantAudit: &remediate.Entry{Action: "disable", User: "bob", Detail: "backend=passwd", Tool: "mailscan"},
		},
		{
			name: "again: already, not audited", user: "bob",
			want:      Result{User: "bob", Already: true, Detail: "already disabled (passwd)"},
			wantCalls: [][]string{{"-S", "--", "bob"}},
		},
		{
			name: "dry run changes nothing", user: "carol", dryRun: true,
			want:      Result{User: "carol", DryRun: true, Detail: "dry run: would run " + filepath.Join(dir, "passwd") + " -l -- carol"},
			wantCalls: [][]string{{"-S", "--", "carol"}},
		},
		{
			name: "dry run of a disabled user", user: "bob", dryRun: true,
			want:      Result{User: "bob", DryRun: true, Already: true, Detail: "already disabled (passwd)"},
			wantCalls: [][]string{{"-S", "--", "bob"}},
		},
		{
			name: "hostile name: no program, no audit", user: "bob; rm -rf /",
			want:    Result{User: "bob; rm -rf /"},
			wantErr: ErrInvalidUser,
		},
		{
			name: "domain name refused by passwd, audited as failed check", user: "bob@example.com",
			want:      Result{User: "bob@example.com"},
			wantErr:   ErrNotLocal,
			wantAudit: &remediate.Entry{Action: "disable", User: "bob@example.com", Detail: "backend=passwd: status check failed", Tool: "mailscan"},
		},
		{
			name: "status check fails: error audited", user: "dave", failLock: true,
			want:      Result{User: "dave"},
			anyErr:    true,
			wantCalls: [][]string{{"-S", "--", "dave"}},
			wantAudit: &remediate.Entry{Action: "disable", User: "dave", Detail: "backend=passwd: status check failed", Tool: "mailscan"},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			resetCalls(t, dir, "passwd")
			if st.failLock {
				setExit(t, dir, "passwd", "1", "passwd: Authentication token manipulation error")
				defer clearExit(t, dir, "passwd")
			}
			before := len(readAudit(t, auditPath))
			got, err := Run(ctx, p, st.user, audit, st.dryRun)
			switch {
			case st.wantErr != nil && !errors.Is(err, st.wantErr):
				t.Errorf("error = %v, want %v", err, st.wantErr)
			case st.wantErr == nil && !st.anyErr && err != nil:
				t.Errorf("error = %v", err)
			case st.anyErr && err == nil:
				t.Errorf("no error")
			}
			if got != st.want {
				t.Errorf("result = %+v\nwant     %+v", got, st.want)
			}
			wantCalls(t, dir, "passwd", st.wantCalls...)
			entries := readAudit(t, auditPath)[before:]
			if st.wantAudit == nil {
				if len(entries) != 0 {
					t.Errorf("audited %+v, want nothing", entries)
				}
				return
			}
			if len(entries) != 1 {
				t.Fatalf("audited %d entries, want 1: %+v", len(entries), entries)
			}
			e := entries[0]
			if (e.Error != "") != (err != nil) {
				t.Errorf("audit error %q, Run error %v", e.Error, err)
			}
			if err != nil && !strings.Contains(e.Error, err.Error()) {
				t.Errorf("audit error %q does not carry %q", e.Error, err)
			}
			e.Error, e.Time, e.PID = "", st.wantAudit.Time, 0
			if e.Action != st.wantAudit.Action || e.User != st.wantAudit.User || e.Detail != st.wantAudit.Detail || e.Tool != st.wantAudit.Tool {
				t.Errorf("audit = %+v, want %+v", e, *st.wantAudit)
			}
		})
	}

	t.Run("disable itself fails: audited with error", func(t *testing.T) {
		// A passwd whose -S works but whose -l fails.
		d2 := t.TempDir()
		path := writeFake(t, d2, "passwd", `case "$1" in
-S) printf '%s P 01/01/2024 0 99999 7 -1\n' "$3" ;;
*) echo "passwd: permission denied" >&2; exit 1 ;;
esac`)
		p2, err := NewPasswd(PasswdOptions{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		before := len(readAudit(t, auditPath))
		res, err := Run(ctx, p2, "erin", audit, false)
		if err == nil || !strings.Contains(err.Error(), "permission denied") || res.Disabled {
			t.Fatalf("Run = %+v, %v; want a failure carrying stderr", res, err)
		}
		entries := readAudit(t, auditPath)[before:]
		if len(entries) != 1 || entries[0].Detail != "backend=passwd" || !strings.Contains(entries[0].Error, "exit status 1") {
			t.Errorf("audit = %+v", entries)
		}
	})

	t.Run("nil audit and nil backend", func(t *testing.T) {
		if _, err := Run(ctx, nil, "bob", nil, false); err == nil {
			t.Error("nil backend: no error")
		}
		res, err := Run(ctx, p, "frank", nil, false)
		if err != nil || !res.Disabled {
			t.Errorf("Run with nil audit = %+v, %v", res, err)
		}
	})
}

func TestNewValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func() error
	}{
		{"passwd relative", func() error { _, err := NewPasswd(PasswdOptions{Path: "passwd"}); return err }},
		{"passwd unclean", func() error { _, err := NewPasswd(PasswdOptions{Path: "/usr/bin/../bin/passwd"}); return err }},
		{"passwd negative timeout", func() error { _, err := NewPasswd(PasswdOptions{Timeout: -1}); return err }},
		{"nis no master", func() error { _, err := NewNIS(NISOptions{}); return err }},
		{"nis master option", func() error { _, err := NewNIS(NISOptions{Master: "-oProxyCommand=id"}); return err }},
		{"nis master space", func() error { _, err := NewNIS(NISOptions{Master: "a b"}); return err }},
		{"nis make dir relative", func() error { _, err := NewNIS(NISOptions{Master: "nis", MakeDir: "var/yp"}); return err }},
		{"nis connect timeout fraction", func() error {
			_, err := NewNIS(NISOptions{Master: "nis", ConnectTimeout: 1500 * 1e6})
			return err
		}},
		{"postfix relative map", func() error { _, err := NewPostfix(PostfixOptions{MapFile: "sasl_access"}); return err }},
		{"postfix action OK", func() error { _, err := NewPostfix(PostfixOptions{Action: "OK"}); return err }},
		{"postfix action newline", func() error { _, err := NewPostfix(PostfixOptions{Action: "REJECT\nbob OK"}); return err }},
		{"postfix map type", func() error { _, err := NewPostfix(PostfixOptions{MapType: "hash:/x"}); return err }},
		{"dovecot relative", func() error { _, err := NewDovecot(DovecotOptions{DenyFile: "deny-users"}); return err }},
		{"dovecot directory", func() error { _, err := NewDovecot(DovecotOptions{DenyFile: "/"}); return err }},
		{"command none", func() error { _, err := NewCommand(CommandOptions{}); return err }},
		{"command relative", func() error { _, err := NewCommand(CommandOptions{Program: "lock-user"}); return err }},
		{"command check args without check", func() error {
			_, err := NewCommand(CommandOptions{Program: "/bin/true", CheckArgs: []string{"x"}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.new(); err == nil {
				t.Error("accepted")
			}
		})
	}
	// The defaults are valid.
	if _, err := NewPasswd(PasswdOptions{}); err != nil {
		t.Error(err)
	}
	if _, err := NewNIS(NISOptions{Master: "root@nis-master.example.com"}); err != nil {
		t.Error(err)
	}
	if _, err := NewPostfix(PostfixOptions{}); err != nil {
		t.Error(err)
	}
	if _, err := NewPostfix(PostfixOptions{Action: "554 5.7.1 go away"}); err != nil {
		t.Error(err)
	}
	if _, err := NewDovecot(DovecotOptions{}); err != nil {
		t.Error(err)
	}
}
