package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spamgear/spamgear/internal/testenv"
	"github.com/spamgear/spamgear/sigupdate"
)

// sdShell is the content whose fingerprint testDB(…, "c99") carries.
func sdShell(name string) string {
	return "<?php /* spamgear updatedb test fingerprint: " + name + " */ echo 'harmless'; ?>"
}

// testDB makes a small valid shelldetect.db: a version entry and one "bb:"
// fingerprint per name, in 76-column base64 lines as the real one.
func testDB(version string, names ...string) []byte {
	str := func(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }
	kv := []string{str("version"), str(version)}
	for _, n := range names {
		kv = append(kv, str("bb:"+base64.StdEncoding.EncodeToString([]byte(sdShell(n)))), str(n+"[1][0][php]"))
	}
	enc := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("a:%d:{%s}", len(kv)/2, strings.Join(kv, ""))))
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n")
	return b.Bytes()
}

var (
	testDBv1 = testDB("100", "c99", "r57")
	testDBv2 = testDB("200", "c99", "r57", "wso")
)

// mirror is a local HTTPS server of signature files, trusted through a CA
// file given to --ca-cert.
type mirror struct {
	srv   *httptest.Server
	plain *httptest.Server // plain HTTP
	ca    string
	mu    sync.Mutex
	files map[string][]byte
}

func newMirror(t *testing.T) *mirror {
	t.Helper()
	m := &mirror{files: map[string][]byte{}}
	serve := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		case "/big":
			w.Write(bytes.Repeat([]byte("A"), 1<<20))
			return
		case "/500":
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		case "/to-http":
			http.Redirect(w, r, m.plain.URL+"/shelldetect.db", http.StatusFound)
			return
		}
		m.mu.Lock()
		data, ok := m.files[r.URL.Path]
		m.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}
	m.srv = httptest.NewTLSServer(http.HandlerFunc(serve))
	m.plain = httptest.NewServer(http.HandlerFunc(serve))
	t.Cleanup(m.srv.Close)
	t.Cleanup(m.plain.Close)
	m.ca = filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: m.srv.Certificate().Raw})
	if err := os.WriteFile(m.ca, ca, 0o644); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *mirror) put(path string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[path] = data
}

func (m *mirror) url(path string) string { return m.srv.URL + path }

// wired reports whether newRootCommand has the updatedb subcommand.
func wired() bool {
	c, _, err := newRootCommand(&env{}).Find([]string{"updatedb"})
	return err == nil && c.Name() == "updatedb"
}

// TestUpdatedbWired fails until newRootCommand registers the command; the
// other tests skip meanwhile.
func TestUpdatedbWired(t *testing.T) {
	if !wired() {
		t.Fatal("updatedb is not a subcommand: add cmd.AddCommand(newUpdatedbCommand(e)) to newRootCommand")
	}
}

func requireUpdatedb(t *testing.T) {
	t.Helper()
	if !wired() {
		t.Skip("updatedb not wired into newRootCommand yet")
	}
}

// updatedb runs "shellscan updatedb --data-dir DIR --ca-cert CA ARGS...".
func (m *mirror) updatedb(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return runCLI(t, "", append([]string{"updatedb", "--data-dir", dir, "--ca-cert", m.ca}, args...)...)
}

var setLine = regexp.MustCompile(`(?m)^rule set: (\S+) \((\d+) rules\) → (\S+) \((\d+) rules\)$`)

