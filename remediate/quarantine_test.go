package remediate_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/remediate"
	"github.com/spamgear/spamgear/safefs"
)

// fixture is a user tree and a quarantine directory in one temp dir.
type fixture struct {
	home string // <tmp>/home
	q    *remediate.Quarantine
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(filepath.Join(home, "bob", "public_html"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fixture{home: home, q: &remediate.Quarantine{Dir: filepath.Join(tmp, "shells")}}
}

// file writes a file with a fixed old mtime and returns its subject.
func (f *fixture) file(t *testing.T, rel, content string, mode os.FileMode) remediate.Subject {
	t.Helper()
	p := filepath.Join(f.home, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2024, 2, 29, 12, 34, 56, 123456789, time.UTC)
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
	return subject(t, p)
}

func subject(t *testing.T, p string) remediate.Subject {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return remediate.Subject{Path: p, Dev: uint64(st.Dev), Ino: uint64(st.Ino), Signatures: []string{"TEST.Sig"}}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func pending(t *testing.T, q *remediate.Quarantine) []remediate.Record {
	t.Helper()
	recs, err := q.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return remediate.Pending(recs)
}

func TestMoveAndRestore(t *testing.T) {
	for _, copyMode := range []bool{false, true} {
		name := "rename"
		if copyMode {
			name = "copy across filesystems"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.q.SetForceCopy(copyMode)
			s := f.file(t, "bob/public_html/x.php", "<?php evil(); ?>", 0o640)
			var before unix.Stat_t
			must(t, unix.Lstat(s.Path, &before))

			rec, err := f.q.Move(s)
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(f.q.Dir, s.Path)
			if string(rec.QuarantinePath) != want {
				t.Errorf("quarantine path %s, want %s", rec.QuarantinePath, want)
			}
			if exists(s.Path) {
				t.Error("original still in place")
			}
			fi, err := os.Lstat(want)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0 {
				t.Errorf("quarantined mode %v, want 000", fi.Mode().Perm())
			}
			recs := pending(t, f.q)
			if len(recs) != 1 {
				t.Fatalf("%d pending records, want 1", len(recs))
			}
			r := recs[0]
			if r.Mode&0o777 != 0o640 || r.Size != 16 || r.UID != before.Uid || r.SHA256 == "" ||
				!r.Mtime.Equal(time.Unix(before.Mtim.Unix())) || r.Signatures[0] != "TEST.Sig" || r.Action != remediate.ActQuarantine {
				t.Errorf("manifest record %+v", r)
			}

			if err := f.q.Restore(r); err != nil {
				t.Fatal(err)
			}
			var after unix.Stat_t
			must(t, unix.Lstat(s.Path, &after))
			if after.Mode != before.Mode || after.Uid != before.Uid || after.Gid != before.Gid || after.Mtim != before.Mtim {
				t.Errorf("restored mode %o uid %d gid %d mtime %v; want %o %d %d %v",
					after.Mode, after.Uid, after.Gid, after.Mtim, before.Mode, before.Uid, before.Gid, before.Mtim)
			}
			if b, _ := os.ReadFile(s.Path); string(b) != "<?php evil(); ?>" {
				t.Errorf("restored content %q", b)
			}
			if exists(want) {
				t.Error("quarantined copy left behind")
			}
			if n := len(pending(t, f.q)); n != 0 {
				t.Errorf("%d pending after restore", n)
			}
		})
	}
}

func TestRestoreKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	f := newFixture(t)
	s := f.file(t, "bob/public_html/o.php", "x", 0o755)
	must(t, os.Lchown(s.Path, 1234, 2345))
	must(t, unix.Chmod(s.Path, 0o4755)) // after chown, which clears setuid
	rec, err := f.q.Move(s)
	if err != nil {
		t.Fatal(err)
	}
	if rec.UID != 1234 || rec.GID != 2345 || rec.Mode&0o7777 != 0o4755 {
		t.Errorf("record uid %d gid %d mode %o", rec.UID, rec.GID, rec.Mode)
	}
	must(t, f.q.Restore(rec))
	var st unix.Stat_t
	must(t, unix.Lstat(s.Path, &st))
	if st.Uid != 1234 || st.Gid != 2345 || st.Mode&0o7777 != 0o4755 {
		t.Errorf("restored uid %d gid %d mode %o", st.Uid, st.Gid, st.Mode&0o7777)
	}
}

func TestMoveNeverOverwritesQuarantine(t *testing.T) {
	f := newFixture(t)
	var paths []string
	for i := range 3 {
		s := f.file(t, "bob/x.php", strings.Repeat("a", i+1), 0o644)
		rec, err := f.q.Move(s)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, string(rec.QuarantinePath))
	}
	want := filepath.Join(f.q.Dir, f.home, "bob", "x.php")
	if paths[0] != want || paths[1] != want+".1" || paths[2] != want+".2" {
		t.Errorf("quarantine paths %q", paths)
	}
	for i, p := range paths {
		must(t, os.Chmod(p, 0o600))
		if b, _ := os.ReadFile(p); len(b) != i+1 {
			t.Errorf("%s holds %q", p, b)
		}
	}
	// Restoring by original path takes the latest.
	r, ok := remediate.SelectPath(pending(t, f.q), filepath.Join(f.home, "bob", "x.php"))
	if !ok || string(r.QuarantinePath) != paths[2] {
		t.Errorf("SelectPath = %v %v", r.QuarantinePath, ok)
	}
}

