package signatures

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/testenv"
)

func TestRequiredLiterals(t *testing.T) {
	type lit struct {
		text   string
		noCase bool
	}
	cs := func(ss ...string) []lit {
		var out []lit
		for _, s := range ss {
			out = append(out, lit{s, false})
		}
		return out
	}
	tests := []struct {
		expr string
		want []lit // nil: nothing required
	}{
		{`abc`, cs("abc")},
		{`ab`, nil}, // too short
		{`foo.*barbaz`, cs("barbaz")},
		{`eval\s*\(\s*base64_decode`, cs("base64_decode")},
		{`(?i)eval\(`, []lit{{"eval(", true}}},
		{`(?i)<\?php`, []lit{{"<?php", true}}},
		{`(?i:\$_POST)\[`, []lit{{"$_po", true}}}, // S also folds to U+017F
		{`(?i)\$_GET`, []lit{{"$_get", true}}},
		{`(foo|barx)`, cs("foo", "barx")},
		{`(foo|barx)yz`, cs("foo", "barx")},
		{`(foo|b)quux`, cs("quux")},
		{`(foo|b)`, nil},
		{`(foo|.)`, nil},
		{`(abc|)`, nil},
		{`x*abcd`, cs("abcd")},
		{`(abc)+`, cs("abc")},
		{`(?:abc){2,3}`, cs("abc")},
		{`(abc){0,3}`, nil},
		{`(abc)*`, nil},
		{`(abc)?def`, cs("def")},
		{`[a-z]+`, nil},
		{`[Ee]val`, cs("val")},
		{`(one|two|three)_(alpha|beta)`, cs("alpha", "beta")},
		{`<!--([0-9a-f]{6})-->.*<!--/\1-->`, cs("<!--/")},
		{`(a)\1bcd`, cs("bcd")},
		{`(?P<x>abc)\k<x>`, cs("abc")},
		{`\\1abc`, cs(`\1abc`)},
		{`(?=abc)abc`, nil},            // look-ahead: RE2 cannot parse it
		{`([a-z-[aeiou]]abcd)\1`, nil}, // .NET class subtraction
		{`caf\x{e9}s`, cs("caf")},
		{`(?i)evalskipper`, []lit{{"ipper", true}}}, // k and s fold to non-ASCII runes too
		{`(?i)kiss`, nil},
		{`(?i)123456`, cs("123456")},
		{`(`, nil},
		{``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			var got []lit
			for _, l := range RequiredLiterals(tt.expr) {
				got = append(got, lit{string(l.Text), l.NoCase})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("RequiredLiterals(%q) = %+v, want %+v", tt.expr, got, tt.want)
			}
		})
	}
}

// TestRequiredLiteralsSound checks on sample matches that every match
// contains one of the literals.
func TestRequiredLiteralsSound(t *testing.T) {
	tests := []struct{ expr, in string }{
		{`(?i)eval\s*\(\s*base64_decode`, "x EVAL ( Base64_Decode('...')"},
		{`(foo|barx)yz`, "..barxyz.."},
		{`<!--([0-9a-f]{6})-->.*<!--/\1-->`, "<!--abc123-->spam<!--/abc123-->"},
		{`(?i)evalskipper`, "EVALſKIPPER"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			re, err := CompileRegex(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, ok := re.Find([]byte(tt.in)); !ok {
				t.Fatalf("%q does not match %q", tt.expr, tt.in)
			}
			r := &Rule{ID: "x", Literals: RequiredLiterals(tt.expr), Confirm: re, Window: -1}
			if len(r.Literals) == 0 {
				t.Fatal("no literals")
			}
			if _, _, ok := r.Match([]byte(tt.in)); !ok {
				t.Errorf("literals %s miss the match in %q", fmtLits(r.Literals), tt.in)
			}
		})
	}
}

func TestParseBackdoors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ids  []string
		err  string
	}{
		{name: "empty", in: ""},
		{name: "two", in: "eval\\(\\$_POST\n\\$GLOBALS\\[\\$GLOBALS\r\n", ids: []string{"PHP.Backdoor.0", "PHP.Backdoor.1"}},
		{name: "blank lines keep numbering", in: "\n  \nabc+def\n", ids: []string{"PHP.Backdoor.2"}},
		{name: "back-reference", in: "<!--([0-9a-f]{6})-->.*<!--/\\1-->", ids: []string{"PHP.Backdoor.0"}},
		{name: "bad regex", in: "abc\nfoo(bar\n", err: "b.re:2: bad regex"},
		{name: "bad regex after blank", in: "\n\n[z-a]\n", err: "b.re:3: bad regex"},
		{name: "matches empty", in: "abcd\nx*\n", err: "b.re:2: bad regex"},
		{name: "only anchors", in: "^$", err: "b.re:1: bad regex"},
		{name: "empty back-reference", in: "(a*)\\1", err: "b.re:1: bad regex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseBackdoors("b.re", []byte(tt.in))
			if tt.err != "" {
				assertParseError(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range rules {
				ids = append(ids, r.ID)
				if r.Confirm == nil || r.Clean != r.Confirm || r.Window != -1 || r.Category != CategoryMalicious ||
					r.Engine != EngineCustom || r.Kinds != KindPHP || !r.Cleanable() {
					t.Errorf("rule %+v", r)
				}
			}
			if !reflect.DeepEqual(ids, tt.ids) {
				t.Errorf("ids %q, want %q", ids, tt.ids)
			}
			checkRules(t, rules)
		})
	}
}

func TestSeedBackdoors(t *testing.T) {
	path := testenv.Shared(t, "seed-sigs/backdoors.re")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseBackdoors("backdoors.re", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 10 {
		t.Fatalf("got %d rules, want 10", len(rules))
	}
	checkRules(t, rules)
	samples := map[string]string{
		"PHP.Backdoor.0": `<?php eval(base64_decode($_POST['xyz']));?>`,
		"PHP.Backdoor.2": "<html><!--a1b2c3-->spam links<!--/a1b2c3--></html>",
		"PHP.Backdoor.5": `error_reporting(0);eval(base64_decode('JGxhYmM=='));`,
		"PHP.Backdoor.8": `<?php eval(gzinflate(base64_decode('...')));`,
	}
	for i, r := range rules {
		t.Logf("%s %s backtracking=%v literals=%s", r.ID, r.Source, r.Confirm.Backtracking(), fmtLits(r.Literals))
		if len(r.Literals) == 0 {
			t.Errorf("%s: no prefilter literal", r.ID)
		}
		if want := "backdoors.re:" + strconv.Itoa(i+1); r.Source != want {
			t.Errorf("%s: Source %q, want %q", r.ID, r.Source, want)
		}
		if s, ok := samples[r.ID]; ok {
			if _, _, ok := r.Match([]byte("<?php\n// header\n?>" + s + "\ntrailer")); !ok {
				t.Errorf("%s does not match %q", r.ID, s)
			}
		}
	}
}

// fmtLits formats literals for messages.
func fmtLits(lits []Literal) string {
	var b strings.Builder
	for i, l := range lits {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%q", l.Text)
		if l.NoCase {
			b.WriteString("/i")
		}
	}
	return "[" + b.String() + "]"
}
