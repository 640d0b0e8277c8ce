package walker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadPathsThroughRootLinks: find prints paths through /home when it is
// a link root made (/home -> /srv/home); they are read through the link.
// A link a user made is still refused.
func TestReadPathsThroughRootLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make links owned by root and by another user")
	}
	dir := t.TempDir() // owned by root, mode 0700
	real := filepath.Join(dir, "srv", "home")
	mustWrite(t, filepath.Join(real, "alice", "x.php"), "x")
	mustWrite(t, filepath.Join(dir, "elsewhere", "y.php"), "y")
	if err := os.Symlink(real, filepath.Join(dir, "home")); err != nil {
		t.Fatal(err)
	}
	userLink := filepath.Join(real, "alice", "site")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), userLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(userLink, 1234, 1234); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "home", "alice", "x.php") + "\n" + filepath.Join(dir, "home", "alice", "site", "y.php") + "\n"
	out := make(chan Target, 10)
	var skips []Skip
	if err := ReadPaths(context.Background(), strings.NewReader(in), false, Options{}, out, func(s Skip) { skips = append(skips, s) }); err != nil {
		t.Fatal(err)
	}
	close(out)
	var got []string
	for tg := range out {
		got = append(got, tg.Path)
	}
	// The first through the root-owned link; the second left as it was
	// given (still through /home), so that opening it refuses the user's
	// link, as before.
	want := []string{filepath.Join(real, "alice", "x.php"), filepath.Join(dir, "home", "alice", "site", "y.php")}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || len(skips) != 0 {
		t.Errorf("targets %q, skips %+v; want %q", got, skips, want)
	}
}

func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
