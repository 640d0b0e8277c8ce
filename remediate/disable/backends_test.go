package disable

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPasswd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p, err := NewPasswd(PasswdOptions{Path: writeFake(t, dir, "passwd", fakePasswdBody)})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		call  func() error
		calls [][]string
	}{
		{"disable", func() error { return p.Disable(ctx, "bob") },
			[][]string{{"-S", "--", "bob"}, {"-l", "--", "bob"}}},
		{"disable again is a no-op", func() error { return p.Disable(ctx, "bob") },
			[][]string{{"-S", "--", "bob"}}},
		{"is disabled", func() error { return wantDisabled(p.IsDisabled(ctx, "bob")) },
			[][]string{{"-S", "--", "bob"}}},
		{"other user is not", func() error { return wantNotDisabled(p.IsDisabled(ctx, "alice")) },
			[][]string{{"-S", "--", "alice"}}},
		{"domain part refused", func() error { return wantIs(p.Disable(ctx, "bob@example.com"), ErrNotLocal) },
			nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			resetCalls(t, dir, "passwd")
			if err := st.call(); err != nil {
				t.Fatal(err)
			}
			wantCalls(t, dir, "passwd", st.calls...)
		})
	}

	t.Run("failure carries stderr", func(t *testing.T) {
		setExit(t, dir, "passwd", "1", "passwd: user 'zed' does not exist")
		defer clearExit(t, dir, "passwd")
		err := p.Disable(ctx, "zed")
		if err == nil || !strings.Contains(err.Error(), "exit status 1") || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("error = %v", err)
		}
	})
}

func wantDisabled(ok bool, err error) error {
	if err == nil && !ok {
		err = errors.New("not disabled")
	}
	return err
}

func wantNotDisabled(ok bool, err error) error {
	if err == nil && ok {
		err = errors.New("disabled")
	}
	return err
}

func wantIs(err, target error) error {
	if !errors.Is(err, target) {
		return fmt.Errorf("error %v, want %v", err, target)
	}
	return nil
}

