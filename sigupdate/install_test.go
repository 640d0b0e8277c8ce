package sigupdate

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/internal/testenv"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/sigs"
)

// shellDetectDB makes a small valid shelldetect.db: a version entry and one
// harmless "bb:" fingerprint per name, base64 in 76-column lines as the
// real one is.
func shellDetectDB(version string, names ...string) []byte {
	str := func(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }
	kv := []string{str("version"), str(version)}
	for _, n := range names {
		content := "<?php /* spamgear update test fingerprint: " + n + " */ echo 'harmless'; ?>"
		kv = append(kv, str("bb:"+base64.StdEncoding.EncodeToString([]byte(content))), str(n+"[1][0][php]"))
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

// breakLine replaces line n (1-based) of data with text.
func breakLine(data []byte, n int, text string) []byte {
	lines := bytes.Split(data, []byte("\n"))
	lines[n-1] = []byte(text)
	return bytes.Join(lines, []byte("\n"))
}

func tomlRule(id string) []byte {
	return []byte(fmt.Sprintf(`
[[rule]]
id = %q
literals = ["spamgear-update-marker"]
regex = 'spamgear-update-marker\(\d+\)'
kinds = ["php"]
true_positives = ["<?php spamgear-update-marker(1);"]
false_positives = ["spamgear-update-marker()"]
`, id))
}

var (
	dbV1 = shellDetectDB("100", "c99", "r57")
	dbV2 = shellDetectDB("200", "c99", "r57", "wso")
	dbV3 = shellDetectDB("300", "c99")
)

// newDataDir returns a data dir path (not yet created) in a private temp dir.
func newDataDir(t *testing.T) string {
	return filepath.Join(t.TempDir(), "shellscan")
}

func installer(dir string) *Installer {
	return &Installer{DataDir: dir, LockWait: 2 * time.Second}
}

func mustInstall(t *testing.T, in *Installer, files ...File) Result {
	t.Helper()
	res, err := in.Install(context.Background(), files)
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	return res
}

func readOr(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "<absent>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// snapshot describes a tree: every path with its type and content (links
// with their target), not following links; the lock file is left out.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == lockName {
			return nil // taken (so created) by every run but a dry one
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			lines = append(lines, rel+" -> "+target)
		case d.IsDir():
			lines = append(lines, fmt.Sprintf("%s/ %v", rel, info.Mode().Perm()))
		case !info.Mode().IsRegular():
			lines = append(lines, fmt.Sprintf("%s %v", rel, info.Mode()))
		default:
			b, _ := os.ReadFile(p)
			lines = append(lines, fmt.Sprintf("%s %v %q", rel, info.Mode().Perm(), b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestInstall(t *testing.T) {
	dir := newDataDir(t)
	in := installer(dir)
	sd := filepath.Join(dir, "shelldetect.db")
	prev := filepath.Join(dir, ".previous", "shelldetect.db")

	// First install: the data dir is created, nothing is kept.
	res := mustInstall(t, in, File{Name: "shelldetect.db", Origin: "https://mirror/sd.db", Data: dbV1})
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("data dir: %v %v, want 0755", st.Mode(), err)
	}
	if got := readOr(t, sd); got != string(dbV1) {
		t.Fatalf("installed %q", got)
	}
	if st, _ := os.Stat(sd); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode())
	}
	f := res.Files[0]
	if !res.Changed || f.Old.Present || !f.New.Present || f.New.Version != "100" || f.New.Rules != 2 || f.Origin != "https://mirror/sd.db" {
		t.Errorf("first install result: %+v", res)
	}
	if res.Old.Rules != 0 || res.New.Rules != 2 || res.New.Version == "" || res.Old.Version == res.New.Version {
		t.Errorf("set: %+v → %+v", res.Old, res.New)
	}
	if readOr(t, prev) != "<absent>" {
		t.Error("a previous version of a file that did not exist")
	}

	// Second: the old version is kept.
	res = mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2})
	f = res.Files[0]
	if f.Old.Version != "100" || f.Old.Rules != 2 || f.New.Version != "200" || f.New.Rules != 3 || !f.Changed {
		t.Errorf("second install: %+v", f)
	}
	if readOr(t, sd) != string(dbV2) || readOr(t, prev) != string(dbV1) {
		t.Errorf("after the second install: current %q, previous %q", readOr(t, sd), readOr(t, prev))
	}
	v2 := res.New.Version

	// The same again: nothing changes, the real previous version stays.
	before := snapshot(t, dir)
	res = mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2})
	if res.Changed || res.Files[0].Changed || res.New.Version != v2 || res.Old.Version != v2 {
		t.Errorf("identical install: %+v", res)
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("identical install changed the data dir:\n%s\nwas:\n%s", after, before)
	}

	// Third: one previous version per file.
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV3})
	if readOr(t, prev) != string(dbV2) {
		t.Errorf("previous %q, want v2", readOr(t, prev))
	}
	// No leftovers.
	names := dirNames(t, dir)
	if want := ".previous .updatedb.lock shelldetect.db"; names != want {
		t.Errorf("data dir holds %s, want %s", names, want)
	}
	if names := dirNames(t, filepath.Join(dir, ".previous")); names != "manifest.json shelldetect.db" {
		t.Errorf(".previous holds %s", names)
	}
}

