package maillog

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultLogs(t *testing.T) {
	for _, kind := range []string{"postfix", "exim", "php", "syslog-php-legacy", "roundcube", "imp"} {
		paths := DefaultLogs(kind)
		if len(paths) == 0 {
			t.Errorf("DefaultLogs(%q) is empty", kind)
		}
		for _, p := range paths {
			if !filepath.IsAbs(p) {
				t.Errorf("DefaultLogs(%q): %q is not absolute", kind, p)
			}
		}
		paths[0] = "changed"
		if DefaultLogs(kind)[0] == "changed" {
			t.Errorf("DefaultLogs(%q) shares its slice", kind)
		}
	}
	if got := DefaultLogs("sendmail"); got != nil {
		t.Errorf("DefaultLogs(unknown) = %q", got)
	}
	if got := DefaultLogs("postfix"); got[0] != "/var/log/mail.log" || got[1] != "/var/log/maillog" {
		t.Errorf("DefaultLogs(postfix) = %q", got)
	}
}

func TestFirstExisting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "maillog")
	writeFile(t, file, nil)
	link := filepath.Join(dir, "link")
	if err := os.Symlink("maillog", link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		paths []string
		want  string
		ok    bool
	}{
		{"none", nil, "", false},
		{"missing then file", []string{filepath.Join(dir, "mail.log"), file}, file, true},
		{"directory skipped", []string{dir, file}, file, true},
		{"symlink followed", []string{link, file}, link, true},
		{"all missing", []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FirstExisting(tc.paths)
			if got != tc.want || ok != tc.ok {
				t.Errorf("FirstExisting = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
