package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/walker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeMatcher flags buffers containing "BAD" and panics on "PANIC".
type fakeMatcher struct{ rule *signatures.Rule }

func (f fakeMatcher) Match(buf []byte, _ signatures.Kind) []matcher.Finding {
	if bytes.Contains(buf, []byte("PANIC")) {
		panic("boom")
	}
	if i := bytes.Index(buf, []byte("BAD")); i >= 0 {
		return []matcher.Finding{{Rule: f.rule, Offset: i}}
	}
	return nil
}

type collect struct {
	mu       sync.Mutex
	verdicts map[string]*Verdict
	skips    []walker.Skip
}

func (c *collect) Verdict(v *Verdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.verdicts == nil {
		c.verdicts = map[string]*Verdict{}
	}
	if _, dup := c.verdicts[v.Target.Path]; dup {
		panic("verdict twice for " + v.Target.Path)
	}
	c.verdicts[v.Target.Path] = v
}

func (c *collect) Skip(s walker.Skip) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skips = append(c.skips, s)
}

func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestRunDeliversEveryFileOnce(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 500; i++ {
		content := strings.Repeat("x", i*37)
		if i%50 == 0 {
			content += "BAD"
		}
		files[fmt.Sprintf("d%d/f%d.php", i%17, i)] = content
	}
	root := tree(t, files)
	c := &collect{}
	cfg := Config{Matcher: fakeMatcher{&signatures.Rule{ID: "X"}}, Workers: 4}
	if err := Run(context.Background(), cfg, Inputs{Roots: []string{root}}, c); err != nil {
		t.Fatal(err)
	}
	if len(c.verdicts) != 500 {
		t.Fatalf("%d verdicts", len(c.verdicts))
	}
	infected := 0
	for p, v := range c.verdicts {
		rel, _ := filepath.Rel(root, p)
		if v.Err != nil || v.Size != int64(len(files[rel])) {
			t.Errorf("%s: size %d err %v", rel, v.Size, v.Err)
		}
		if v.Infected() {
			infected++
			if len(v.SHA256) != 64 {
				t.Errorf("%s: no sha256", rel)
			}
		}
	}
	if infected != 10 {
		t.Errorf("%d infected, want 10", infected)
	}
}

func TestPanicBecomesFileError(t *testing.T) {
	root := tree(t, map[string]string{"a.php": "PANIC", "b.php": "BAD"})
	c := &collect{}
	cfg := Config{Matcher: fakeMatcher{&signatures.Rule{ID: "X"}}, Workers: 2}
	if err := Run(context.Background(), cfg, Inputs{Roots: []string{root}}, c); err != nil {
		t.Fatal(err)
	}
	a, b := c.verdicts[filepath.Join(root, "a.php")], c.verdicts[filepath.Join(root, "b.php")]
	if a == nil || a.Err == nil || !strings.Contains(a.Err.Error(), "internal error") {
		t.Errorf("a: %+v", a)
	}
	if b == nil || !b.Infected() {
		t.Errorf("b: %+v", b)
	}
}

func TestStdinAndRoots(t *testing.T) {
	root := tree(t, map[string]string{"walked/a.php": "BAD", "listed/b.php": "ok"})
	c := &collect{}
	in := Inputs{Roots: []string{filepath.Join(root, "walked")}, Stdin: strings.NewReader(filepath.Join(root, "listed/b.php") + "\n")}
	if err := Run(context.Background(), Config{Matcher: fakeMatcher{&signatures.Rule{}}}, in, c); err != nil {
		t.Fatal(err)
	}
	if len(c.verdicts) != 2 {
		t.Errorf("verdicts %v", c.verdicts)
	}
}

