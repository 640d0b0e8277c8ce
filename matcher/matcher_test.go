package matcher

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spamgear/spamgear/signatures"
)

func compile(t testing.TB, toml string) *signatures.Set {
	t.Helper()
	set, err := signatures.Compile(signatures.Source{Name: "test.toml", Format: signatures.FormatTOML, Data: []byte(toml)})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

const testRules = `
[[rule]]
id = "T.Eval"
literals = ["eval("]
regex = '(?i)eval\(\s*\$_(GET|POST|REQUEST)'
kinds = ["php"]
true_positives = ["eval($_POST['a'])"]
false_positives = ["eval($x)"]

[[rule]]
id = "T.Banner"
literals = ["FilesMan"]
nocase = false
true_positives = ["FilesMan"]
false_positives = ["filesman"]

[[rule]]
id = "T.Long"
literals = ["this is a rather long literal of forty-two b"]
nocase = false
true_positives = ["xx this is a rather long literal of forty-two b yy"]
false_positives = ["this is a rather long literal of forty-two"]

[[rule]]
id = "T.Requires"
literals = ["move_uploaded_file"]
requires = ["$_FILES"]
true_positives = ["$f = $_FILES['x']; move_uploaded_file($f, 'y');"]
false_positives = ["move_uploaded_file($a, $b);"]

[[rule]]
id = "T.Anchored"
literals = ["include"]
anchor = true
window = 40
regex = '(?i)include(_once)?\s*\(?\s*\$_(GET|POST)'
true_positives = ["<?php include($_GET['p']);"]
false_positives = ["<?php include 'x.php'; $a = $_GET['p'];", "$_GET['x']; include($y)"]

[[rule]]
id = "T.Mid"
literals = ["medium_length_literal_x"]
nocase = false
true_positives = ["medium_length_literal_x"]
false_positives = ["medium_length_literal_"]
`

func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule.ID)
	}
	return out
}