func dirNames(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// TestInstallVersionMatchesScan: the set version reported is the one a scan
// with the same base rules computes from the data dir.
func TestInstallVersionMatchesScan(t *testing.T) {
	dir := newDataDir(t)
	in := installer(dir)
	in.Base = sigs.Sources()
	res := mustInstall(t, in,
		File{Name: "b.toml", Data: tomlRule("T.B")},
		File{Name: "shelldetect.db", Data: dbV1},
		File{Name: "a.toml", Data: tomlRule("T.A")},
	)
	srcs := sigs.Sources()
	for _, n := range []string{"a.toml", "b.toml", "shelldetect.db"} { // a scan's load order
		src, err := signatures.ReadSource(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	set, err := signatures.Compile(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	if res.New.Version != set.Version() || res.New.Rules != set.Len() {
		t.Errorf("reported %s (%d rules), a scan loads %s (%d rules)", res.New.Version, res.New.Rules, set.Version(), set.Len())
	}
}

func TestInstallSeed(t *testing.T) {
	seed := testenv.Shared(t, "seed-sigs/shelldetect.db")
	data, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	dir := newDataDir(t)
	in := installer(dir)
	in.Base = sigs.Sources()
	base, err := signatures.Compile(sigs.Sources()...)
	if err != nil {
		t.Fatal(err)
	}
	res := mustInstall(t, in, File{Name: "shelldetect.db", Origin: seed, Data: data})
	f := res.Files[0]
	if f.New.Version != "1405674947" || f.New.Rules != 603 {
		t.Errorf("seed: version %q, %d rules; want 1405674947, 603", f.New.Version, f.New.Rules)
	}
	if res.Old.Version != base.Version() || res.New.Rules != base.Len()+603 {
		t.Errorf("set %+v → %+v; built-in rules alone: %s (%d)", res.Old, res.New, base.Version(), base.Len())
	}
}

func TestInstallRefused(t *testing.T) {
	tests := []struct {
		name    string
		base    []signatures.Source
		files   []File
		wantIs  error
		wantMsg string
	}{
		{name: "malformed db", files: []File{{Name: "shelldetect.db", Origin: "https://mirror/sd.db", Data: breakLine(dbV2, 3, "!!not base64!!")}},
			wantIs: ErrInvalid, wantMsg: "https://mirror/sd.db:3: base64: invalid character '!'"},
		{name: "html error page", files: []File{{Name: "shelldetect.db", Origin: "https://mirror/sd.db", Data: []byte("<html>oops</html>\n")}},
			wantIs: ErrInvalid, wantMsg: "https://mirror/sd.db:1: "},
		{name: "truncated db", files: []File{{Name: "shelldetect.db", Origin: "u", Data: dbV2[:len(dbV2)/2]}},
			wantIs: ErrInvalid, wantMsg: "u: "},
		{name: "empty", files: []File{{Name: "shelldetect.db", Origin: "u", Data: nil}}, wantIs: ErrInvalid, wantMsg: "u: empty"},
		{name: "no rules", files: []File{{Name: "shelldetect.db", Origin: "u", Data: shellDetectDB("9")}}, wantIs: ErrInvalid, wantMsg: "u: no rules in it"},
		{name: "bad toml", files: []File{{Name: "x.toml", Origin: "x-url", Data: []byte("[[rule]]\nid = \"X\"\nregex = '('\n")}},
			wantIs: ErrInvalid, wantMsg: "x-url:"},
		{name: "duplicate id across new files", files: []File{{Name: "a.toml", Data: tomlRule("T.Dup")}, {Name: "b.toml", Origin: "b-url", Data: tomlRule("T.Dup")}},
			wantIs: ErrInvalid, wantMsg: `would not compile with the new files: b-url: rule id "T.Dup" already defined`},
		{name: "clash with the base rules", base: []signatures.Source{{Name: "embedded:t.toml", Format: signatures.FormatTOML, Data: tomlRule("T.Base")}},
			files: []File{{Name: "site.toml", Origin: "site-url", Data: tomlRule("T.Base")}}, wantIs: ErrInvalid, wantMsg: `site-url: rule id "T.Base" already defined at embedded:t.toml`},
		{name: "clash with an installed file", files: []File{{Name: "site.toml", Origin: "site-url", Data: tomlRule("T.Installed")}},
			wantIs: ErrInvalid, wantMsg: `rule id "T.Installed" already defined`},
		{name: "unknown name", files: []File{{Name: "rules.yaml", Data: dbV1}}, wantMsg: "a scan does not load this file"},
		{name: "path as name", files: []File{{Name: "../shelldetect.db", Data: dbV1}}, wantMsg: "not a path"},
		{name: "twice", files: []File{{Name: "a.toml", Data: tomlRule("A")}, {Name: "a.toml", Data: tomlRule("B")}}, wantMsg: "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newDataDir(t)
			in := installer(dir)
			mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1}, File{Name: "installed.toml", Data: tomlRule("T.Installed")})
			mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV3}) // so .previous holds something
			before := snapshot(t, dir)
			in.Base = tt.base
			_, err := in.Install(context.Background(), tt.files)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("data dir changed:\n%s\nwas:\n%s", after, before)
			}
		})
	}
}

