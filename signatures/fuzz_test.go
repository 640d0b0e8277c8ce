package signatures

import (
	"encoding/base64"
	"errors"
	"testing"
)

// checkParse is the property every parser must have on any input: no
// panic, and either a *ParseError or rules with sound invariants.
func checkParse(t *testing.T, rules []*Rule, err error) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %T is not a *ParseError: %v", err, err)
		}
		if rules != nil {
			t.Fatalf("rules returned with error %v", err)
		}
		return
	}
	if err := ruleInvariants(rules); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseShellDetect(f *testing.F) {
	k := keyAt(testShell, 7)
	valid := phpArray(phpStr(k), phpStr("c99[5][0][php]"), phpStr("version"), phpStr("1"),
		phpStr("bb:"+base64.StdEncoding.EncodeToString([]byte("<?php $_=1;"))), phpStr("x[0][2][pl]"))
	f.Add(sdEncode(valid), false)
	f.Add([]byte(valid), true) // encode=true: the fuzzer explores the serialized layer
	f.Add([]byte(`a:1:{s:1:"a";s:1:"b";}`), true)
	f.Add([]byte(`a:2:{i:1;N;s:7:"version";d:1.5;}`), true)
	f.Add([]byte(`a:1:{s:99999:"a";}`), true)
	f.Add([]byte(`a:999999999:{`), true)
	f.Add([]byte("YTox\nOn!7fQ==\n"), false)
	f.Add([]byte("YTo=\nYTox\n"), false)
	f.Add([]byte(""), false)
	f.Fuzz(func(t *testing.T, data []byte, encode bool) {
		if encode {
			data = sdEncode(string(data))
		}
		rules, err := ParseShellDetect("f.db", data)
		checkParse(t, rules, err)
		for _, r := range rules {
			if len(r.Literals) == 0 || r.Engine != EngineDetector {
				t.Fatalf("rule %s: %d literals, engine %s", r.ID, len(r.Literals), r.Engine)
			}
			for _, l := range r.Literals {
				if len(l.Text) < MinLiteralLen {
					t.Fatalf("rule %s: literal %q too short", r.ID, l.Text)
				}
			}
		}
		if _, err := ShellDetectVersion(data); err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("version error %T is not a *ParseError: %v", err, err)
			}
		}
	})
}

func FuzzParseFingerprints(f *testing.F) {
	f.Add([]byte("@error_reporting(0);\neval(gzinflate(\n"))
	f.Add([]byte("abcd\r\n\r\n  \nefgh"))
	f.Add([]byte("abcd\nab\n"))
	f.Add([]byte("\xef\xbb\xbf\x00\x01\x02\x03"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseFingerprints("f.txt", data)
		checkParse(t, rules, err)
		for _, r := range rules {
			if len(r.Literals) != 1 || len(r.Literals[0].Text) < MinLiteralLen {
				t.Fatalf("rule %s: literals %s", r.ID, fmtLits(r.Literals))
			}
		}
	})
}

func FuzzParseBackdoors(f *testing.F) {
	f.Add([]byte("<\\?php\\s*eval\\s*\\(\\s*base64_decode\\s*\\(\\s*\\$_POST\\['[0-z]*'\\]\\)\\);\\?>\n"))
	f.Add([]byte("<!--([0-9a-f]{6})-->.*<!--/\\1-->\n"))
	f.Add([]byte("\\$[a-z]+ = Array.*( '[0-z]'=>'[0-z]',){20}.*\n"))
	f.Add([]byte("(?i)eval\\(\n(?=abc)abc\nfoo(bar\n"))
	f.Add([]byte("x*\n"))
	f.Add([]byte("(?<n>ab)\\k<n>\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseBackdoors("f.re", data)
		checkParse(t, rules, err)
		for _, r := range rules {
			if r.Confirm == nil {
				t.Fatalf("rule %s: no regex", r.ID)
			}
			for _, l := range r.Literals {
				if len(l.Text) < minRequiredLiteralLen {
					t.Fatalf("rule %s: literal %q too short", r.ID, l.Text)
				}
			}
			if _, _, ok := r.Confirm.Find(nil); ok {
				t.Fatalf("rule %s: regex matches the empty input", r.ID)
			}
		}
	})
}

func FuzzRequiredLiterals(f *testing.F) {
	for _, s := range []string{`abc`, `(foo|barx)yz`, `(?i)eval\(`, `<!--([0-9a-f]{6})-->.*<!--/\1-->`, `(?i)kiss|abc`, `a{2,}bcd`} {
		f.Add(s, "xx foo barxyz EVAL( <!--abcdef--><!--/abcdef--> kiss aabcd")
	}
	f.Fuzz(func(t *testing.T, expr, input string) {
		lits := RequiredLiterals(expr)
		re, err := CompileRegex(expr)
		if err != nil || len(lits) == 0 {
			return
		}
		// Soundness: if the regex matches, one of the literals occurs.
		s, e, ok := re.Find([]byte(input))
		if !ok {
			return
		}
		r := &Rule{ID: "x", Literals: lits}
		if _, _, hit := r.Match([]byte(input)[s:e]); !hit {
			t.Fatalf("%q matches %q in %q, but none of %s occurs in the match", expr, input[s:e], input, fmtLits(lits))
		}
	})
}

func FuzzParseTOML(f *testing.F) {
	f.Add([]byte(testTOML))
	f.Add([]byte("[[rule]]\nid = \"X.1\"\nliterals = [\"abcd\"]\n"))
	f.Add([]byte("[[rule]]\nid = \"X.1\"\nliterals = [\"ab\"]\n"))
	f.Add([]byte("[[rule]]\nid = \"X 1\"\n"))
	f.Add([]byte("[[rule]]\nid = \"X.1\"\nliterals = [\"abcd\"]\nregex = \"(\"\n"))
	f.Add([]byte("[[rule]]\nid = \"X.1\"\nliterals = [\"abcd\"]\n[[rule]]\nid = \"X.1\"\nliterals = [\"abcd\"]\n"))
	f.Add([]byte("[rule\n"))
	f.Add([]byte("unknown = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseTOML("f.toml", data)
		if err != nil {
			checkParse(t, rules, err)
			return
		}
		// ParseTOML itself does not reject duplicate IDs (Compile does).
		if _, err := Compile(Source{Name: "f.toml", Format: FormatTOML, Data: data}); err != nil {
			checkParse(t, nil, err)
			return
		}
		checkParse(t, rules, nil)
	})
}