func TestMoveRefuses(t *testing.T) {
	t.Run("symlink swapped in for a parent directory", func(t *testing.T) {
		f := newFixture(t)
		s := f.file(t, "bob/public_html/wp/x.php", "<?php evil(); ?>", 0o644)
		// Outside the tree, a directory holding a hard link to the very
		// file, so that even the inode check would pass through the link.
		outside := filepath.Join(filepath.Dir(f.home), "etc-like")
		must(t, os.Mkdir(outside, 0o755))
		must(t, os.Link(s.Path, filepath.Join(outside, "x.php")))
		wp := filepath.Join(f.home, "bob", "public_html", "wp")
		must(t, os.Rename(wp, wp+".moved"))
		must(t, os.Symlink(outside, wp))

		_, err := f.q.Move(s)
		if !errors.Is(err, safefs.ErrSymlink) {
			t.Fatalf("Move through a swapped-in symlink: err %v, want ErrSymlink", err)
		}
		if !exists(filepath.Join(outside, "x.php")) || !exists(filepath.Join(wp+".moved", "x.php")) {
			t.Error("a file was moved")
		}
		if exists(f.q.Dir) && len(pending(t, f.q)) != 0 {
			t.Error("a manifest record was written")
		}
	})
	t.Run("file replaced since the scan", func(t *testing.T) {
		f := newFixture(t)
		s := f.file(t, "bob/x.php", "<?php evil(); ?>", 0o644)
		must(t, os.WriteFile(s.Path+".new", []byte("innocent"), 0o644))
		must(t, os.Rename(s.Path+".new", s.Path))
		if _, err := f.q.Move(s); !errors.Is(err, remediate.ErrChanged) {
			t.Fatalf("err %v, want ErrChanged", err)
		}
		if b, _ := os.ReadFile(s.Path); string(b) != "innocent" {
			t.Error("the replacement was touched")
		}
	})
	t.Run("final symlink", func(t *testing.T) {
		f := newFixture(t)
		target := f.file(t, "bob/real.php", "x", 0o644)
		link := filepath.Join(f.home, "bob", "link.php")
		must(t, os.Symlink(target.Path, link))
		if _, err := f.q.Move(remediate.Subject{Path: link}); !errors.Is(err, safefs.ErrSymlink) {
			t.Fatalf("err %v, want ErrSymlink", err)
		}
		if !exists(link) || !exists(target.Path) {
			t.Error("something moved")
		}
	})
	t.Run("fifo", func(t *testing.T) {
		f := newFixture(t)
		p := filepath.Join(f.home, "bob", "fifo.php")
		must(t, unix.Mkfifo(p, 0o644))
		if _, err := f.q.Move(remediate.Subject{Path: p}); !errors.Is(err, safefs.ErrNotRegular) {
			t.Fatalf("err %v, want ErrNotRegular", err)
		}
	})
	t.Run("relative path", func(t *testing.T) {
		f := newFixture(t)
		if _, err := f.q.Move(remediate.Subject{Path: "home/bob/x.php"}); err == nil {
			t.Fatal("relative path accepted")
		}
	})
}