func TestInstallParseErrorLine(t *testing.T) {
	_, err := installer(newDataDir(t)).Install(context.Background(),
		[]File{{Name: "shelldetect.db", Origin: "sd", Data: breakLine(dbV2, 2, "@@@")}})
	var pe *signatures.ParseError
	if !errors.As(err, &pe) || pe.File != "sd" || pe.Line != 2 {
		t.Fatalf("got %v, want a ParseError at sd:2", err)
	}
}

func TestInstallSymlinks(t *testing.T) {
	tests := []struct {
		name  string
		plant func(t *testing.T, dir, outside string)
		ok    bool // the link is one of ours to clean up, not to refuse
	}{
		{name: "NAME", plant: func(t *testing.T, dir, outside string) {
			must(t, os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, "shelldetect.db")))
		}},
		{name: "NAME dangling", plant: func(t *testing.T, dir, outside string) {
			must(t, os.Symlink(filepath.Join(outside, "nothing-here"), filepath.Join(dir, "shelldetect.db")))
		}},
		{name: ".previous", plant: func(t *testing.T, dir, outside string) {
			must(t, os.Symlink(outside, filepath.Join(dir, ".previous")))
		}},
		{name: ".previous/manifest.json", plant: func(t *testing.T, dir, outside string) {
			must(t, os.Mkdir(filepath.Join(dir, ".previous"), 0o755))
			must(t, os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, ".previous", "manifest.json")))
		}},
		{name: "NAME a directory", plant: func(t *testing.T, dir, outside string) {
			must(t, os.Mkdir(filepath.Join(dir, "shelldetect.db"), 0o755))
		}},
		{name: "NAME a FIFO", plant: func(t *testing.T, dir, outside string) {
			must(t, unix.Mkfifo(filepath.Join(dir, "shelldetect.db"), 0o644))
		}},
		// Leftover names of an interrupted run are removed, never followed.
		{name: "NAME.new", ok: true, plant: func(t *testing.T, dir, outside string) {
			must(t, os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, "shelldetect.db.new")))
		}},
		{name: ".previous.tmp", ok: true, plant: func(t *testing.T, dir, outside string) {
			must(t, os.Symlink(outside, filepath.Join(dir, ".previous.tmp")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newDataDir(t)
			must(t, os.Mkdir(dir, 0o755))
			outside := t.TempDir()
			must(t, os.WriteFile(filepath.Join(outside, "victim"), []byte("do not touch"), 0o644))
			must(t, os.WriteFile(filepath.Join(outside, "shelldetect.db"), []byte("do not touch either"), 0o644))
			tt.plant(t, dir, outside)
			outsideBefore := snapshot(t, outside)
			before := snapshot(t, dir)

			_, err := installer(dir).Install(context.Background(), []File{{Name: "shelldetect.db", Data: dbV1}})
			if after := snapshot(t, outside); after != outsideBefore {
				t.Errorf("outside the data dir changed:\n%s\nwas:\n%s", after, outsideBefore)
			}
			if tt.ok {
				if err != nil {
					t.Fatalf("leftover link: %v", err)
				}
				if readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV1) {
					t.Error("not installed")
				}
				return
			}
			if !errors.Is(err, ErrUnsafe) {
				t.Fatalf("got %v, want ErrUnsafe", err)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("data dir changed:\n%s\nwas:\n%s", after, before)
			}
		})
	}
}

