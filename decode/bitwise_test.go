package decode

import (
	"strings"
	"testing"
)

// xorSafe reports whether c may stand in a test operand: printable, and
// nothing a quoted literal or the lexer treats specially.
func xorSafe(c byte) bool {
	return c >= 0x20 && c < 0x7f && !strings.ContainsRune(`'"\$`+"`{}", rune(c))
}

// xorSplit returns two printable strings whose XOR is s (ASCII).
func xorSplit(s string) (string, string) {
	a, b := make([]byte, len(s)), make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		for k := 0; k < 0x5f; k++ {
			key := byte(0x20 + (k+7*i)%0x5f)
			if c := s[i] ^ key; xorSafe(key) && xorSafe(c) {
				a[i], b[i] = key, c
				break
			}
		}
		if a[i] == 0 {
			panic("xorSplit: no printable split for " + s)
		}
	}
	return string(a), string(b)
}

// xorConcat writes s as ('a'^'b').('c'^'d')..., two bytes at a time.
func xorConcat(s string) string {
	var parts []string
	for i := 0; i < len(s); i += 2 {
		a, b := xorSplit(s[i:min(i+2, len(s))])
		parts = append(parts, "('"+a+"'^'"+b+"')")
	}
	return strings.Join(parts, ".")
}

// notOf flips every byte of s (the operand of ~ that yields s).
func notOf(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = ^b[i]
	}
	return string(b)
}

// evalExpr evaluates src as one whole expression.
func evalExpr(src string) (value, bool) {
	buf := []byte(src)
	st := &state{opts: Budget{}.withDefaults(), b: newBudget(len(buf), DefaultMaxBytes), root: buf}
	s := &scanner{st: st, buf: buf, scope: &scope{}}
	e := s.newEval(newLexer(buf, false))
	v, ok := e.expr()
	return v, ok && e.next().kind == tEOF
}

// TestBitwiseSemantics checks operators, lengths and precedence as PHP has
// them: ^ and & as long as the shorter operand, | as the longer, '.' tighter
// than & tighter than ^ tighter than |, ~ tighter than '.'.
func TestBitwiseSemantics(t *testing.T) {
	for _, tc := range []struct {
		src   string
		want  string
		chain string
	}{
		{`'a' ^ 'c'`, "\x02", "xor"},
		{`'ab' ^ 'c'`, "\x02", "xor"},
		{`'c' ^ 'ab'`, "\x02", "xor"},
		{`'abc' & 'A'`, "A", "xor"},
		{`'a' | 'bcd'`, "ccd", "xor"},
		{`'bcd' | 'a'`, "ccd", "xor"},
		{`'' | 'ab'`, "ab", "xor"},
		{`'' ^ 'ab'`, "", "xor"},
		{`~'a'`, "\x9e", "xor"},
		{`~"\x9a\x89"`, "ev", "escapes>xor"},
		{`'a'.'b'^'c'`, "\x02", "xor"}, // ('a'.'b')^'c'
		{`'c'^'a'.'b'`, "\x02", "xor"},
		{`'a'|'b'^'c'&'d'`, "c", "xor"}, // 'a'|('b'^('c'&'d'))
		{`('a'|'b')^'c'`, "\x00", "xor"},
		{`~'a'.'b'`, "\x9eb", "xor"}, // (~'a').'b'
		{`~('a'.'b')`, "\x9e\x9d", "xor"},
		{`@~'a'`, "\x9e", "xor"},
		{`'a'^'b'^'c'^'d'`, "\x04", "xor"}, // one step for a run
		{`(string)1 ^ 'a'`, "P", "xor"},
		{`chr(65) ^ ' '`, "a", "chr>xor"},
		{`strrev('ab') ^ '  '`, "BA", "strrev>xor"},
		{`Abc ^ '   '`, "aBC", "xor"},               // bare word: PHP < 8 reads its name
		{`ab ^ cd`, "\x02\x06", "xor"},              // two bare words, not constant-style
		{`'K'.Vr&'k'.'vr'`, "KVr", "xor"},           // ('K'.'Vr') & ('k'.'vr')
		{`Ab_c ^ E_ALL`, "\x04\x3d\x1e\x2f", "xor"}, // one operand not constant-style
		{`PHP_EOL ^ '  '`, "*", "xor"},
	} {
		v, ok := evalExpr(tc.src)
		if !ok || v.bare || string(v.data) != tc.want || strings.Join(v.chain, ">") != tc.chain {
			t.Errorf("%s = %q %v (ok %v, bare %v); want %q %s", tc.src, v.data, v.chain, ok, v.bare, tc.want, tc.chain)
		}
	}
}