func TestRestoreRefuses(t *testing.T) {
	t.Run("a file reappeared", func(t *testing.T) {
		f := newFixture(t)
		s := f.file(t, "bob/x.php", "evil", 0o644)
		rec, err := f.q.Move(s)
		must(t, err)
		must(t, os.WriteFile(s.Path, []byte("new site"), 0o644))
		if err := f.q.Restore(rec); !errors.Is(err, remediate.ErrExists) {
			t.Fatalf("err %v, want ErrExists", err)
		}
		if b, _ := os.ReadFile(s.Path); string(b) != "new site" {
			t.Error("the new file was overwritten")
		}
		if !exists(string(rec.QuarantinePath)) {
			t.Error("quarantined file lost")
		}
	})
	t.Run("quarantined content changed", func(t *testing.T) {
		f := newFixture(t)
		s := f.file(t, "bob/x.php", "evil", 0o644)
		rec, err := f.q.Move(s)
		must(t, err)
		must(t, os.Chmod(string(rec.QuarantinePath), 0o600))
		must(t, os.WriteFile(string(rec.QuarantinePath), []byte("other"), 0o600))
		if err := f.q.Restore(rec); !errors.Is(err, remediate.ErrNotQuarantined) {
			t.Fatalf("err %v, want ErrNotQuarantined", err)
		}
		if exists(s.Path) {
			t.Error("restored anyway")
		}
	})
}

func TestDryRunTouchesNothing(t *testing.T) {
	f := newFixture(t)
	f.q.DryRun = true
	s := f.file(t, "bob/x.php", "evil", 0o644)
	rec, err := f.q.Move(s)
	must(t, err)
	if string(rec.QuarantinePath) != filepath.Join(f.q.Dir, s.Path) {
		t.Errorf("would-be path %s", rec.QuarantinePath)
	}
	rec, err = f.q.Clean(s, func(b []byte) ([]byte, bool, string) { return []byte("ok"), true, "" })
	must(t, err)
	if rec.Action != remediate.ActClean {
		t.Errorf("dry clean action %s", rec.Action)
	}
	if exists(f.q.Dir) {
		t.Error("dry run made the quarantine directory")
	}
	if b, _ := os.ReadFile(s.Path); string(b) != "evil" {
		t.Error("dry run changed the file")
	}
}

func TestClean(t *testing.T) {
	strip := func(b []byte) ([]byte, bool, string) {
		out := bytes.ReplaceAll(b, []byte("INJECTED;"), nil)
		if len(bytes.TrimSpace(out)) == 0 {
			return nil, false, "nothing left"
		}
		return out, true, ""
	}
	t.Run("cleaned in place, original kept", func(t *testing.T) {
		f := newFixture(t)
		s := f.file(t, "bob/index.php", "INJECTED;<?php site(); ?>", 0o604)
		var before unix.Stat_t
		must(t, unix.Lstat(s.Path, &before))
		rec, err := f.q.Clean(s, strip)
		must(t, err)
		if rec.Action != remediate.ActClean {
			t.Fatalf("action %s", rec.Action)
		}
		if b, _ := os.ReadFile(s.Path); string(b) != "<?php site(); ?>" {
			t.Errorf("cleaned content %q", b)
		}
		var after unix.Stat_t
		must(t, unix.Lstat(s.Path, &after))
		if after.Mode != before.Mode || after.Uid != before.Uid || after.Gid != before.Gid {
			t.Errorf("cleaned file mode %o uid %d, want %o %d", after.Mode, after.Uid, before.Mode, before.Uid)
		}
		must(t, os.Chmod(string(rec.QuarantinePath), 0o600))
		if b, _ := os.ReadFile(string(rec.QuarantinePath)); string(b) != "INJECTED;<?php site(); ?>" {
			t.Errorf("quarantined original %q", b)
		}
		left, _ := filepath.Glob(filepath.Join(f.home, "bob", ".*shellscan*"))
		if len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
		// The original cannot be restored over the cleaned file.
		if err := f.q.Restore(rec); !errors.Is(err, remediate.ErrExists) {
			t.Errorf("restore over the cleaned file: %v", err)
		}
	})
	t.Run("nothing left: quarantined whole", func(t *testing.T) {
		f := newFixture(t)
		s := f.file(t, "bob/only.php", "INJECTED;", 0o644)
		rec, err := f.q.Clean(s, strip)
		must(t, err)
		if rec.Action != remediate.ActQuarantine || rec.Detail != "nothing left" {
			t.Errorf("record %+v", rec)
		}
		if exists(s.Path) {
			t.Error("file still in place")
		}
	})
}

func TestHostileNamesRoundTrip(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"new\nline.php", "bad\xff\xfeutf8.php", "-rf.php", " sp ace.php"} {
		s := f.file(t, "bob/"+name, "evil", 0o644)
		rec, err := f.q.Move(s)
		must(t, err)
		recs := pending(t, f.q)
		got := recs[len(recs)-1]
		if got.Path != rec.Path || string(got.Path) != s.Path {
			t.Errorf("manifest path %q, want %q", got.Path, s.Path)
		}
		must(t, f.q.Restore(got))
		if !exists(s.Path) {
			t.Errorf("%q not restored", name)
		}
	}
}

