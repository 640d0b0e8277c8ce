package mailqueue

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spamgear/spamgear/internal/postfixtest"
)

// fakeProgram writes an executable shell script into dir.
func fakeProgram(t *testing.T, dir, name, script string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSize(t *testing.T) {
	dir := t.TempDir()
	hold3, err := os.ReadFile(filepath.Join("testdata", "postfix-p-hold3.txt"))
	if err != nil {
		t.Fatal(err)
	}
	listing := filepath.Join(dir, "listing")
	if err := os.WriteFile(listing, hold3, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cmd     []string
		want    int
		wantErr string
	}{
		{"echo", []string{"echo", "5000"}, 5000, ""},
		{"absolute", []string{"/bin/echo", "12"}, 12, ""},
		{"listing", []string{"cat", listing}, 3, ""},
		{"args are not a shell", []string{"echo", "3", "|", "wc", "-l"}, 0, "not a mail queue listing"},
		{"exit status", []string{fakeProgram(t, dir, "down", "echo 'postqueue: fatal: Queue report unavailable - mail system is down' >&2\nexit 69\n")},
			0, "exit status 69: postqueue: fatal: Queue report unavailable"},
		{"garbage", []string{fakeProgram(t, dir, "garbage", "echo 'hello'\n")}, 0, "not a mail queue listing"},
		{"missing", []string{filepath.Join(dir, "nope")}, 0, "no such file"},
		{"not found", []string{"no-such-queue-command-here"}, 0, "executable file not found"},
		{"empty", nil, 0, "empty"},
		{"control characters in the error", []string{fakeProgram(t, dir, "evil", "printf 'x\\033[2J\\nforged line\\n' >&2\nexit 1\n")}, 0, `x\x1b[2J`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Size(context.Background(), tt.cmd)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Size(%q) = %d, %v; want error with %q", tt.cmd, n, err, tt.wantErr)
				}
				if err != nil && strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q spans lines", err)
				}
				return
			}
			if err != nil || n != tt.want {
				t.Errorf("Size(%q) = %d, %v; want %d", tt.cmd, n, err, tt.want)
			}
		})
	}
}

func TestRunTimeout(t *testing.T) {
	// A command that never ends, with a child holding its output open:
	// the whole process group is killed.
	slow := fakeProgram(t, t.TempDir(), "slow", "sleep 600 &\nsleep 600\n")
	_, err := run(context.Background(), 300*time.Millisecond, slow, nil, Parse)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("err = %v, want a timeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := run(ctx, DefaultTimeout, slow, nil, Parse); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	progs := map[string]string{
		"postqueue-old": fakeProgram(t, dir, "postqueue-old", `[ "$1" = -j ] && { echo "postqueue: invalid option -- 'j'" >&2; exit 64; }
echo '-- 12 Kbytes in 7 Requests.'
`),
		"postqueue-new": fakeProgram(t, dir, "postqueue-new", `[ "$1" = -j ] || exit 1
echo '{"queue_id": "A"}'; echo '{"queue_id": "B"}'
`),
		"postqueue-down": fakeProgram(t, dir, "postqueue-down", "echo 'postqueue: fatal: mail system is down' >&2; exit 69\n"),
		"postqueue-slow": fakeProgram(t, dir, "postqueue-slow", "sleep 600\n"),
		"exim":           fakeProgram(t, dir, "exim", `[ "$1" = -bpc ] && echo 4321`+"\n"),
		"mailq":          fakeProgram(t, dir, "mailq", "printf '/var/spool/mqueue is empty\\n\\t\\tTotal requests: 0\\n'\n"),
	}
	tests := []struct {
		name     string
		have     map[string]string // program name → fake
		short    bool              // a timeout that has passed already
		want     int
		wantHow  string
		wantErrs []string
	}{
		{"postfix", map[string]string{"postqueue": "postqueue-new", "mailq": "mailq"}, false, 2, "postqueue-new -j", nil},
		{"old postfix", map[string]string{"postqueue": "postqueue-old"}, false, 7, "postqueue-old -p", nil},
		{"exim", map[string]string{"exim": "exim", "mailq": "mailq"}, false, 4321, "exim -bpc", nil},
		{"debian exim", map[string]string{"exim4": "exim"}, false, 4321, "exim -bpc", nil},
		{"sendmail", map[string]string{"mailq": "mailq"}, false, 0, "mailq", nil},
		{"postfix down, mailq works", map[string]string{"postqueue": "postqueue-down", "mailq": "mailq"}, false, 0, "mailq", nil},
		{"everything fails", map[string]string{"postqueue": "postqueue-down"}, false, 0, "",
			[]string{"postqueue-down -j: exit status 69", "postqueue-down -p: exit status 69"}},
		{"timeout ends the search", map[string]string{"postqueue": "postqueue-slow", "mailq": "mailq"}, true, 0, "",
			[]string{"postqueue-slow -j: timed out"}},
		{"nothing installed", nil, false, 0, "", []string{"no mail queue command found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := detector{timeout: DefaultTimeout, find: func(name string) (string, error) {
				if f, ok := tt.have[name]; ok {
					return progs[f], nil
				}
				return "", exec.ErrNotFound
			}}
			if tt.short {
				d.timeout = 1
			}
			n, how, err := d.detect(context.Background())
			if tt.wantErrs != nil {
				if err == nil {
					t.Fatalf("detect = %d, %q; want an error", n, how)
				}
				for _, w := range tt.wantErrs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "mailq") && tt.short {
					t.Errorf("mailq tried after a timeout: %v", err)
				}
				return
			}
			if err != nil || n != tt.want || !strings.HasSuffix(how, tt.wantHow) {
				t.Errorf("detect = %d, %q, %v; want %d, %q", n, how, err, tt.want, tt.wantHow)
			}
		})
	}
}