// checkVersion runs "rules check" on the data dir and returns the version.
func checkVersion(t *testing.T, dir string) string {
	t.Helper()
	r := runCLI(t, "", "rules", "check", "--data-dir", dir)
	m := regexp.MustCompile(`(?m)^version (\S+):`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("rules check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return m[1]
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func TestUpdatedbDownload(t *testing.T) {
	requireUpdatedb(t)
	m := newMirror(t)
	m.put("/sd.db", testDBv1)
	m.put("/site.toml", []byte(testRule))
	dir := filepath.Join(t.TempDir(), "data")
	urls := []string{"--url", "shelldetect.db=" + m.url("/sd.db"), "--url", "site.toml=" + m.url("/site.toml")}

	// First run: both installed.
	r := m.updatedb(t, dir, urls...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"shelldetect.db: (none) → version 100, 2 rules (from " + m.url("/sd.db") + ")\n",
		"site.toml: (none) → 1 rule (from " + m.url("/site.toml") + ")\n",
		"kept in " + filepath.Join(dir, ".previous") + "; undo with: shellscan updatedb --rollback --data-dir " + dir + "\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	set := setLine.FindStringSubmatch(r.stdout)
	if set == nil {
		t.Fatalf("no rule set line:\n%s", r.stdout)
	}
	if v := checkVersion(t, dir); v != set[3] {
		t.Errorf("updatedb says the set is %s, rules check says %s", set[3], v)
	}

	// A scan now finds what the new database describes.
	victim := filepath.Join(t.TempDir(), "upload.php")
	write(t, victim, "<?php\n"+sdShell("c99")+"\n")
	if r := runCLI(t, "", "--no-default-rules", "--data-dir", dir, victim); r.code != exitFound || !strings.Contains(r.stdout, "[DETECTOR] [c99]") {
		t.Errorf("scan after update: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Upstream changes: old → new, the old version kept.
	m.put("/sd.db", testDBv2)
	r = m.updatedb(t, dir, urls...)
	if r.code != 0 || !strings.Contains(r.stdout, "shelldetect.db: version 100, 2 rules → version 200, 3 rules") ||
		!strings.Contains(r.stdout, "site.toml: 1 rule: unchanged") {
		t.Fatalf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := setLine.FindStringSubmatch(r.stdout); got == nil || got[1] != set[3] {
		t.Errorf("old set version %v, want %s", got, set[3])
	}
	if readString(t, filepath.Join(dir, "shelldetect.db")) != string(testDBv2) ||
		readString(t, filepath.Join(dir, ".previous", "shelldetect.db")) != string(testDBv1) {
		t.Error("v2 not installed or v1 not kept")
	}

	// Nothing new: exit 0, says so; --quiet says nothing.
	r = m.updatedb(t, dir, urls...)
	if r.code != 0 || !strings.Contains(r.stdout, "up to date, nothing changed") {
		t.Errorf("third run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = m.updatedb(t, dir, append(urls, "--quiet")...); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("--quiet, nothing new: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestUpdatedbFailuresChangeNothing(t *testing.T) {
	requireUpdatedb(t)
	m := newMirror(t)
	m.put("/good.db", testDBv2)
	lines := bytes.Split(testDBv2, []byte("\n"))
	lines[2] = []byte("this is not base64!")
	m.put("/broken.db", bytes.Join(lines, []byte("\n")))
	m.put("/dup.toml", []byte(testRule)) // same rule ID as the installed one.toml
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"404", []string{"--url", "shelldetect.db=" + m.url("/missing.db")}, "404 Not Found"},
		{"500", []string{"--url", "shelldetect.db=" + m.url("/500")}, "500 Internal Server Error"},
		{"invalid", []string{"--url", "shelldetect.db=" + m.url("/broken.db")}, m.url("/broken.db") + ":3: base64: invalid character '!'"},
		{"broken combination", []string{"--url", "shelldetect.db=", "--url", "dup.toml=" + m.url("/dup.toml")}, `rule id "T.Marker" already defined`},
		{"one of two fails", []string{"--url", "shelldetect.db=" + m.url("/good.db"), "--url", "x.toml=" + m.url("/missing.toml")}, "404"},
		{"timeout", []string{"--timeout", "300ms", "--url", "shelldetect.db=" + m.url("/slow")}, "timed out after 300ms: context deadline exceeded (raise --timeout"},
		{"oversize", []string{"--max-download", "64K", "--url", "shelldetect.db=" + m.url("/big")}, "download too large"},
		{"redirect to http", []string{"--url", "shelldetect.db=" + m.url("/to-http")}, "redirect to " + m.plain.URL + "/shelldetect.db refused"},
		{"untrusted certificate", []string{"--ca-cert", filepath.Join(testenv.RepoRoot(t), "go.mod"), "--url", "shelldetect.db=" + m.url("/good.db")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if r := runCLI(t, "", "updatedb", "--data-dir", dir, "--from", writeTemp(t, "shelldetect.db", testDBv1)); r.code != 0 {
				t.Fatalf("setup: %s", r.stderr)
			}
			if r := runCLI(t, "", "updatedb", "--data-dir", dir, "--from", writeTemp(t, "one.toml", []byte(testRule))); r.code != 0 {
				t.Fatalf("setup: %s", r.stderr)
			}
			before := treeString(t, dir)
			r := m.updatedb(t, dir, tt.args...)
			if tt.name == "untrusted certificate" {
				// --ca-cert with no certificate in it is a usage error;
				// without --ca-cert the mirror is not trusted.
				if r.code != exitUsage {
					t.Errorf("--ca-cert go.mod: exit %d, want 2", r.code)
				}
				r = runCLI(t, "", "updatedb", "--data-dir", dir, "--url", "shelldetect.db="+m.url("/good.db"))
				tt.want = "certificate"
			}
			if r.code != exitUpdateFailed || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "nothing changed") {
				t.Errorf("exit %d, want 1; stderr lacks %q or 'nothing changed':\n%s", r.code, tt.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %s", r.stdout)
			}
			if after := treeString(t, dir); after != before {
				t.Errorf("data dir changed:\n%s\nwas:\n%s", after, before)
			}
		})
	}
}

func TestUpdatedbPlainHTTP(t *testing.T) {
	requireUpdatedb(t)
	m := newMirror(t)
	m.put("/shelldetect.db", testDBv1)
	dir := filepath.Join(t.TempDir(), "data")
	if r := m.updatedb(t, dir, "--url", "shelldetect.db="+m.plain.URL+"/shelldetect.db"); r.code != exitUsage || !strings.Contains(r.stderr, "--insecure-http") {
		t.Errorf("http:// without --insecure-http: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("data dir created by a refused run")
	}
	if r := m.updatedb(t, dir, "--insecure-http", "--url", "shelldetect.db="+m.plain.URL+"/shelldetect.db"); r.code != 0 {
		t.Errorf("--insecure-http: exit %d\n%s", r.code, r.stderr)
	}
	if r := m.updatedb(t, dir, "--insecure-http", "--url", "shelldetect.db="+m.url("/to-http")); r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("--insecure-http, redirect to http: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestUpdatedbUsage(t *testing.T) {
	requireUpdatedb(t)
	dir := filepath.Join(t.TempDir(), "data")
	unknown := writeTemp(t, "x.bin", testDBv1)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--url", "shelldetect.db=http://mirror.example/x"}, "HTTPS required"},
		{[]string{"--url", "rules.yaml=https://mirror.example/x"}, "a scan does not load this file"},
		{[]string{"--url", "../etc/x.toml=https://mirror.example/x"}, "not a path"},
		{[]string{"--url", "https://mirror.example/x"}, "want NAME=URL"},
		{[]string{"--url", "x.toml=mirror.example/x"}, "want https://HOST/PATH"},
		{[]string{"--url", "shelldetect.db="}, "nothing to fetch"},
		{[]string{"shelldetect.db"}, "unexpected argument"},
		{[]string{"--rollback", "--url", "x.toml=https://mirror.example/x"}, "takes no --url"},
		{[]string{"--rollback", "../x.toml"}, "not a path"},
		{[]string{"--from", unknown, "--url", "x.toml=https://mirror.example/x"}, "does not combine"},
		{[]string{"--format", "toml"}, "--format gives the format of one --from"},
		{[]string{"--from", unknown}, "unknown rule file format"},
		{[]string{"--from", unknown, "--format", "yaml"}, "unknown format"},
		{[]string{"--from", unknown, "--format", "toml"}, "must end in .toml"},
		{[]string{"--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"--max-download", "lots"}, "--max-download"},
		{[]string{"--ca-cert", filepath.Join(dir, "nope.pem")}, "--ca-cert"},
		{[]string{"--data-dir", ""}, "--data-dir must not be empty"},
		{[]string{"--no-such-flag"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, "", append([]string{"updatedb", "--data-dir", dir}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, want 2 and %q:\n%s", r.code, tt.want, r.stderr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Error("the data dir was created")
			}
		})
	}
}

func mkdir(t *testing.T, path string) string {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUpdatedbFrom(t *testing.T) {
	requireUpdatedb(t)
	t.Run("generated", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		r := runCLI(t, "", "updatedb", "--data-dir", dir, "--from", writeTemp(t, "sd-2024.bin", testDBv1), "--format", "shelldetect")
		if r.code != 0 || !strings.Contains(r.stdout, "shelldetect.db: (none) → version 100, 2 rules") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if readString(t, filepath.Join(dir, "shelldetect.db")) != string(testDBv1) {
			t.Error("not installed as shelldetect.db")
		}
		src := writeTemp(t, "site.toml", []byte(testRule))
		fp := writeTemp(t, "my-fingerprints.txt", []byte("spamgear-from-test-fingerprint\n"))
		r = runCLI(t, "", "updatedb", "--data-dir", dir, "--from", src, "--from", fp)
		if r.code != 0 || !strings.Contains(r.stdout, "site.toml: (none) → 1 rule") || !strings.Contains(r.stdout, "fingerprints.txt: (none) → 1 rule") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("seed", func(t *testing.T) {
		seed := testenv.Shared(t, "seed-sigs/shelldetect.db")
		dir := filepath.Join(t.TempDir(), "data")
		r := runCLI(t, "", "updatedb", "--data-dir", dir, "--from", seed)
		if r.code != 0 || !strings.Contains(r.stdout, "shelldetect.db: (none) → version 1405674947, 603 rules (from "+seed+")") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		set := setLine.FindStringSubmatch(r.stdout)
		if set == nil || checkVersion(t, dir) != set[3] {
			t.Errorf("set line %v, rules check %s", set, checkVersion(t, dir))
		}
	})
	t.Run("failures", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		broken := writeTemp(t, "shelldetect.db", bytes.Replace(testDBv1, []byte("\n"), []byte("\n@@\n"), 1))
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"--from", filepath.Join(dir, "missing.db")}, "no such file"},
			{[]string{"--from", mkdir(t, filepath.Join(t.TempDir(), "dir.db"))}, "not a regular file"},
			{[]string{"--from", broken}, broken + ":2: base64"},
			{[]string{"--from", writeTemp(t, "big.db", bytes.Repeat([]byte("A"), 2048)), "--max-download", "1K"}, "larger than --max-download"},
		} {
			r := runCLI(t, "", append([]string{"updatedb", "--data-dir", dir}, tt.args...)...)
			if r.code != exitUpdateFailed || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%v: exit %d, want 1 and %q:\n%s", tt.args, r.code, tt.want, r.stderr)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 1 { // at most the lock file
			t.Errorf("data dir: %v", entries)
		}
	})
}

func TestUpdatedbRollback(t *testing.T) {
	requireUpdatedb(t)
	dir := filepath.Join(t.TempDir(), "data")
	r := runCLI(t, "", "updatedb", "--data-dir", dir, "--rollback")
	if r.code != exitUpdateFailed || !strings.Contains(r.stderr, "nothing to roll back") {
		t.Fatalf("rollback of nothing: exit %d\n%s", r.code, r.stderr)
	}
	runCLI(t, "", "updatedb", "--data-dir", dir, "--from", writeTemp(t, "shelldetect.db", testDBv1))
	v1 := checkVersion(t, dir)
	runCLI(t, "", "updatedb", "--data-dir", dir, "--from", writeTemp(t, "shelldetect.db", testDBv2))
	v2 := checkVersion(t, dir)

	r = runCLI(t, "", "updatedb", "--data-dir", dir, "--rollback")
	if r.code != 0 || !strings.Contains(r.stdout, "shelldetect.db: version 200, 3 rules → version 100, 2 rules\n") ||
		!strings.Contains(r.stdout, "rolled back to the versions replaced ") {
		t.Fatalf("rollback: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := setLine.FindStringSubmatch(r.stdout); got == nil || got[1] != v2 || got[3] != v1 || checkVersion(t, dir) != v1 {
		t.Errorf("set line %v, want %s → %s", got, v2, v1)
	}
	r = runCLI(t, "", "updatedb", "--data-dir", dir, "--rollback", "shelldetect.db")
	if r.code != 0 || checkVersion(t, dir) != v2 {
		t.Errorf("rollback of the rollback: exit %d\n%s", r.code, r.stderr)
	}
	r = runCLI(t, "", "updatedb", "--data-dir", dir, "--rollback", "site.toml")
	if r.code != exitUpdateFailed || !strings.Contains(r.stderr, "no previous version of site.toml") {
		t.Errorf("rollback of a file never replaced: exit %d\n%s", r.code, r.stderr)
	}
}

func TestUpdatedbRefusesSymlinks(t *testing.T) {
	requireUpdatedb(t)
	for _, name := range []string{"shelldetect.db", ".previous"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			target := t.TempDir()
			victim := filepath.Join(target, "shadow")
			write(t, victim, "root:x:0:0\n")
			link := victim
			if name == ".previous" {
				link = target
			}
			if err := os.Symlink(link, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, "", "updatedb", "--data-dir", dir, "--from", writeTemp(t, "shelldetect.db", testDBv1))
			if r.code != exitUpdateFailed || !strings.Contains(r.stderr, "a symbolic link") {
				t.Errorf("exit %d\n%s", r.code, r.stderr)
			}
			if got := readString(t, victim); got != "root:x:0:0\n" {
				t.Errorf("link target now holds %q", got)
			}
			if entries, _ := os.ReadDir(target); len(entries) != 1 {
				t.Errorf("link target dir: %v", entries)
			}
		})
	}
}

func TestUpdatedbDryRun(t *testing.T) {
	requireUpdatedb(t)
	m := newMirror(t)
	m.put("/sd.db", testDBv1)
	dir := filepath.Join(t.TempDir(), "data")
	r := m.updatedb(t, dir, "--dry-run", "--url", "shelldetect.db="+m.url("/sd.db"))
	if r.code != 0 || !strings.Contains(r.stdout, "(none) → version 100") || !strings.Contains(r.stdout, "dry run: nothing changed") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("a dry run created the data dir")
	}
}

func TestUpdatedbInterrupted(t *testing.T) {
	requireUpdatedb(t)
	m := newMirror(t)
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	var out, errb bytes.Buffer
	code := run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb},
		[]string{"updatedb", "--data-dir", dir, "--ca-cert", m.ca, "--url", "shelldetect.db=" + m.url("/slow")})
	if code != exitInterrupted || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("exit %d, want 130\n%s", code, errb.String())
	}
}

func TestUpdatedbHelp(t *testing.T) {
	requireUpdatedb(t)
	r := runCLI(t, "", "updatedb", "--help")
	for _, want := range []string{
		"0 4 * * * shellscan updatedb", "shellscan updatedb --from /tmp/shelldetect.db", sigupdate.UpstreamShellDetectURL,
		"--rollback", "--insecure-http", "Exit status: 0", "FILE:LINE",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if r := runCLI(t, "", "--help"); !strings.Contains(r.stdout, "updatedb") {
		t.Error("root help does not list updatedb")
	}
}

// treeString lists a directory tree with contents, links as links, without
// the lock file (which every run creates).
func treeString(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || strings.HasSuffix(p, ".updatedb.lock") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			fmt.Fprintf(&b, "%s -> %s\n", rel, target)
		case d.Type().IsRegular():
			fmt.Fprintf(&b, "%s %q\n", rel, readString(t, p))
		default:
			fmt.Fprintf(&b, "%s %v\n", rel, d.Type())
		}
		return nil
	})
	return b.String()
}