func TestRealCrossDevice(t *testing.T) {
	// A quarantine on another filesystem than the tree, when the machine
	// has one (tmpfs in /dev/shm).
	shm, err := os.MkdirTemp("/dev/shm", "spamgear-q-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	f := newFixture(t)
	var a, b unix.Stat_t
	must(t, unix.Stat(shm, &a))
	must(t, unix.Stat(f.home, &b))
	if a.Dev == b.Dev {
		t.Skip("/dev/shm is on the same filesystem as the temp dir")
	}
	f.q.Dir = filepath.Join(shm, "shells")
	s := f.file(t, "bob/x.php", "evil", 0o644)
	rec, err := f.q.Move(s)
	must(t, err)
	if exists(s.Path) || !exists(string(rec.QuarantinePath)) {
		t.Fatal("not moved across filesystems")
	}
	must(t, f.q.Restore(rec))
	if b, _ := os.ReadFile(s.Path); string(b) != "evil" {
		t.Errorf("restored %q", b)
	}
}

// TestCrash kills a subprocess at each step of a move or clean and checks
// that the file is in place or in quarantine with its manifest record.
func TestCrash(t *testing.T) {
	if os.Getenv("REMEDIATE_CRASH_AT") != "" {
		crashChild()
		return
	}
	cases := []struct {
		op, stage string
		copy      bool
		inPlace   bool // the original (or the cleaned file) is at the path
		inQ       bool // a copy is in quarantine
	}{
		{"move", "recorded", false, true, false},
		{"move", "linked", false, true, true},
		{"move", "moved", false, false, true},
		{"move", "copied", true, true, true},
		{"clean", "copied", false, true, true},
		{"clean", "written", false, true, true},
	}
	for _, c := range cases {
		t.Run(c.op+"/"+c.stage, func(t *testing.T) {
			f := newFixture(t)
			s := f.file(t, "bob/x.php", "INJECTED;<?php site(); ?>", 0o644)
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$")
			cmd.Env = append(os.Environ(), "REMEDIATE_CRASH_AT="+c.stage, "REMEDIATE_OP="+c.op,
				"REMEDIATE_PATH="+s.Path, "REMEDIATE_DIR="+f.q.Dir)
			if c.copy {
				cmd.Env = append(cmd.Env, "REMEDIATE_COPY=1")
			}
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child was not killed at %s: %v", c.stage, err)
			}
			recs := pending(t, f.q)
			if len(recs) != 1 {
				t.Fatalf("%d manifest records, want 1", len(recs))
			}
			qp := string(recs[0].QuarantinePath)
			if exists(s.Path) != c.inPlace || exists(qp) != c.inQ {
				t.Errorf("in place %v (want %v), in quarantine %v (want %v)", exists(s.Path), c.inPlace, exists(qp), c.inQ)
			}
			if !exists(s.Path) && !exists(qp) {
				t.Fatal("file lost")
			}
			if b, err := os.ReadFile(s.Path); err == nil && string(b) != "INJECTED;<?php site(); ?>" {
				t.Errorf("file in place changed to %q", b)
			}
		})
	}
}