func TestRollbackSymlinkInPrevious(t *testing.T) {
	dir := newDataDir(t)
	in := installer(dir)
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2})
	outside := filepath.Join(t.TempDir(), "secret")
	must(t, os.WriteFile(outside, []byte("root's secret"), 0o600))
	kept := filepath.Join(dir, ".previous", "shelldetect.db")
	must(t, os.Remove(kept))
	must(t, os.Symlink(outside, kept))
	_, err := in.Rollback(context.Background())
	if !errors.Is(err, ErrUnsafe) {
		t.Fatalf("got %v, want ErrUnsafe", err)
	}
	if readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV2) {
		t.Error("current file changed")
	}
}

func TestInstallUnsafeDataDir(t *testing.T) {
	dir := newDataDir(t)
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.Chmod(dir, 0o777))
	_, err := installer(dir).Install(context.Background(), []File{{Name: "shelldetect.db", Data: dbV1}})
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "chmod go-w") {
		t.Fatalf("got %v, want ErrUnsafe with advice", err)
	}
}

func TestRollback(t *testing.T) {
	ctx := context.Background()
	dir := newDataDir(t)
	in := installer(dir)
	sd := filepath.Join(dir, "shelldetect.db")
	site := filepath.Join(dir, "site.toml")

	// Nothing to roll back: no data dir, then no .previous.
	if _, err := in.Rollback(ctx); !errors.Is(err, ErrNoPrevious) {
		t.Fatalf("no data dir: got %v, want ErrNoPrevious", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a rollback created the data dir")
	}
	must(t, os.Mkdir(dir, 0o755))
	if _, err := in.Rollback(ctx); !errors.Is(err, ErrNoPrevious) || !strings.Contains(err.Error(), ".previous") {
		t.Fatalf("empty data dir: got %v, want ErrNoPrevious naming .previous", err)
	}

	r1 := mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
	r2 := mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2}, File{Name: "site.toml", Data: tomlRule("T.Site")})

	// Undo the last update: v1 back, site.toml (new in it) removed.
	res, err := in.Rollback(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if readOr(t, sd) != string(dbV1) || readOr(t, site) != "<absent>" {
		t.Fatalf("after rollback: %q, site %q", readOr(t, sd), readOr(t, site))
	}
	if !res.Rollback || !res.Changed || res.Old.Version != r2.New.Version || res.New.Version != r1.New.Version {
		t.Errorf("rollback result: %+v", res)
	}
	if len(res.Files) != 2 || res.Files[0].New.Version != "100" || res.Files[1].New.Present {
		t.Errorf("rollback files: %+v", res.Files)
	}

	// A second rollback undoes the first.
	res, err = in.Rollback(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if readOr(t, sd) != string(dbV2) || readOr(t, site) != string(tomlRule("T.Site")) || res.New.Version != r2.New.Version {
		t.Fatalf("after the second rollback: %q, site %q", readOr(t, sd), readOr(t, site))
	}

	// Unknown name.
	if _, err := in.Rollback(ctx, "other.toml"); !errors.Is(err, ErrNoPrevious) {
		t.Errorf("rollback of a file never replaced: %v", err)
	}
	if _, err := in.Rollback(ctx, "../x.toml"); err == nil || errors.Is(err, ErrNoPrevious) {
		t.Errorf("rollback of a path: %v", err)
	}
}

// TestRollbackOneFile: the previous version of a file not touched by the
// last update is kept, and can be restored by name.
func TestRollbackOneFile(t *testing.T) {
	ctx := context.Background()
	dir := newDataDir(t)
	in := installer(dir)
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2})
	mustInstall(t, in, File{Name: "site.toml", Data: tomlRule("T.One")})
	mustInstall(t, in, File{Name: "site.toml", Data: tomlRule("T.Two")})

	// The last update touched site.toml only.
	res, err := in.Rollback(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].Name != "site.toml" || readOr(t, filepath.Join(dir, "site.toml")) != string(tomlRule("T.One")) {
		t.Fatalf("rollback: %+v", res.Files)
	}
	// shelldetect.db's previous version survived both site.toml updates.
	if _, err := in.Rollback(ctx, "shelldetect.db"); err != nil {
		t.Fatal(err)
	}
	if readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV1) {
		t.Error("shelldetect.db not rolled back to v1")
	}
}

