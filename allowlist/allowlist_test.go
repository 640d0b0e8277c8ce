package allowlist

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildAndLoad(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"wp/index.php": "<?php echo 1;", "wp/a\nb.php": "odd name", "wp/x/y.js": "js"}
	for name, c := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("/etc/passwd", filepath.Join(dir, "wp", "link.php"))
	var out bytes.Buffer
	n, err := Build(filepath.Join(dir, "wp"), &out)
	if err != nil || n != 3 {
		t.Fatalf("Build: %d, %v", n, err)
	}
	if !strings.Contains(out.String(), `a\nb.php`) || strings.Contains(out.String(), "passwd") {
		t.Errorf("list:\n%s", out.String())
	}
	l, err := Read("list", &out)
	if err != nil || l.Len() != 3 {
		t.Fatalf("Read: %v, %d sums", err, l.Len())
	}
	for _, c := range files {
		if !l.Contains(sha256.Sum256([]byte(c))) {
			t.Errorf("%q not listed", c)
		}
	}
	if l.Contains(sha256.Sum256([]byte("<?php echo 1; eval($_POST[1]);"))) {
		t.Error("an unlisted content is listed")
	}
}

func TestReadErrors(t *testing.T) {
	good := "# sums\n\n" + strings.Repeat("a", 64) + "  x.php\n" + strings.Repeat("b", 64) + " *y.bin\n" + strings.Repeat("c", 64) + "\n"
	if l, err := Read("l", strings.NewReader(good)); err != nil || l.Len() != 3 {
		t.Fatalf("%v %v", l, err)
	}
	for _, bad := range []string{"zz  x.php\n", strings.Repeat("g", 64) + "  x\n"} {
		if _, err := Read("l", strings.NewReader(bad)); err == nil || !strings.HasPrefix(err.Error(), "l:1:") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