func TestNIS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	remote := filepath.Join(dir, "remote")
	if err := os.Mkdir(remote, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFake(t, remote, "passwd", fakePasswdBody)
	writeFake(t, remote, "make", "")
	ssh := writeFake(t, dir, "ssh", fakeSSHBody)
	makeDir := "/var/yp/it's here"
	n, err := NewNIS(NISOptions{SSHPath: ssh, Master: "root@nis-master", MakeDir: makeDir})
	if err != nil {
		t.Fatal(err)
	}
	sshArgs := func(remoteCmd string) []string {
		return []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "root@nis-master", "--", remoteCmd}
	}
	status := sshArgs("passwd -S -- 'bob'")
	lock := sshArgs(`passwd -l -- 'bob' && make -C '/var/yp/it'\''s here'`)

	if err := n.Disable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, dir, "ssh", status, lock)
	// The remote shell handed each program the name as one argument.
	wantCalls(t, remote, "passwd", []string{"-S", "--", "bob"}, []string{"-l", "--", "bob"})
	wantCalls(t, remote, "make", []string{"-C", makeDir})

	resetCalls(t, dir, "ssh")
	resetCalls(t, remote, "make")
	if err := n.Disable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, dir, "ssh", status)
	wantCalls(t, remote, "make")

	if err := wantDisabled(n.IsDisabled(ctx, "bob")); err != nil {
		t.Error(err)
	}
	if err := wantIs(n.Disable(ctx, "bob@example.com"), ErrNotLocal); err != nil {
		t.Error(err)
	}

	t.Run("ssh failure", func(t *testing.T) {
		setExit(t, dir, "ssh", "255", "ssh: connect to host nis-master port 22: Connection refused")
		defer clearExit(t, dir, "ssh")
		err := n.Disable(ctx, "carol")
		if err == nil || !strings.Contains(err.Error(), "exit status 255") || !strings.Contains(err.Error(), "Connection refused") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestPostfix(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	postmap := writeFake(t, dir, "postmap", fakePostmapBody)
	mapFile := filepath.Join(dir, "sasl_access")
	const orig = "# spammers\nmallory REJECT\n"
	write(t, mapFile, orig, 0o604)
	p, err := NewPostfix(PostfixOptions{MapFile: mapFile, PostmapPath: postmap})
	if err != nil {
		t.Fatal(err)
	}
	rej := " " + DefaultRejectAction + "\n"

	for _, st := range []struct {
		user        string
		wantContent string
		postmap     bool
	}{
		{"bob", orig + "bob" + rej, true},
		{"Carol@Example.COM", orig + "bob" + rej + "carol@example.com" + rej, true},
		{"bob", orig + "bob" + rej + "carol@example.com" + rej, false},
		{"BOB", orig + "bob" + rej + "carol@example.com" + rej, false},
		{"carol@example.com", orig + "bob" + rej + "carol@example.com" + rej, false},
		{"mallory", orig + "bob" + rej + "carol@example.com" + rej, false},
	} {
		resetCalls(t, dir, "postmap")
		if err := p.Disable(ctx, st.user); err != nil {
			t.Fatalf("Disable(%s): %v", st.user, err)
		}
		if got := read(t, mapFile); got != st.wantContent {
			t.Errorf("after %s: map =\n%s\nwant\n%s", st.user, got, st.wantContent)
		}
		if st.postmap {
			wantCalls(t, dir, "postmap", []string{mapFile})
			if saw := read(t, filepath.Join(dir, "postmap.saw")); saw != st.wantContent {
				t.Errorf("postmap saw\n%s\nwant\n%s", saw, st.wantContent)
			}
		} else {
			wantCalls(t, dir, "postmap")
		}
		if err := wantDisabled(p.IsDisabled(ctx, st.user)); err != nil {
			t.Errorf("IsDisabled(%s): %v", st.user, err)
		}
	}
	fi, err := os.Stat(mapFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o604 {
		t.Errorf("mode %v, want 0604 kept", fi.Mode())
	}
	if err := wantNotDisabled(p.IsDisabled(ctx, "dave")); err != nil {
		t.Error(err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".sasl_access.spamgear-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestPostfixExistingEntries(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, content string
		disabled      bool
		conflict      bool
	}{
		{"absent", "alice REJECT\n", false, false},
		{"upper-case key", "BOB REJECT\n", true, false},
		{"lower-case action", "bob reject go away\n", true, false},
		{"smtp code", "bob 554 5.7.1 no\n", true, false},
		{"defer", "bob\tDEFER try later\n", true, false},
		{"hold", "bob HOLD\n", true, false},
		{"ok conflicts", "bob OK\n", false, true},
		{"restriction class conflicts", "bob sasl_limited\n", false, true},
		{"first entry wins", "bob OK\nbob REJECT\n", false, true},
		{"commented out", "#bob REJECT\n  # bob REJECT\n", false, false},
		{"continuation is not a key", "alice REJECT\n bob REJECT\n", false, false},
		{"value on a continuation line", "bob\n  REJECT spam\n", true, false},
		{"quoted key", "\"bob\" REJECT\n", true, false},
		{"prefix is not the key", "bobby REJECT\nbo REJECT\n", false, false},
		{"crlf", "bob REJECT\r\n", true, false},
		{"no final newline", "alice REJECT", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mapFile := filepath.Join(dir, "sasl_access")
			write(t, mapFile, tc.content, 0o644)
			p, err := NewPostfix(PostfixOptions{MapFile: mapFile, PostmapPath: writeFake(t, dir, "postmap", "")})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.IsDisabled(ctx, "bob")
			if err != nil || got != tc.disabled {
				t.Fatalf("IsDisabled = %v, %v; want %v", got, err, tc.disabled)
			}
			err = p.Disable(ctx, "bob")
			if tc.conflict {
				if !errors.Is(err, ErrConflict) {
					t.Fatalf("Disable = %v, want ErrConflict", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			want := tc.content
			if !tc.disabled && !tc.conflict {
				if want != "" && !strings.HasSuffix(want, "\n") {
					want += "\n"
				}
				want += "bob " + DefaultRejectAction + "\n"
				wantCalls(t, dir, "postmap", []string{mapFile})
			} else {
				wantCalls(t, dir, "postmap")
			}
			if got := read(t, mapFile); got != want {
				t.Errorf("map =\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestPostfixNewFileAndMapType(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mapFile := filepath.Join(dir, "sasl_access")
	p, err := NewPostfix(PostfixOptions{
		MapFile: mapFile, MapType: "hash", Action: "554 5.7.1 Account disabled",
		PostmapPath: writeFake(t, dir, "postmap", fakePostmapBody),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Disable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	const want = "bob 554 5.7.1 Account disabled\n"
	if got := read(t, mapFile); got != want {
		t.Errorf("map = %q, want %q", got, want)
	}
	wantCalls(t, dir, "postmap", []string{"hash:" + mapFile})
	if saw := read(t, filepath.Join(dir, "postmap.saw")); saw != want {
		t.Errorf("postmap saw %q", saw)
	}
	fi, err := os.Stat(mapFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != newFileMode {
		t.Errorf("new file mode %v, want %v", fi.Mode().Perm(), os.FileMode(newFileMode))
	}
}

func TestPostfixPostmapFailsRestores(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		existing *string
	}{
		{"existing file", ptr("alice REJECT\n")},
		{"new file", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mapFile := filepath.Join(dir, "sasl_access")
			if tc.existing != nil {
				write(t, mapFile, *tc.existing, 0o640)
			}
			p, err := NewPostfix(PostfixOptions{MapFile: mapFile, PostmapPath: writeFake(t, dir, "postmap", "")})
			if err != nil {
				t.Fatal(err)
			}
			setExit(t, dir, "postmap", "1", "postmap: fatal: open database /etc/postfix/sasl_access.db: Permission denied")
			err = p.Disable(ctx, "bob")
			if err == nil || !strings.Contains(err.Error(), "Permission denied") || !strings.Contains(err.Error(), "restored") {
				t.Fatalf("Disable = %v", err)
			}
			if tc.existing != nil {
				if got := read(t, mapFile); got != *tc.existing {
					t.Errorf("map = %q, want it restored to %q", got, *tc.existing)
				}
				if fi, err := os.Stat(mapFile); err != nil || fi.Mode().Perm() != 0o640 {
					t.Errorf("restored map mode: %v, %v", fi, err)
				}
			} else if _, err := os.Lstat(mapFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("map exists after a failed first write: %v", err)
			}
			if err := wantNotDisabled(p.IsDisabled(ctx, "bob")); err != nil {
				t.Error(err)
			}
			// Postmap works again: the next run succeeds.
			clearExit(t, dir, "postmap")
			if err := p.Disable(ctx, "bob"); err != nil {
				t.Fatal(err)
			}
			if err := wantDisabled(p.IsDisabled(ctx, "bob")); err != nil {
				t.Error(err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestMapFileRefusesSymlink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "passwd")
	write(t, target, "root:x:0:0::/root:/bin/sh\n", 0o644)
	link := filepath.Join(dir, "sasl_access")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	p, err := NewPostfix(PostfixOptions{MapFile: link, PostmapPath: writeFake(t, dir, "postmap", "")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDovecot(DovecotOptions{DenyFile: link, DoveadmPath: writeFake(t, dir, "doveadm", "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []Disabler{p, d} {
		if err := b.Disable(ctx, "bob"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s: Disable through a symlink = %v", b.Name(), err)
		}
		if _, err := b.IsDisabled(ctx, "bob"); err == nil {
			t.Errorf("%s: IsDisabled through a symlink: no error", b.Name())
		}
	}
	if got := read(t, target); got != "root:x:0:0::/root:/bin/sh\n" {
		t.Errorf("symlink target changed: %q", got)
	}
	wantCalls(t, dir, "postmap")
	wantCalls(t, dir, "doveadm")
}

func TestPostfixConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mapFile := filepath.Join(dir, "sasl_access")
	write(t, mapFile, "", 0o644)
	postmap := writeFake(t, dir, "postmap", "")
	// Two backends on one map, as two mailscan processes would have.
	var backends [2]*Postfix
	for i := range backends {
		var err error
		if backends[i], err = NewPostfix(PostfixOptions{MapFile: mapFile, PostmapPath: postmap}); err != nil {
			t.Fatal(err)
		}
	}
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"}
	var wg sync.WaitGroup
	errs := make([]error, len(users))
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = backends[i%2].Disable(ctx, u)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Disable(%s): %v", users[i], err)
		}
	}
	got := read(t, mapFile)
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		seen[line]++
	}
	for _, u := range users {
		if n := seen[u+" "+DefaultRejectAction]; n != 1 {
			t.Errorf("map has %d lines for %s:\n%s", n, u, got)
		}
	}
	if len(seen) != len(users) {
		t.Errorf("map has %d distinct lines, want %d:\n%s", len(seen), len(users), got)
	}
	if n := len(calls(t, dir, "postmap")); n != len(users) {
		t.Errorf("postmap ran %d times, want %d", n, len(users))
	}
}

func TestDovecot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	doveadm := writeFake(t, dir, "doveadm", `[ "$1" = auth ] && [ -f "$d/flush.exit" ] && exit "$(cat "$d/flush.exit")"
[ "$1" = kick ] && [ -f "$d/kick.exit" ] && exit "$(cat "$d/kick.exit")"
exit 0`)
	deny := filepath.Join(dir, "deny-users")
	const orig = "# denied\nmallory\n"
	write(t, deny, orig, 0o640)
	d, err := NewDovecot(DovecotOptions{DenyFile: deny, DoveadmPath: doveadm})
	if err != nil {
		t.Fatal(err)
	}
	flush := func(u string) []string { return []string{"auth", "cache", "flush", "--", u} }
	kick := func(u string) []string { return []string{"kick", "--", u} }

	for _, st := range []struct {
		name, user, flushExit, kickExit, content string
		calls                                    [][]string
		wantErr                                  string
	}{
		{name: "disable", user: "Bob", content: orig + "bob\n",
			calls: [][]string{flush("bob"), kick("bob")}},
		{name: "no session: kick exits 68", user: "carol@example.com", kickExit: "68", content: orig + "bob\ncarol@example.com\n",
			calls: [][]string{flush("carol@example.com"), kick("carol@example.com")}},
		{name: "repeat is a no-op", user: "bob", content: orig + "bob\ncarol@example.com\n"},
		{name: "listed before", user: "mallory", content: orig + "bob\ncarol@example.com\n"},
		{name: "kick fails after the deny", user: "dave", kickExit: "75", content: orig + "bob\ncarol@example.com\ndave\n",
			calls: [][]string{flush("dave"), kick("dave")}, wantErr: "exit status 75"},
		{name: "flush fails, kick still runs", user: "erin", flushExit: "75", content: orig + "bob\ncarol@example.com\ndave\nerin\n",
			calls: [][]string{flush("erin"), kick("erin")}, wantErr: "exit status 75"},
		{name: "ip-like name refused", user: "12345", content: orig + "bob\ncarol@example.com\ndave\nerin\n",
			wantErr: "IP address"},
	} {
		t.Run(st.name, func(t *testing.T) {
			resetCalls(t, dir, "doveadm")
			if st.kickExit != "" {
				write(t, filepath.Join(dir, "kick.exit"), st.kickExit, 0o644)
				defer os.Remove(filepath.Join(dir, "kick.exit"))
			}
			if st.flushExit != "" {
				write(t, filepath.Join(dir, "flush.exit"), st.flushExit, 0o644)
				defer os.Remove(filepath.Join(dir, "flush.exit"))
			}
			err := d.Disable(ctx, st.user)
			if st.wantErr == "" && err != nil || st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)) {
				t.Errorf("Disable(%s) = %v, want error %q", st.user, err, st.wantErr)
			}
			if got := read(t, deny); got != st.content {
				t.Errorf("deny file =\n%q\nwant\n%q", got, st.content)
			}
			wantCalls(t, dir, "doveadm", st.calls...)
		})
	}
	if fi, err := os.Stat(deny); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("deny file mode: %v, %v; want 0640 kept", fi, err)
	}
	for u, want := range map[string]bool{"bob": true, "BOB": true, "dave": true, "erin": true, "mallory": true, "frank": false, "12345": false} {
		if got, err := d.IsDisabled(ctx, u); err != nil || got != want {
			t.Errorf("IsDisabled(%s) = %v, %v; want %v", u, got, err, want)
		}
	}

	t.Run("options", func(t *testing.T) {
		dir := t.TempDir()
		doveadm := writeFake(t, dir, "doveadm", "")
		deny := filepath.Join(dir, "deny-users")
		write(t, deny, "alice:{PLAIN}x::::\n:skipped\n", 0o644)
		d, err := NewDovecot(DovecotOptions{DenyFile: deny, DoveadmPath: doveadm, PreserveCase: true, NoFlush: true, NoKick: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"alice", "Bob", "12345"} {
			if err := d.Disable(ctx, u); err != nil {
				t.Errorf("Disable(%s): %v", u, err)
			}
		}
		if got, want := read(t, deny), "alice:{PLAIN}x::::\n:skipped\nBob\n12345\n"; got != want {
			t.Errorf("deny file = %q, want %q", got, want)
		}
		wantCalls(t, dir, "doveadm")
		if err := wantNotDisabled(d.IsDisabled(ctx, "bob")); err != nil {
			t.Errorf("case kept, so bob is not Bob: %v", err)
		}
	})
}

func TestLooksLikeIPv4(t *testing.T) {
	for s, want := range map[string]bool{
		"12345": true, "1.2.3.4": true, "10.1": true, "0x7f.1": true, "0XfF": true, "0x": true,
		"1.2.3.4.5": false, "bob": false, "1bob": false, "0xg": false, "1..2": false, "1.": false,
		"bob@1.2.3.4": false, "deadbeef": false,
	} {
		if got := looksLikeIPv4(s); got != want {
			t.Errorf("looksLikeIPv4(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	prog := writeFake(t, dir, "lock-user", fakeCommandBody)
	check := writeFake(t, dir, "is-locked", fakeCheckBody)

	t.Run("plain", func(t *testing.T) {
		c, err := NewCommand(CommandOptions{Program: prog, Args: []string{"--reason", "spam run"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := wantNotDisabled(c.IsDisabled(ctx, "bob")); err != nil {
			t.Error(err)
		}
		for range 2 { // no check program: it runs every time
			if err := c.Disable(ctx, "bob"); err != nil {
				t.Fatal(err)
			}
		}
		wantCalls(t, dir, "lock-user", []string{"--reason", "spam run", "bob"}, []string{"--reason", "spam run", "bob"})
	})

	t.Run("dash dash and check", func(t *testing.T) {
		resetCalls(t, dir, "lock-user")
		c, err := NewCommand(CommandOptions{Program: prog, DashDash: true, Check: check, CheckArgs: []string{"-q"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Disable(ctx, "carol@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := c.Disable(ctx, "carol@example.com"); err != nil {
			t.Fatal(err)
		}
		wantCalls(t, dir, "lock-user", []string{"--", "carol@example.com"})
		wantCalls(t, dir, "is-locked", []string{"-q", "--", "carol@example.com"}, []string{"-q", "--", "carol@example.com"})
		if err := wantDisabled(c.IsDisabled(ctx, "carol@example.com")); err != nil {
			t.Error(err)
		}

		setExit(t, dir, "is-locked", "3", "is-locked: ldap down")
		defer clearExit(t, dir, "is-locked")
		if _, err := c.IsDisabled(ctx, "dave"); err == nil || !strings.Contains(err.Error(), "ldap down") {
			t.Errorf("check exit 3: %v", err)
		}
	})

	t.Run("program fails", func(t *testing.T) {
		c, err := NewCommand(CommandOptions{Program: prog})
		if err != nil {
			t.Fatal(err)
		}
		setExit(t, dir, "lock-user", "2", "no such account")
		defer clearExit(t, dir, "lock-user")
		if err := c.Disable(ctx, "erin"); err == nil || !strings.Contains(err.Error(), "no such account") {
			t.Errorf("Disable = %v", err)
		}
	})
}

// allBackends builds every backend on fakes in dir, with its file paths.
func allBackends(t *testing.T, dir string) []Disabler {
	t.Helper()
	remote := filepath.Join(dir, "remote")
	if err := os.MkdirAll(remote, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFake(t, remote, "passwd", fakePasswdBody)
	writeFake(t, remote, "make", "")
	var out []Disabler
	add := func(d Disabler, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	add(NewPasswd(PasswdOptions{Path: writeFake(t, dir, "passwd", fakePasswdBody)}))
	add(NewNIS(NISOptions{Master: "nis", SSHPath: writeFake(t, dir, "ssh", fakeSSHBody)}))
	add(NewPostfix(PostfixOptions{MapFile: filepath.Join(dir, "sasl_access"), PostmapPath: writeFake(t, dir, "postmap", "")}))
	add(NewDovecot(DovecotOptions{DenyFile: filepath.Join(dir, "deny-users"), DoveadmPath: writeFake(t, dir, "doveadm", "")}))
	add(NewCommand(CommandOptions{
		Program: writeFake(t, dir, "lock-user", fakeCommandBody),
		Check:   writeFake(t, dir, "is-locked", fakeCheckBody),
	}))
	return out
}

var fakeNames = []string{"passwd", "ssh", "postmap", "doveadm", "lock-user", "is-locked"}

func TestHostileUsersNeverReachAProgram(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, d := range allBackends(t, dir) {
		for _, u := range hostileUsers {
			if _, err := d.IsDisabled(ctx, u); !errors.Is(err, ErrInvalidUser) {
				t.Errorf("%s: IsDisabled(%q) = %v, want ErrInvalidUser", d.Name(), u, err)
			}
			if err := d.Disable(ctx, u); !errors.Is(err, ErrInvalidUser) {
				t.Errorf("%s: Disable(%q) = %v, want ErrInvalidUser", d.Name(), u, err)
			}
		}
	}
	for _, name := range fakeNames {
		wantCalls(t, dir, name)
	}
	for _, f := range []string{"sasl_access", "deny-users"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was created", f)
		}
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	backends := allBackends(t, dir)
	write(t, filepath.Join(dir, "sasl_access"), "alice REJECT\n", 0o644)
	write(t, filepath.Join(dir, "deny-users"), "alice\n", 0o644)
	for _, d := range backends {
		res, err := Run(ctx, d, "bob", nil, true)
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		if !res.DryRun || res.Disabled || res.Already || !strings.HasPrefix(res.Detail, "dry run: would ") || !strings.Contains(res.Detail, "bob") {
			t.Errorf("%s: result %+v", d.Name(), res)
		}
	}
	if got := read(t, filepath.Join(dir, "sasl_access")); got != "alice REJECT\n" {
		t.Errorf("map changed: %q", got)
	}
	if got := read(t, filepath.Join(dir, "deny-users")); got != "alice\n" {
		t.Errorf("deny file changed: %q", got)
	}
	// Only status checks ran.
	for _, c := range calls(t, dir, "passwd") {
		if c[0] != "-S" {
			t.Errorf("passwd ran %q in a dry run", c)
		}
	}
	for _, c := range calls(t, dir, "ssh") {
		if !strings.HasPrefix(c[len(c)-1], "passwd -S ") {
			t.Errorf("ssh ran %q in a dry run", c)
		}
	}
	for _, name := range []string{"postmap", "doveadm", "lock-user"} {
		wantCalls(t, dir, name)
	}
	if _, err := os.Stat(filepath.Join(dir, "remote", "locked.bob")); err == nil {
		t.Error("nis: remote account locked in a dry run")
	}
}

func TestTimeout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"passwd", "postmap"} {
		write(t, filepath.Join(dir, name+".hang"), "", 0o644)
	}
	const timeout = 100 * time.Millisecond
	p, err := NewPasswd(PasswdOptions{Path: writeFake(t, dir, "passwd", fakePasswdBody), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	mapFile := filepath.Join(dir, "sasl_access")
	pf, err := NewPostfix(PostfixOptions{MapFile: mapFile, PostmapPath: writeFake(t, dir, "postmap", ""), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Disabler{p, pf} {
		err := d.Disable(ctx, "bob")
		if err == nil || !strings.Contains(err.Error(), "timed out after "+timeout.String()) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: Disable of a hung program = %v", d.Name(), err)
		}
	}
	if _, err := os.Lstat(mapFile); !errors.Is(err, os.ErrNotExist) {
		t.Error("map left behind after postmap timed out")
	}

	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := p.IsDisabled(cctx, "bob"); !errors.Is(err, context.Canceled) {
			t.Errorf("IsDisabled with a cancelled context = %v", err)
		}
	})
}

func TestLockWait(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mapFile := filepath.Join(dir, "sasl_access")
	held, err := lockFile(ctx, mapFile, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	p, err := NewPostfix(PostfixOptions{MapFile: mapFile, PostmapPath: writeFake(t, dir, "postmap", ""), LockWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Disable(ctx, "bob"); err == nil || !strings.Contains(err.Error(), "held by another process") {
		t.Errorf("Disable with the lock held = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Disable(cctx, "bob"); !errors.Is(err, context.Canceled) {
		t.Errorf("Disable with the lock held and a cancelled context = %v", err)
	}
	wantCalls(t, dir, "postmap")
}