func TestBitwiseRefused(t *testing.T) {
	for _, src := range []string{
		`1 ^ 'a'`, `'a' ^ 1`, `~1`, `1 | 2`, `0x0f & 0xf0`, // integers
		`true ^ 'a'`, `null | 'a'`, `'a' & FALSE`,
		`'a' ^ $unknown`, `'a' ^ f()`,
		`E_ALL & ~E_NOTICE`, `JSON_HEX_TAG | JSON_HEX_AMP`, // flags
		`STREAM_CRYPTO_METHOD_TLS_CLIENT | @STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT`,
		`__FILE__ ^ 'a'`, `PHP_VERSION ^ 'a'`, `Foo::X ^ 'a'`, `Foo\X ^ 'a'`,
		`'a' ^`, `^ 'a'`, `'a' ^^ 'b'`,
	} {
		if v, ok := evalExpr(src); ok && !v.bare {
			t.Errorf("%s = %q %v, want a failure", src, v.data, v.chain)
		}
	}
	// A bare word is a value only under a bitwise operator.
	for _, src := range []string{`Abc`, `~Abc`, `'a'.Abc`, `(string)Abc`, `substr(Abc, 1)`} {
		if v, ok := evalExpr(src); ok && !v.bare {
			t.Errorf("%s = %q: not marked bare", src, v.data)
		}
	}
}

// bitwiseLayerCases are added to layerCases (and so to the fuzz seeds and
// the budget tests).
func bitwiseLayerCases() []layerCase {
	a, b := xorSplit(echo1)
	k1, k2 := xorSplit("assert")
	bare := "Qwerty"
	key := make([]byte, len(bare))
	for i := range key {
		key[i] = bare[i] ^ "system"[i]
	}
	return []layerCase{
		{"xor builds a function name", `<?php $f = ` + xorConcat("base64_decode") + `; eval($f('` + b64(echo1) + `'));`,
			[]want{{"xor", "base64_decode"}, {"base64", echo1}}},
		{"xor of two literals is code", `<?php eval('` + a + `' ^ '` + b + `');`, []want{{"xor", echo1}}},
		{"xor of escaped literals", `<?php eval("` + hexEscapes(a) + `" ^ "` + hexEscapes(b) + `");`,
			[]want{{"escapes>xor", echo1}, {"escapes", `<?php eval("` + a + `" ^ "` + b + `");`}}},
		{"not builds a function name", `<?php $f = ~"` + hexEscapes(notOf("str_rot13")) + `"; eval($f('` + rot(echo1) + `'));`,
			[]want{{"escapes>xor", "str_rot13"}, {"rot13", echo1}, {"escapes", `<?php $f = ~"` + notOf("str_rot13") + `"; eval($f('` + rot(echo1) + `'));`}}},
		{"or with spaces lowers the case", `<?php $f = 'STRREV' | '      '; echo $f('` + rev(echo1) + `');`,
			[]want{{"xor", "strrev"}, {"strrev", echo1}}},
		{"xor-assign", `<?php $f = '` + k1 + `'; $f ^= '` + k2 + `'; $f($_POST['x']);`, []want{{"xor", "assert"}}},
		{"bare word operand", `<?php $s = ` + bare + `^'` + sq(string(key)) + `';`, []want{{"xor", "system"}}},
		{"xor inside a decoded layer", `<?php eval(base64_decode('` + b64(`eval('`+a+`'^'`+b+`');`) + `'));`,
			[]want{{"base64", `eval('` + a + `'^'` + b + `');`}, {"base64>xor", echo1}}},

		// Negative cases.
		{"xor fragments are not layers", `<?php $a = 'x'^'y'; $b = 'ab'^'cd'; $c = 'abcd'^'zzzz';`, []want{}},
		{"flags are not strings", `<?php $f = JSON_HEX_TAG | JSON_HEX_AMP; $l = E_ALL & ~E_DEPRECATED; error_reporting(E_ALL & ~E_NOTICE);
			$m = 0x0f ^ 0xf0; $c = STREAM_CRYPTO_METHOD_TLS_CLIENT | @STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT; $c |= STREAM_CRYPTO_METHOD_TLSv1_1_CLIENT;`,
			[]want{}},
		{"xor with an unknown operand", `<?php $k = $_GET['k'] ^ 'abcdef'; $j = 'abcdef' ^ $k;`, []want{}},
		{"bare word alone is no string", `<?php $f = Abc; eval(base64_decode(ZWNobyAxOw)); $g = Abc . 'x'; $g(1);`, []want{}},
	}
}

// TestBitwiseCaseSensitiveNames checks that a function name built by XOR is
// looked up case-insensitively, like any other.
func TestBitwiseCaseSensitiveNames(t *testing.T) {
	in := `<?php $f = ` + xorConcat("BASE64_Decode") + `; echo $f('` + b64(echo1) + `');`
	got := chains(Layers([]byte(in), Budget{}))
	if len(got) != 2 || got[1] != (want{"base64", echo1}) {
		t.Errorf("got %s", show(got))
	}
}