func TestTwoRenameFallback(t *testing.T) {
	dir := newDataDir(t)
	in := installer(dir)
	in.noExchange = true
	for _, db := range [][]byte{dbV1, dbV2, dbV3} {
		mustInstall(t, in, File{Name: "shelldetect.db", Data: db})
	}
	if readOr(t, filepath.Join(dir, ".previous", "shelldetect.db")) != string(dbV2) {
		t.Error("previous is not v2")
	}
	if names := dirNames(t, dir); names != ".previous .updatedb.lock shelldetect.db" {
		t.Errorf("leftovers: %s", names)
	}
	if _, err := in.Rollback(context.Background()); err != nil || readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV2) {
		t.Errorf("rollback: %v", err)
	}
}

// TestRecoverLeftovers: the states a crash can leave behind are cleaned up
// by the next run, and never break it.
func TestRecoverLeftovers(t *testing.T) {
	t.Run("crash before .previous was replaced", func(t *testing.T) {
		dir := newDataDir(t)
		in := installer(dir)
		mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
		mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2})
		// Staged files and a half-built .previous.tmp.
		must(t, os.WriteFile(filepath.Join(dir, "shelldetect.db.new"), dbV3[:10], 0o644))
		must(t, os.Mkdir(filepath.Join(dir, ".previous.tmp"), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, ".previous.tmp", "shelldetect.db"), []byte("partial"), 0o644))
		// A rollback still sees the intact .previous.
		if _, err := in.Rollback(context.Background()); err != nil {
			t.Fatal(err)
		}
		if readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV1) {
			t.Error("rollback did not restore v1")
		}
		if names := dirNames(t, dir); names != ".previous .updatedb.lock shelldetect.db" {
			t.Errorf("leftovers: %s", names)
		}
	})
	t.Run("crash between the two renames of .previous", func(t *testing.T) {
		dir := newDataDir(t)
		in := installer(dir)
		mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
		mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2})
		must(t, os.Rename(filepath.Join(dir, ".previous"), filepath.Join(dir, ".previous.old")))
		if _, err := in.Rollback(context.Background()); err != nil {
			t.Fatal(err)
		}
		if readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV1) {
			t.Error("rollback did not restore v1 from the recovered .previous")
		}
		if names := dirNames(t, dir); names != ".previous .updatedb.lock shelldetect.db" {
			t.Errorf("leftovers: %s", names)
		}
	})
}

func TestLock(t *testing.T) {
	dir := newDataDir(t)
	in := installer(dir)
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	must(t, unix.Flock(int(f.Fd()), unix.LOCK_EX))

	in.LockWait = 200 * time.Millisecond
	start := time.Now()
	_, err = in.Install(context.Background(), []File{{Name: "shelldetect.db", Data: dbV2}})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), lockName) {
		t.Fatalf("got %v, want ErrLocked naming the lock file", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 3*time.Second {
		t.Errorf("waited %v, want about 200ms", d)
	}
	if readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV1) {
		t.Error("installed without the lock")
	}

	// Released while waiting: the update goes through.
	in.LockWait = 5 * time.Second
	fd := int(f.Fd())
	released := make(chan struct{})
	time.AfterFunc(100*time.Millisecond, func() { unix.Flock(fd, unix.LOCK_UN); close(released) })
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2})
	<-released
}