func TestFindProgram(t *testing.T) {
	t.Setenv("PATH", "/nonexistent")
	p, err := findProgram("sh")
	if err != nil || !filepath.IsAbs(p) {
		t.Errorf("findProgram(sh) with an empty PATH = %q, %v; want it found in the fallback directories", p, err)
	}
	if _, err := findProgram("/etc/passwd"); err == nil {
		t.Error("findProgram(/etc/passwd): want an error (not executable)")
	}
}

// TestRealPostfix counts the queue of a real Postfix, whose smtpd puts
// every message on hold (so that the queue stays put), with every method
// Detect may use.
func TestRealPostfix(t *testing.T) {
	env := postfixtest.Start(t, postfixtest.WithUsers(map[string]string{"alice": "secret"}),
		postfixtest.WithMainCF("smtpd_data_restrictions", "check_client_access static:HOLD"))
	postqueue, err := findProgram("postqueue")
	if err != nil {
		t.Skipf("postqueue: %v", err)
	}
	ctx := context.Background()
	check := func(want int) {
		t.Helper()
		for _, args := range [][]string{{"-j"}, {"-p"}} {
			cmd := append([]string{postqueue, "-c", env.ConfigDir()}, args...)
			if n, err := Size(ctx, cmd); err != nil || n != want {
				t.Errorf("Size(%q) = %d, %v; want %d", cmd, n, err, want)
			}
		}
		// Detect with the instance's configuration (postqueue honours
		// MAIL_CONFIG).
		t.Setenv("MAIL_CONFIG", env.ConfigDir())
		n, how, err := Detect(ctx)
		if err != nil || n != want || how != postqueue+" -j" {
			t.Errorf("Detect = %d, %q, %v; want %d by %s -j", n, how, err, want, postqueue)
		}
	}
	check(0)
	env.Send(t, "alice", "secret", "127.0.0.9", 3)
	env.WaitLogged(t, 3)
	check(3)
	if t.Failed() {
		out, _ := exec.Command(postqueue, "-c", env.ConfigDir(), "-p").CombinedOutput()
		t.Logf("postqueue -p:\n%s", out)
	}
}
