package clamdtest

import (
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxSockPath keeps socket paths under the 108-byte sun_path limit.
const maxSockPath = 100

// shortTempDir returns t.TempDir(), or a shorter directory under os.TempDir
// when a socket path in t.TempDir() (named after the test) would be too long.
func shortTempDir(t testing.TB) string {
	dir := t.TempDir()
	if len(filepath.Join(dir, "clamd.sock")) <= maxSockPath {
		return dir
	}
	dir, err := os.MkdirTemp("", "clamdtest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ndb renders sigs as extended signatures "Name:0:*:hex" (target type 0:
// any file; offset *: anywhere).
func ndb(t testing.TB, sigs map[string]string) string {
	t.Helper()
	if len(sigs) == 0 {
		sigs = DefaultSigs
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(sigs)) {
		marker := sigs[name]
		if name == "" || strings.ContainsAny(name, ":\n\r") || len(marker) < 4 {
			t.Fatalf("clamdtest: bad signature %q → %q (name without ':', marker of 4+ bytes)", name, marker)
		}
		fmt.Fprintf(&b, "%s:0:*:%s\n", name, hex.EncodeToString([]byte(marker)))
	}
	return b.String()
}

func confText(s *Server, c config) string {
	lines := []string{
		"LocalSocket " + s.sock,
		"DatabaseDirectory " + filepath.Join(s.dir, "db"),
		"TemporaryDirectory " + s.dir,
		"Foreground yes",
		"StreamMaxLength " + c.streamMax,
		fmt.Sprintf("MaxThreads %d", c.maxThreads),
	}
	return strings.Join(append(lines, c.extra...), "\n") + "\n"
}