func TestEngineFindings(t *testing.T) {
	set := compile(t, testRules)
	e := New(set, Options{})
	tests := []struct {
		name  string
		buf   string
		kinds signatures.Kind
		want  []string
	}{
		{"eval request", "<?php\n\n EVAL( $_GET['c']);", signatures.KindPHP, []string{"T.Eval"}},
		{"eval wrong kind", "EVAL( $_GET['c']);", signatures.KindOther, nil},
		{"eval harmless", "<?php eval($code);", signatures.KindPHP, nil},
		{"banner exact case", "x FilesMan y", signatures.KindOther, []string{"T.Banner"}},
		{"banner other case", "x filesMan y", signatures.KindOther, nil},
		{"long at start", "this is a rather long literal of forty-two b", signatures.KindAny, []string{"T.Long"}},
		{"long at end", strings.Repeat("z", 1000) + "this is a rather long literal of forty-two b", signatures.KindAny, []string{"T.Long"}},
		{"long cut", strings.Repeat("z", 1000) + "this is a rather long literal of forty-two", signatures.KindAny, nil},
		{"mid", "...medium_length_literal_x...", signatures.KindAny, []string{"T.Mid"}},
		{"all", "FilesMan\nmedium_length_literal_x\nthis is a rather long literal of forty-two b\neval($_REQUEST[1])", signatures.KindPHP,
			[]string{"T.Eval", "T.Banner", "T.Long", "T.Mid"}},
		{"empty", "", signatures.KindAny, nil},
		{"anchored", "x; INCLUDE ( $_post[1]", signatures.KindAny, []string{"T.Anchored"}},
		{"anchored elsewhere", "include 'a.php'; echo $_POST[1]", signatures.KindAny, nil},
		{"requires met", "$_files ... Move_Uploaded_File(", signatures.KindAny, []string{"T.Requires"}},
		{"requires unmet", "move_uploaded_file(", signatures.KindAny, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(e.Match([]byte(tt.buf), tt.kinds))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindingPosition(t *testing.T) {
	e := New(compile(t, testRules), Options{})
	buf := []byte("<?php\n// x\n  eval($_POST[\"p\"]);\n")
	fs := e.Match(buf, signatures.KindPHP)
	if len(fs) != 1 {
		t.Fatalf("got %v", ids(fs))
	}
	f := fs[0]
	if f.Line != 3 || f.Offset != bytes.Index(buf, []byte("eval")) || !strings.HasPrefix(f.Snippet, `eval($_POST["p"]);\n`) {
		t.Errorf("finding %+v", f)
	}
}

func TestEscape(t *testing.T) {
	got := Escape([]byte("a\\b\n\r\t\x00\xff\x1b[31m"))
	want := `a\\b\n\r\t\x00\xff\x1b[31m`
	if got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

// randomRules builds a rule set of random literals: short case-insensitive
// ones, short and long case-sensitive ones, some with regexes.
func randomRules(r *rand.Rand, n int) (string, []string) {
	var sb strings.Builder
	var lits []string
	alpha := "abcdefghijklmnopqrstuvwxyzABCDEF_($ )'\";\n0123"
	word := func(l int) string {
		b := make([]byte, l)
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	}
	for i := 0; i < n; i++ {
		var l int
		switch r.IntN(3) {
		case 0:
			l = 4 + r.IntN(8)
		case 1:
			l = 16 + r.IntN(30)
		default:
			l = 40 + r.IntN(30)
		}
		lit := word(l)
		if strings.TrimSpace(lit) == "" {
			lit = "abcd" + lit
		}
		lits = append(lits, lit)
		nocase := r.IntN(2) == 0
		fmt.Fprintf(&sb, "[[rule]]\nid = \"R%d\"\nliterals = [%q]\nnocase = %v\n", i, lit, nocase)
		if r.IntN(4) == 0 {
			sb.WriteString("boundary = true\n")
		}
		if i > 0 && r.IntN(5) == 0 {
			fmt.Fprintf(&sb, "requires = [%q]\n", lits[r.IntN(i)])
		}
		if r.IntN(4) == 0 {
			re := regexp.QuoteMeta(lit) + `\s*[0-9]`
			if nocase {
				re = "(?i)" + re
			}
			fmt.Fprintf(&sb, "regex = %q\n", re)
			if r.IntN(2) == 0 {
				sb.WriteString("anchor = true\n")
			}
			fmt.Fprintf(&sb, "window = %d\n", r.IntN(64))
		}
		sb.WriteString("\n")
	}
	return sb.String(), lits
}

// TestEngineAgreesWithNaive is the differential test: the fast engine and
// the reference semantics give the same rule set on random buffers with
// planted literals in random case and position.
func TestEngineAgreesWithNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		src, lits := randomRules(r, 80)
		set, err := signatures.Compile(signatures.Source{Name: "rand.toml", Format: signatures.FormatTOML, Data: []byte(src)})
		if err != nil {
			t.Fatal(err)
		}
		e := New(set, Options{})
		naive := &Naive{Rules: set.Rules()}
		for k := 0; k < 50; k++ {
			buf := make([]byte, r.IntN(5000))
			for i := range buf {
				buf[i] = "abcdefghij XYZ$_();\n0123"[r.IntN(24)]
			}
			for p := r.IntN(6); p > 0; p-- {
				lit := []byte(lits[r.IntN(len(lits))])
				if r.IntN(3) == 0 {
					lit = bytes.ToUpper(lit)
				}
				if r.IntN(3) == 0 {
					lit = append(lit, []byte(" 7")...)
				}
				at := r.IntN(len(buf) + 1)
				buf = append(buf[:at], append(lit, buf[at:]...)...)
			}
			got, want := ids(e.Match(buf, signatures.KindAny)), ids(naive.Match(buf, signatures.KindAny))
			if !slices.Equal(got, want) {
				t.Fatalf("round %d buf %d: engine %v, naive %v", round, k, got, want)
			}
		}
	}
}

func TestEngineConcurrent(t *testing.T) {
	set := compile(t, testRules)
	e := New(set, Options{})
	bufs := []struct {
		b    string
		want int
	}{
		{"eval($_GET[1]) FilesMan", 2},
		{"nothing here", 0},
		{strings.Repeat("x", 500) + "this is a rather long literal of forty-two b", 1},
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				c := bufs[i%len(bufs)]
				if got := len(e.Match([]byte(c.b), signatures.KindPHP)); got != c.want {
					t.Errorf("%q: %d findings, want %d", c.b, got, c.want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestDenseLiteralFallsBackToWholeBuffer(t *testing.T) {
	set := compile(t, testRules)
	e := New(set, Options{MaxHitsPerLiteral: 2})
	buf := strings.Repeat("eval($x);\n", 100) + "eval($_POST[1]);"
	if got := ids(e.Match([]byte(buf), signatures.KindPHP)); !slices.Equal(got, []string{"T.Eval"}) {
		t.Errorf("got %v", got)
	}
}

func TestKindsOf(t *testing.T) {
	tests := []struct {
		name, content string
		want          signatures.Kind
	}{
		{"a.php", "", signatures.KindPHP},
		{"A.PHTML", "", signatures.KindPHP},
		{"logo.jpg", "\xff\xd8<?php system($_GET[1]);", signatures.KindPHP},
		{"logo.jpg", "\xff\xd8\xff", signatures.KindOther},
		{"x.txt", "<?= 1 ?>", signatures.KindPHP},
		{"x.xml", "<?xml version=1?>", signatures.KindOther},
		{"favicon.ico", "\x00\x00<?system($_GET['c']);?>", signatures.KindPHP},
		{"a.svg", "<?xml-stylesheet href='a'?>", signatures.KindHTML},
		{"run", "#!/usr/bin/perl\n", signatures.KindPerl},
		{".htaccess", "AddType", signatures.KindHtaccess},
		{"x.js", "", signatures.KindHTML},
	}
	for _, tt := range tests {
		if got := KindsOf(tt.name, []byte(tt.content)); got != tt.want {
			t.Errorf("KindsOf(%q, %q) = %v, want %v", tt.name, tt.content, got, tt.want)
		}
	}
}

// TestInterleavedHalves plants a literal at every offset around the middle
// of a buffer long enough for the two-walk automaton loop: each must be
// found exactly where it is.
func TestInterleavedHalves(t *testing.T) {
	e := New(compile(t, testRules), Options{})
	const n = 4001
	for _, lit := range []string{"FilesMan", "medium_length_literal_x"} {
		for at := n/2 - 30; at < n/2+30; at++ {
			buf := bytes.Repeat([]byte{'.'}, n)
			copy(buf[at:], lit)
			fs := e.Match(buf, signatures.KindAny)
			if len(fs) != 1 || fs[0].Offset != at {
				t.Fatalf("%s at %d: %+v", lit, at, fs)
			}
		}
	}
}

// TestDecoysDoNotHideAHit: hits a rule rejects (here, member calls that
// the boundary check refuses) must not use up the hits it keeps.
func TestDecoysDoNotHideAHit(t *testing.T) {
	set := compile(t, `
[[rule]]
id = "T.System"
literals = ["system("]
anchor = true
boundary = true
regex = 'system\(\s*\$_GET'
`)
	e := New(set, Options{MaxHitsPerLiteral: 4})
	buf := "<?php\n" + strings.Repeat("$o->system(1);\n", 5000) + "system($_GET['c']);"
	if got := ids(e.Match([]byte(buf), signatures.KindPHP)); !slices.Equal(got, []string{"T.System"}) {
		t.Errorf("got %v", got)
	}
}