// TestConcurrentInstalls: updates racing each other are serialized; every
// one succeeds and the data dir ends consistent.
func TestConcurrentInstalls(t *testing.T) {
	dir := newDataDir(t)
	mustInstall(t, installer(dir), File{Name: "shelldetect.db", Data: dbV1})
	dbs := [][]byte{dbV2, dbV3, shellDetectDB("400", "a"), shellDetectDB("500", "b"), shellDetectDB("600", "c")}
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Go(func() {
			in := installer(dir)
			in.LockWait = 20 * time.Second
			_, errs[i] = in.Install(context.Background(), []File{{Name: "shelldetect.db", Data: db}})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("install %d: %v", i, err)
		}
	}
	cur, prev := readOr(t, filepath.Join(dir, "shelldetect.db")), readOr(t, filepath.Join(dir, ".previous", "shelldetect.db"))
	if cur == prev {
		t.Error("previous version equals the current one")
	}
	if names := dirNames(t, dir); names != ".previous .updatedb.lock shelldetect.db" {
		t.Errorf("leftovers: %s", names)
	}
}

func TestDryRun(t *testing.T) {
	dir := newDataDir(t)
	in := installer(dir)
	in.DryRun = true
	res, err := in.Install(context.Background(), []File{{Name: "shelldetect.db", Data: dbV1}})
	if err != nil || !res.Changed || !res.DryRun || res.Files[0].New.Version != "100" {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a dry run created the data dir")
	}
	in.DryRun = false
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
	before := snapshot(t, dir)
	in.DryRun = true
	if res, err = in.Install(context.Background(), []File{{Name: "shelldetect.db", Data: dbV2}}); err != nil || !res.Changed {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if res, err = in.Rollback(context.Background()); err != nil || !res.Changed || res.Files[0].New.Present {
		t.Errorf("dry-run rollback of the first install: %+v, %v", res, err)
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("a dry run changed the data dir:\n%s\nwas:\n%s", after, before)
	}
}

func TestPackageFuncs(t *testing.T) {
	dir := newDataDir(t)
	if _, err := Install(dir, "shelldetect.db", dbV1); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(dir, "shelldetect.db", dbV2); err != nil {
		t.Fatal(err)
	}
	if _, err := Rollback(dir); err != nil {
		t.Fatal(err)
	}
	if readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV1) {
		t.Error("not rolled back")
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct {
		name string
		want signatures.Format
	}{
		{"shelldetect.db", signatures.FormatShellDetect},
		{"fingerprints.txt", signatures.FormatFingerprints},
		{"backdoors.re", signatures.FormatBackdoors},
		{"site.toml", signatures.FormatTOML},
		{"other.db", ""}, {"notes.txt", ""}, {"x.TOML", ""}, {".hidden.toml", ""}, {"", ""},
		{"a/b.toml", ""}, {"..", ""}, {"x.toml\x00", ""}, {strings.Repeat("a", 300) + ".toml", ""},
	} {
		got, err := CheckName(tt.name)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("CheckName(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		format signatures.Format
		path   string
		want   string
	}{
		{"", "/tmp/shelldetect.db", "shelldetect.db"},
		{"", "/tmp/sd-2024.db", "shelldetect.db"},
		{"", "/tmp/fp.txt", "fingerprints.txt"},
		{"", "/tmp/bd.re", "backdoors.re"},
		{"", "/tmp/site.toml", "site.toml"},
		{"", "/tmp/x.bin", ""},
		{signatures.FormatShellDetect, "/tmp/x.bin", "shelldetect.db"},
		{signatures.FormatTOML, "/tmp/x.bin", ""},
		{"yaml", "/tmp/x.yaml", ""},
	} {
		got, err := NameFor(tt.format, tt.path)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NameFor(%q, %q) = %q, %v; want %q", tt.format, tt.path, got, err, tt.want)
		}
	}
}

func TestSources(t *testing.T) {
	s, err := ParseSource("site.toml=https://mirror/site.toml")
	if err != nil || s != (Source{"site.toml", "https://mirror/site.toml"}) {
		t.Errorf("ParseSource: %v %v", s, err)
	}
	for _, bad := range []string{"https://mirror/x", "x.exe=https://m/x", "=https://m/x", "../a.toml=https://m/x"} {
		if _, err := ParseSource(bad); err == nil {
			t.Errorf("ParseSource(%q): no error", bad)
		}
	}
	got := Merge(DefaultSources(),
		[]Source{{"a.toml", "https://cfg/a"}, {"shelldetect.db", "https://cfg/sd"}},
		[]Source{{"a.toml", ""}, {"b.toml", "https://flag/b"}, {"shelldetect.db", "https://flag/sd"}})
	want := []Source{{"shelldetect.db", "https://flag/sd"}, {"b.toml", "https://flag/b"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
	if got := Printable("1.0\x1b[31m\xff", 64); got != "1.0?[31m?" {
		t.Errorf("Printable = %q", got)
	}
	if got := Printable(strings.Repeat("x", 100), 8); got != "xxxxxxxx..." {
		t.Errorf("Printable = %q", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestUndo: a failure while renaming the new files into place puts back the
// files already renamed and the previous .previous.
func TestUndo(t *testing.T) {
	for _, noExchange := range []bool{false, true} {
		t.Run(fmt.Sprintf("noExchange=%v", noExchange), func(t *testing.T) {
			dir := newDataDir(t)
			in := installer(dir)
			in.noExchange = noExchange
			mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1}, File{Name: "a.toml", Data: tomlRule("T.A1")})
			mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2}, File{Name: "a.toml", Data: tomlRule("T.A2")})
			before := snapshot(t, dir)
			boom := errors.New("boom")
			// Changes are installed in the order given: a.toml, the new
			// b.toml, then shelldetect.db fails.
			in.failAt = func(name string) error {
				if name == "shelldetect.db" {
					return boom
				}
				return nil
			}
			_, err := in.Install(context.Background(), []File{
				{Name: "a.toml", Data: tomlRule("T.A3")},
				{Name: "b.toml", Data: tomlRule("T.B3")},
				{Name: "shelldetect.db", Data: dbV3},
			})
			if !errors.Is(err, boom) || errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "undone") {
				t.Fatalf("got %v, want boom, undone", err)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("not undone:\n%s\nwas:\n%s", after, before)
			}
			in.failAt = nil
			if _, err := in.Rollback(context.Background()); err != nil || readOr(t, filepath.Join(dir, "shelldetect.db")) != string(dbV1) {
				t.Errorf("rollback after the undo: %v", err)
			}
		})
	}
}

// TestLockNamesHolder: a run that gives up names the process holding the
// lock.
func TestLockNamesHolder(t *testing.T) {
	dir := newDataDir(t)
	holder := installer(dir)
	_, unlock, err := holder.open(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	in := installer(dir)
	in.LockWait = 100 * time.Millisecond
	_, err = in.Install(context.Background(), []File{{Name: "shelldetect.db", Data: dbV1}})
	if want := fmt.Sprintf("held by process %d", os.Getpid()); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want ErrLocked saying %q", err, want)
	}
	unlock()
	if got := readOr(t, filepath.Join(dir, lockName)); got != "" {
		t.Errorf("lock file holds %q after release", got)
	}
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
}

// TestForeignPrevious: a .previous not made by updatedb (no manifest, even
// subdirectories) is nothing to roll back, and is replaced by an update.
func TestForeignPrevious(t *testing.T) {
	dir := newDataDir(t)
	in := installer(dir)
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV1})
	must(t, os.RemoveAll(filepath.Join(dir, ".previous")))
	must(t, os.MkdirAll(filepath.Join(dir, ".previous", "old", "deeper"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, ".previous", "old", "deeper", "x"), []byte("x"), 0o644))
	if _, err := in.Rollback(context.Background()); !errors.Is(err, ErrNoPrevious) {
		t.Fatalf("rollback: %v, want ErrNoPrevious", err)
	}
	mustInstall(t, in, File{Name: "shelldetect.db", Data: dbV2})
	if names := dirNames(t, filepath.Join(dir, ".previous")); names != "manifest.json shelldetect.db" {
		t.Errorf(".previous holds %s", names)
	}
	if names := dirNames(t, dir); names != ".previous .updatedb.lock shelldetect.db" {
		t.Errorf("leftovers: %s", names)
	}
}
