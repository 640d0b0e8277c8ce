package mailer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeSendmail writes an executable shell script named sendmail into a
// temporary directory and returns its path. body runs with $OUT set to the
// directory.
func fakeSendmail(t *testing.T, body string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "sendmail")
	script := "#!/bin/sh\nOUT='" + dir + "'\n" + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

func testMessage() *Message {
	return &Message{
		From: "root@host.example",
		To:   []string{"bob@example.net"},
		Data: []byte("To: bob@example.net\r\nSubject: hi\r\n\r\n.\r\nbody; $(rm -rf /) `id` 'q'\r\n"),
	}
}

func TestSendmailDelivers(t *testing.T) {
	path, dir := fakeSendmail(t, `printf '%s\n' "$@" > "$OUT/args"; cat > "$OUT/stdin"`)
	s := &Sendmail{Path: path}
	if err := s.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	args, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	if string(args) != "-t\n-i\n" {
		t.Errorf("args = %q, want -t -i", args)
	}
	stdin, err := os.ReadFile(filepath.Join(dir, "stdin"))
	if err != nil {
		t.Fatal(err)
	}
	want := "To: bob@example.net\nSubject: hi\n\n.\nbody; $(rm -rf /) `id` 'q'\n"
	if string(stdin) != want {
		t.Errorf("stdin = %q, want %q", stdin, want)
	}
}

func TestSendmailErrors(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   []string
		not    []string
	}{
		{
			name:   "exit 75",
			script: `cat >/dev/null; echo 'postdrop: warning: unable to look up public/pickup: No such file or directory' >&2; echo second >&2; exit 75`,
			want:   []string{"exit status 75: postdrop: warning: unable to look up public/pickup: No such file or directory; second"},
		},
		{
			name:   "stdout when no stderr",
			script: `echo 'queue full'; exit 1`,
			want:   []string{"exit status 1: queue full"},
		},
		{
			name:   "control bytes escaped",
			script: `printf 'evil\033[2J\r\nBcc: x\n' >&2; exit 2`,
			want:   []string{`exit status 2: evil\x1b[2J; Bcc: x`},
			not:    []string{"\x1b", "\r"},
		},
		{
			name:   "long stderr bounded",
			script: `head -c 100000 /dev/zero | tr '\0' a >&2; exit 3`,
			want:   []string{"exit status 3: aaaa", "..."},
		},
		{
			name:   "killed by signal",
			script: `kill -9 $$`,
			want:   []string{"signal: killed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := fakeSendmail(t, tt.script)
			err := (&Sendmail{Path: path}).Send(context.Background(), testMessage())
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "sendmail "+path+": ") {
				t.Errorf("error %q does not name the binary", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(msg, w) {
					t.Errorf("error %q contains %q", msg, w)
				}
			}
			if len(msg) > 1000 {
				t.Errorf("error of %d bytes", len(msg))
			}
		})
	}
}

func TestSendmailMissingBinary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nonexistent")
	err := (&Sendmail{Path: path}).Send(context.Background(), testMessage())
	if err == nil || !strings.HasPrefix(err.Error(), "sendmail "+path+": ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

func TestSendmailRelativePath(t *testing.T) {
	err := (&Sendmail{Path: "sendmail"}).Send(context.Background(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Errorf("err = %v", err)
	}
}

// gone reports whether process pid has exited (no such process, or a zombie).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return os.IsNotExist(err)
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestSendmailTimeoutKillsGroup(t *testing.T) {
	// A child holding stdout and stderr open, and a parent that hangs.
	path, dir := fakeSendmail(t, `sleep 300 & echo $! > "$OUT/child"; exec sleep 300`)
	s := &Sendmail{Path: path, Timeout: 200 * time.Millisecond}
	err := s.Send(context.Background(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "timed out") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if !strings.HasPrefix(err.Error(), "sendmail "+path+": ") {
		t.Errorf("error %q does not name the binary", err)
	}
	b, rerr := os.ReadFile(filepath.Join(dir, "child"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, rerr := strconv.Atoi(strings.TrimSpace(string(b)))
	if rerr != nil {
		t.Fatal(rerr)
	}
	// The kill is asynchronous; allow it time to land (a behaviour bound,
	// not a timing assertion).
	for deadline := time.Now().Add(20 * time.Second); !gone(pid); {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d of the timed-out sendmail still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSendmailCancel(t *testing.T) {
	path, _ := fakeSendmail(t, `exec sleep 300`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := (&Sendmail{Path: path}).Send(ctx, testMessage())
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