func TestTooBigAndGrown(t *testing.T) {
	root := tree(t, map[string]string{"big.php": strings.Repeat("x", 2000), "small.php": "BAD"})
	c := &collect{}
	cfg := Config{Matcher: fakeMatcher{&signatures.Rule{}}, Walk: walker.Options{MaxSize: 1000}}
	if err := Run(context.Background(), cfg, Inputs{Roots: []string{root}}, c); err != nil {
		t.Fatal(err)
	}
	if len(c.skips) != 1 || c.skips[0].Reason != walker.SkipTooBig {
		t.Errorf("skips %+v", c.skips)
	}
	// A file that grew past the limit after it was listed.
	w := &worker{m: fakeMatcher{&signatures.Rule{}}, maxSize: 1000}
	p := filepath.Join(root, "small.php")
	tg := walkerTarget(t, p)
	if err := os.WriteFile(p, []byte(strings.Repeat("y", 5000)), 0o644); err != nil {
		t.Fatal(err)
	}
	v := w.scan(context.Background(), tg)
	if !errors.Is(v.Err, ErrTooBig) {
		t.Errorf("grown file: %v", v.Err)
	}
}

func walkerTarget(t *testing.T, path string) walker.Target {
	t.Helper()
	ch := make(chan walker.Target, 1)
	if err := walker.ReadPaths(context.Background(), strings.NewReader(path+"\n"), false, walker.Options{}, ch, func(walker.Skip) {}); err != nil {
		t.Fatal(err)
	}
	return <-ch
}

func TestCancel(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 2000; i++ {
		files[fmt.Sprintf("d%d/f%d.php", i%20, i)] = "x"
	}
	root := tree(t, files)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	sink := sinkFunc(func(*Verdict) {
		n++
		if n == 10 {
			cancel()
		}
	})
	err := Run(ctx, Config{Matcher: fakeMatcher{&signatures.Rule{}}, Workers: 2}, Inputs{Roots: []string{root}}, sink)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
	if n >= 2000 {
		t.Errorf("scanned everything (%d) despite cancel", n)
	}
}

type sinkFunc func(*Verdict)

func (f sinkFunc) Verdict(v *Verdict) { f(v) }
func (f sinkFunc) Skip(walker.Skip)   {}

// countingMatcher counts the buffers it is asked to match.
type countingMatcher struct {
	fakeMatcher
	mu sync.Mutex
	n  int
}

func (c *countingMatcher) Match(buf []byte, k signatures.Kind) []matcher.Finding {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.fakeMatcher.Match(buf, k)
}

func TestDedupeMatchesIdenticalContentOnce(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 30; i++ {
		files[fmt.Sprintf("u%d/wp/index.php", i)] = "<?php BAD core"
		files[fmt.Sprintf("u%d/wp/load.php", i)] = "<?php clean core"
	}
	files["u0/readme.txt"] = "<?php clean core" // same bytes, other name: same kinds (content says PHP)
	files["u0/notes.txt"] = "plain BAD text"
	files["u0/notes.php"] = "plain BAD text" // same bytes, other kinds
	root := tree(t, files)
	m := &countingMatcher{fakeMatcher: fakeMatcher{&signatures.Rule{ID: "X"}}}
	c := &collect{}
	if err := Run(context.Background(), Config{Matcher: m, Workers: 1}, Inputs{Roots: []string{root}}, c); err != nil {
		t.Fatal(err)
	}
	if m.n != 4 {
		t.Errorf("matched %d buffers, want 4 distinct (content, kinds)", m.n)
	}
	infected, dups := 0, 0
	for _, v := range c.verdicts {
		if v.Infected() {
			infected++
			if len(v.SHA256) != 64 {
				t.Errorf("%s: duplicate lost its sha256", v.Target.Path)
			}
		}
		if v.Duplicate {
			dups++
		}
	}
	if infected != 32 || dups != len(files)-4 {
		t.Errorf("infected %d (want 32), duplicates %d (want %d)", infected, dups, len(files)-4)
	}
	// Off: every file matched.
	m.n = 0
	c = &collect{}
	if err := Run(context.Background(), Config{Matcher: m, Workers: 2, Dedupe: -1}, Inputs{Roots: []string{root}}, c); err != nil {
		t.Fatal(err)
	}
	if m.n != len(files) {
		t.Errorf("dedupe off: matched %d, want %d", m.n, len(files))
	}
}