func crashChild() {
	q := &remediate.Quarantine{Dir: os.Getenv("REMEDIATE_DIR")}
	q.SetForceCopy(os.Getenv("REMEDIATE_COPY") != "")
	q.SetHook(func(stage string) {
		if stage == os.Getenv("REMEDIATE_CRASH_AT") {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	})
	s := remediate.Subject{Path: os.Getenv("REMEDIATE_PATH")}
	if os.Getenv("REMEDIATE_OP") == "clean" {
		_, _ = q.Clean(s, func(b []byte) ([]byte, bool, string) {
			return bytes.ReplaceAll(b, []byte("INJECTED;"), nil), true, ""
		})
	} else {
		_, _ = q.Move(s)
	}
	os.Exit(0) // not reached when the stage is hit
}

func TestAudit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log", "actions.log")
	a, err := remediate.OpenAudit(p, "shellscan")
	must(t, err)
	must(t, a.Log(remediate.Entry{Action: "quarantine", Path: "/home/bob/x\n.php", Signatures: []string{"S"}}))
	must(t, a.Log(remediate.Entry{Action: "notify", Target: "bob@example.org", Error: "smtp down"}))
	must(t, a.Close())
	b, err := os.ReadFile(p)
	must(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"path":"/home/bob/x\n.php"`) || !strings.Contains(lines[1], `"error":"smtp down"`) ||
		!strings.Contains(lines[0], `"tool":"shellscan"`) {
		t.Errorf("audit log:\n%s", b)
	}
	link := filepath.Join(dir, "link.log")
	must(t, os.Symlink(p, link))
	if _, err := remediate.OpenAudit(link, "shellscan"); err == nil {
		t.Error("audit log through a symlink accepted")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMoveHardLink: a hard link to a file outside the tree is moved by
// copying and unlinking this name only; the shared inode keeps its mode
// and content.
func TestMoveHardLink(t *testing.T) {
	f := newFixture(t)
	outside := filepath.Join(filepath.Dir(f.home), "system-file")
	must(t, os.WriteFile(outside, []byte("root:x:0:0"), 0o644))
	link := filepath.Join(f.home, "bob", "x.php")
	must(t, os.Link(outside, link))
	rec, err := f.q.Move(subject(t, link))
	must(t, err)
	if exists(link) || !exists(string(rec.QuarantinePath)) {
		t.Fatal("link not moved into quarantine")
	}
	fi, err := os.Stat(outside)
	must(t, err)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("the other link's mode changed to %v", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(outside); string(b) != "root:x:0:0" {
		t.Errorf("the other link's content changed: %q", b)
	}
}

// TestReviewAttacks covers what a hostile user can do between the scan and
// the move.
func TestReviewAttacks(t *testing.T) {
	t.Run("sparse growth after the scan", func(t *testing.T) {
		f := newFixture(t)
		s := f.file(t, "bob/x.php", "evil", 0o644)
		s.Size = 4
		must(t, os.Truncate(s.Path, 1<<40)) // a terabyte of holes
		if _, err := f.q.Move(s); !errors.Is(err, remediate.ErrChanged) {
			t.Fatalf("err %v, want ErrChanged", err)
		}
	})
	t.Run("255-byte name quarantined twice", func(t *testing.T) {
		f := newFixture(t)
		name := strings.Repeat("n", 251) + ".php"
		var got []string
		for range 2 {
			rec, err := f.q.Move(f.file(t, "bob/"+name, "evil", 0o644))
			must(t, err)
			got = append(got, filepath.Base(string(rec.QuarantinePath)))
		}
		if got[0] != name || len(got[1]) > 255 || got[1] == name || !exists(filepath.Join(filepath.Dir(filepath.Join(f.q.Dir, f.home, "bob", name)), got[1])) {
			t.Errorf("names %q", got)
		}
	})
	t.Run("a quarantined file named like a later directory", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.q.Move(f.file(t, "bob/x", "evil", 0o644))
		must(t, err)
		rec, err := f.q.Move(f.file(t, "bob/x/y.php", "evil too", 0o644))
		must(t, err)
		if want := filepath.Join(f.q.Dir, f.home, "bob", "x.d", "y.php"); string(rec.QuarantinePath) != want {
			t.Errorf("quarantine path %s, want %s", rec.QuarantinePath, want)
		}
		must(t, f.q.Restore(rec))
		if b, _ := os.ReadFile(filepath.Join(f.home, "bob", "x", "y.php")); string(b) != "evil too" {
			t.Errorf("restored %q", b)
		}
	})
	t.Run("torn manifest line", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.q.Move(f.file(t, "bob/a.php", "evil", 0o644))
		must(t, err)
		mf, err := os.OpenFile(filepath.Join(f.q.Dir, remediate.ManifestName), os.O_APPEND|os.O_WRONLY, 0)
		must(t, err)
		_, _ = mf.WriteString(`{"id":"torn","act`) // a crash mid-write
		mf.Close()
		_, err = f.q.Move(f.file(t, "bob/b.php", "evil", 0o644))
		must(t, err)
		recs, err := f.q.Manifest()
		if err == nil || len(remediate.Pending(recs)) != 2 {
			b, _ := os.ReadFile(filepath.Join(f.q.Dir, remediate.ManifestName))
			t.Logf("manifest:\n%s", b)
			t.Errorf("after a torn line: %d pending, err %v; want 2 and an error naming the torn line", len(remediate.Pending(recs)), err)
		}
	})
	t.Run("quarantine directory writable by others", func(t *testing.T) {
		f := newFixture(t)
		must(t, os.MkdirAll(filepath.Join(f.q.Dir, strings.TrimPrefix(f.home, "/"), "bob"), 0o700))
		must(t, os.Chmod(filepath.Join(f.q.Dir, strings.TrimPrefix(f.home, "/"), "bob"), 0o777))
		s := f.file(t, "bob/x.php", "evil", 0o644)
		if _, err := f.q.Move(s); err == nil || !strings.Contains(err.Error(), "writable by no one else") {
			t.Fatalf("err %v", err)
		}
		if !exists(s.Path) {
			t.Error("moved anyway")
		}
	})
}
