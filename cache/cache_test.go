package cache

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const v1, v2 = "0123456789abcdef", "fedcba9876543210"

func open(t *testing.T, path, ver string) *Cache {
	t.Helper()
	c, err := Open(path, Options{SigVersion: ver, LockWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCleanEntriesAndStaleness(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c", "cache.db")
	st := FileState{Dev: 1, Ino: 2, Size: 3, Mtime: 4, Ctime: 5}
	c := open(t, path, v1)
	sum := sha256.Sum256([]byte("x"))
	c.Put("/h/a.php", st, &sum, 1, Clean)
	c.Put("/h/bad.php", st, nil, 1, Infected)
	if err := c.w.flush(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		st   FileState
		want bool
	}{
		{"same tuple", "/h/a.php", st, true},
		{"other path", "/h/b.php", st, false},
		{"infected never skipped", "/h/bad.php", st, false},
		{"ctime only changed", "/h/a.php", FileState{Dev: 1, Ino: 2, Size: 3, Mtime: 4, Ctime: 6}, false},
		{"mtime changed", "/h/a.php", FileState{Dev: 1, Ino: 2, Size: 3, Mtime: 9, Ctime: 5}, false},
		{"other inode", "/h/a.php", FileState{Dev: 1, Ino: 7, Size: 3, Mtime: 4, Ctime: 5}, false},
		{"size changed", "/h/a.php", FileState{Dev: 1, Ino: 2, Size: 30, Mtime: 4, Ctime: 5}, false},
	}
	for _, tt := range tests {
		if got := c.IsClean(tt.path, tt.st); got != tt.want {
			t.Errorf("%s: IsClean = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !c.ContentClean(sum, 1) || c.ContentClean(sum, 2) || c.ContentClean(sha256.Sum256([]byte("y")), 1) {
		t.Error("content verdicts wrong")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened under the same set: remembered. Under a new set: stale.
	c = open(t, path, v1)
	if !c.IsClean("/h/a.php", st) {
		t.Error("verdict lost across reopen")
	}
	c.Close()
	c = open(t, path, v2)
	defer c.Close()
	if c.IsClean("/h/a.php", st) || c.ContentClean(sum, 1) {
		t.Error("entry judged under another signature set still counts as clean")
	}
}

func TestSecondRunWaitsThenFailsNamingTheFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	c := open(t, path, v1)
	defer c.Close()
	_, err := Open(path, Options{SigVersion: v1, LockWait: 300 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("message does not name the other run: %v", err)
	}
}

func TestCorruptCacheIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a bolt file ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := open(t, path, v1)
	c.Put("/x", FileState{}, nil, 0, Clean)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Errorf("moved aside: %v", aside)
	}
}

func TestRootScans(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "cache.db"), v1)
	defer c.Close()
	if _, ok := c.LastScan("/home"); ok {
		t.Fatal("scan recorded from nowhere")
	}
	start := time.Unix(1000, 5)
	if err := c.RecordScan("/home", RootScan{Start: start, End: start.Add(time.Hour), Files: 42}); err != nil {
		t.Fatal(err)
	}
	rs, ok := c.LastScan("/home")
	if !ok || !rs.Start.Equal(start) || rs.Files != 42 {
		t.Errorf("LastScan = %+v, %v", rs, ok)
	}
	st, err := c.Stats()
	if err != nil || len(st.Roots) != 1 {
		t.Errorf("stats %+v %v", st, err)
	}
}

// TestVersionSuffixesCount: a version is the rule set's and whatever the
// command appends (+nodecode, +allow:…, clamd's): a verdict or a root's
// complete scan under one never vouches under another, however they are
// spelled.
func TestVersionSuffixesCount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	st := FileState{Dev: 1, Ino: 2, Size: 3, Mtime: 4, Ctime: 5}
	sum := sha256.Sum256([]byte("x"))
	a := v1 + "+detect-2+nodecode"
	c := open(t, path, a)
	c.Put("/h/a.php", st, &sum, 1, Clean)
	if err := c.RecordScan("/h", RootScan{Start: time.Unix(1000, 0), End: time.Unix(2000, 0), Files: 1}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, other := range []string{v1 + "+detect-2", v1 + "+detect-3+nodecode", v1[:8] + "ffff+detect-2+nodecode", v1 + "+detect-2+nodecode+allow:00"} {
		c = open(t, path, other)
		if c.IsClean("/h/a.php", st) || c.ContentClean(sum, 1) {
			t.Errorf("clean under %q counts under %q", a, other)
		}
		if _, ok := c.LastScan("/h"); ok {
			t.Errorf("complete scan under %q counts under %q", a, other)
		}
		c.Close()
	}
	c = open(t, path, a)
	defer c.Close()
	if _, ok := c.LastScan("/h"); !ok || !c.IsClean("/h/a.php", st) {
		t.Error("records lost under their own version")
	}
}

// TestKillDuringBatch kills a writing process with SIGKILL at some moment
// and checks that the cache still opens and holds only whole records that
// were really written as clean.
func TestKillDuringBatch(t *testing.T) {
	if os.Getenv("SPAMGEAR_CACHE_CHILD") != "" {
		c, err := Open(os.Getenv("SPAMGEAR_CACHE_CHILD"), Options{SigVersion: v1})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println("ready")
		for i := 0; ; i++ {
			c.Put(fmt.Sprintf("/h/f%07d.php", i), FileState{Ino: uint64(i), Size: int64(i)}, nil, 0, Clean)
		}
	}
	if testing.Short() {
		t.Skip("subprocess test")
	}
	path := filepath.Join(t.TempDir(), "cache.db")
	for round, delay := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringBatch$")
		cmd.Env = append(os.Environ(), "SPAMGEAR_CACHE_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := out.Read(buf); err != nil {
			t.Fatalf("child: %v", err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		c := open(t, path, v1)
		n := 0
		for i := 0; ; i++ {
			if !c.IsClean(fmt.Sprintf("/h/f%07d.php", i), FileState{Ino: uint64(i), Size: int64(i)}) {
				break
			}
			n++
		}
		st, err := c.Stats()
		if err != nil {
			t.Fatal(err)
		}
		// Entries are written in order in whole batches: every one present
		// is a prefix of what the child put.
		if st.Files < n {
			t.Errorf("round %d: %d files counted, %d readable", round, st.Files, n)
		}
		t.Logf("round %d: killed after %v, %d entries survived", round, delay, n)
		c.Close()
	}
}

func TestPrune(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "cache.db"), v1)
	defer c.Close()
	for _, p := range []string{"/h/a/keep.php", "/h/a/gone.php", "/h/b/gone.php", "/top"} {
		c.Put(p, FileState{Size: 1}, nil, 0, Clean)
	}
	alive := map[string]bool{"/h/a/keep.php": true, "/top": true}
	n, err := c.Prune(func(p string) bool { return alive[p] })
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2 removed", n, err)
	}
	for p := range alive {
		if !c.IsClean(p, FileState{Size: 1}) {
			t.Errorf("%s lost", p)
		}
	}
	if c.IsClean("/h/a/gone.php", FileState{Size: 1}) {
		t.Error("pruned entry still there")
	}
	// A directory pruned empty gets a new id when files come back: no mix-up.
	c.Put("/h/b/new.php", FileState{Size: 2}, nil, 0, Clean)
	if err := c.w.flush(); err != nil {
		t.Fatal(err)
	}
	if !c.IsClean("/h/b/new.php", FileState{Size: 2}) || c.IsClean("/h/b/gone.php", FileState{Size: 1}) {
		t.Error("directory re-added wrongly")
	}
}

func TestPruneUnderRootsOnly(t *testing.T) {
	c := open(t, filepath.Join(t.TempDir(), "cache.db"), v1)
	defer c.Close()
	for _, p := range []string{"/home/a/x.php", "/home/ab/y.php", "/srv/z.php"} {
		c.Put(p, FileState{Size: 1}, nil, 0, Clean)
	}
	if n, err := c.EntriesUnder([]string{"/home/a"}); err != nil || n != 1 {
		t.Errorf("EntriesUnder(/home/a) = %d, %v; want 1 (not /home/ab)", n, err)
	}
	n, err := c.PruneUnder([]string{"/home"}, func(string) bool { return false })
	if err != nil || n != 2 {
		t.Fatalf("PruneUnder = %d, %v; want 2", n, err)
	}
	if !c.IsClean("/srv/z.php", FileState{Size: 1}) {
		t.Error("entry outside the roots was pruned")
	}
}
