package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshot maps every regular file under dir (relative path) to a hash of
// its bytes, and fails on anything that is neither a file nor a directory.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func gen(t *testing.T, o options) map[string]string {
	t.Helper()
	o.out = t.TempDir()
	if o.workers == 0 {
		o.workers = 4
	}
	o.quiet = true
	if err := run(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, o.out)
}

func diff(a, b map[string]string) string {
	for k, v := range a {
		if w, ok := b[k]; !ok {
			return "only in first: " + k
		} else if v != w {
			return "bytes differ: " + k
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			return "only in second: " + k
		}
	}
	return ""
}

func TestDeterministic(t *testing.T) {
	tests := []struct {
		name string
		o    options
	}{
		{"synthetic", options{users: 5, files: 600, seed: 7, shells: 4, shellSrc: "none"}},
		{"small", options{users: 4, files: 500, seed: 3, shells: 2, shellSrc: "none", small: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := gen(t, tc.o)
			// A different number of writers changes the order files are
			// written in, never their bytes.
			o := tc.o
			o.workers = 1
			b := gen(t, o)
			if d := diff(a, b); d != "" {
				t.Fatalf("same flags, different trees: %s", d)
			}
			if len(a) < tc.o.files/2 {
				t.Fatalf("%d files, want about %d", len(a), tc.o.files)
			}
			o = tc.o
			o.seed++
			if d := diff(a, gen(t, o)); d == "" {
				t.Fatal("different seeds gave the same tree")
			}
		})
	}
}

func TestPlantedMarkers(t *testing.T) {
	o := options{users: 3, files: 300, seed: 1, shells: 5, shellSrc: "none", out: t.TempDir(), workers: 2, quiet: true}
	if err := run(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	pl, err := os.ReadFile(filepath.Join(o.out, "planted.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(pl)), "\n")
	if len(lines) != o.shells {
		t.Fatalf("planted.txt has %d lines, want %d", len(lines), o.shells)
	}
	for _, l := range lines {
		rel, _, _ := strings.Cut(l, "\t")
		b, err := os.ReadFile(filepath.Join(o.out, rel))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("SPAMGEAR-BENCH-MARKER")) {
			t.Errorf("%s: not a marker: %q", rel, b)
		}
	}
}

func TestRealApps(t *testing.T) {
	src := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("wordpress/usr/share/wordpress/index.php", "<?php require 'wp-blog-header.php';\n")
	write("wordpress/usr/share/wordpress/wp-includes/load.php", "<?php function wp_load() {}\n")
	write("wordpress-theme-x/usr/share/wordpress/wp-content/themes/x/functions.php", "<?php // theme\n")
	write("php-twig/usr/share/php/Twig/Environment.php", "<?php class Environment {}\n")
	write("wordpress/.unpacked", "wordpress_1.deb\n")

	o := options{users: 4, files: 1, seed: 1, shells: 2, shellSrc: "none", real: src, unique: 20}
	a := gen(t, o)
	if d := diff(a, gen(t, o)); d != "" {
		t.Fatalf("same flags, different trees: %s", d)
	}
	var wp, theme int
	want := ""
	for rel, h := range a {
		if strings.HasSuffix(rel, "wordpress/wp-includes/load.php") {
			wp++
			if want == "" {
				want = h
			} else if h != want {
				t.Errorf("%s: copies of the same file differ", rel)
			}
		}
		if strings.HasSuffix(rel, "wordpress/wp-content/themes/x/functions.php") {
			theme++
		}
		if strings.HasSuffix(rel, ".unpacked") {
			t.Errorf("%s: marker file copied", rel)
		}
	}
	if wp == 0 || theme != wp {
		t.Errorf("%d WordPress copies, %d with the theme merged in", wp, theme)
	}
}
