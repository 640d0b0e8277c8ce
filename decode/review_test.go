package decode

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"strings"
	"testing"
)

// Regression tests for what the review of the package found; the worst
// cases themselves are in worst_test.go.

// scanOnce runs a scanner over buf and returns it, for a look inside.
func scanOnce(buf []byte, b Budget) *scanner {
	b = b.withDefaults()
	st := &state{opts: b, b: newBudget(len(buf), b.MaxBytes), root: buf}
	s := &scanner{st: st, buf: buf, scope: &scope{}}
	s.run()
	return s
}

// TestVarLitsBounded: "$a = substr($a.$a, 0, 256);" doubled the long
// literals a variable remembers at every statement (2^60 after 60).
func TestVarLitsBounded(t *testing.T) {
	long := strings.Repeat("QUFB", 64)
	in := `<?php $a = '` + long + `'; ` + strings.Repeat(`$a = substr($a.$a, 0, 256); `, 60)
	s := scanOnce([]byte(in), Budget{})
	r := s.scope.lookup([]byte("a"))
	if r == nil || r.unknown || len(r.lits) != 1 {
		t.Fatalf("$a: %+v", r)
	}
	// Many distinct long literals in one variable: marked used at once.
	var b strings.Builder
	b.WriteString(`<?php $a = ''`)
	for i := range 2 * maxVarLits {
		b.WriteString(`.'` + long + itoa(i) + `'`)
	}
	b.WriteString(`;`)
	s = scanOnce([]byte(b.String()), Budget{})
	if r := s.scope.lookup([]byte("a")); r == nil || len(r.lits) != 0 || len(s.usedLits) != 2*maxVarLits {
		t.Errorf("%d literals remembered, %d marked used", len(r.lits), len(s.usedLits))
	}
}

// TestBudgetWork checks the allowances beyond MaxBytes: a value thrown
// away is given back only as far as churn goes, a decoder's unused output is
// refunded, scans and hashes spend work.
func TestBudgetWork(t *testing.T) {
	b := budget{left: 100, work: 50, churn: 50}
	if !b.take(100) || b.take(1) {
		t.Fatal("take")
	}
	b.give(40)
	if b.left != 40 || b.churn != 10 {
		t.Fatalf("after give(40): %+v", b)
	}
	b.give(40)
	if b.left != 50 || b.churn != 0 {
		t.Fatalf("after give(40) past the churn allowance: %+v", b)
	}
	b.refund(30)
	if b.left != 80 || b.work != 50 {
		t.Fatalf("after refund(30): %+v", b)
	}
	if !b.spend(50) || b.spend(1) || !b.spend(0) || b.work != 0 {
		t.Fatalf("spend: %+v", b)
	}
	if nb := newBudget(10, 100); nb.left != 100 || nb.work < 2*10+100 || nb.churn < 100 {
		t.Errorf("newBudget: %+v", nb)
	}
}

// TestRepeatedWorkIsBounded: work on a variable's value (a decoder, a hash,
// str_replace, a pattern) is charged, so the number of times it runs stays
// bounded however many two-byte references a file holds.
func TestRepeatedWorkIsBounded(t *testing.T) {
	mb := strings.Repeat("A", 1<<20)
	for name, stmt := range map[string]string{
		"hex2bin":      `hex2bin($x);`,
		"str_replace":  `$y=str_replace('zz','',$x);`,
		"preg_replace": `preg_replace($x,'a','b');`,
		"copy":         `$y = base64_decode($x) . '';`,
	} {
		in := `<?php $x = '` + mb + `zz'; ` + strings.Repeat(stmt, 20000)
		s := scanOnce([]byte(in), Budget{})
		// Each run of the statement would cost a megabyte of work; what the
		// whole allowance pays for is a few dozen.
		if s.st.b.work < 0 || s.st.b.left < 0 {
			t.Errorf("%s: budget overdrawn: %+v", name, s.st.b)
		}
		if s.st.b.work > 1<<20 && s.st.b.left > 1<<20 {
			t.Errorf("%s: %+v left after 20000 megabyte statements", name, s.st.b)
		}
	}
}

// TestMaxVars: past maxVars variables, new ones are not recorded, and a
// variable of an outer scope is not read in place of an unrecorded one.
func TestMaxVars(t *testing.T) {
	in := `<?php $p = 'ZWNobyAxOw=='; ` + manyVars(16*maxVars) + ` eval(base64_decode('` + b64(`$p = $_GET['p']; eval(base64_decode($p));`) + `'));`
	layers := Layers([]byte(in), Budget{})
	for _, l := range layers {
		if string(l.Data) == echo1 {
			t.Errorf("a stale outer value was decoded: %v", l.Chain)
		}
	}
	if len(layers) != 1 {
		t.Errorf("got %s", show(chains(layers)))
	}
}

// TestSingleQuoteScan: the closing quote is found once, not once per
// backslash, and escapes are still skipped.
func TestSingleQuoteScan(t *testing.T) {
	for in, want := range map[string]string{
		`'a\'b'x`:      `a\'b`,
		`'a\\'x`:       `a\\`,
		`'\a\b\c'x`:    `\a\b\c`,
		`'\\\'\\'x`:    `\\\'\\`,
		`'abc\`:        `abc\`,
		`'abc\'`:       `abc\'`,
		`''x`:          ``,
		`'a\'\'\'\'b'`: `a\'\'\'\'b`,
	} {
		lx := newLexer([]byte(in), false)
		tok := lx.next()
		if got := string(lx.rawContent(&tok)); got != want {
			t.Errorf("%s: content %q, want %q", in, got, want)
		}
	}
}

// TestGzipExtraField: the FEXTRA length was parsed as (2+lo)|hi<<8.
func TestGzipExtraField(t *testing.T) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Header.Extra = bytes.Repeat([]byte{'x'}, 0x1ff) // 2+0xff carries into the high byte
	w.Write([]byte(hello))
	w.Close()
	in := `<?php eval(gzdecode(base64_decode('` + b64(buf.String()) + `')));`
	if got := chains(Layers([]byte(in), Budget{})); !reflect.DeepEqual(got, []want{{"base64>gzdecode", hello}}) {
		t.Errorf("got %s", show(got))
	}
}

// TestUnicodeEscapes: \u{...} as PHP has it: leading zeros allowed,
// surrogates encoded (not replaced by U+FFFD), past U+10FFFF kept verbatim.
func TestUnicodeEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`\u{41}`:         "A",
		`\u{0000000041}`: "A",
		`\u{263A}`:       "\u263a",
		`\u{1F600}`:      "\U0001F600",
		`\u{D800}`:       "\xed\xa0\x80",
		`\u{10FFFF}`:     "\xf4\x8f\xbf\xbf",
		`\u{110000}`:     `\u{110000}`,
		`\u{}`:           `\u{}`,
		`\u{41`:          `\u{41`,
		`\u41`:           `\u41`,
	} {
		if got := string(unescapeDouble([]byte(in), '"')); got != want {
			t.Errorf("unescapeDouble(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEscapes covers the rest of PHP's escapes in each kind of literal.
func TestEscapes(t *testing.T) {
	for _, tc := range []struct {
		quote    byte
		in, want string
	}{
		{'"', `\x4\x41\x4g`, "\x04A\x04g"},            // one or two hex digits
		{'"', `\101\1012\0\7\777`, "AA2\x00\x07\xff"}, // up to three octal digits, wrapping
		{'"', `\'\"\$\\\q`, `\'"$\\q`},
		{'`', "\\`\\\"", "`\\\""},
		{0, `\"\$\t`, "\\\"$\t"},
		{'"', `\e\f\v\r`, "\x1b\f\v\r"},
		{'"', `end\`, `end\`},
	} {
		if got := string(unescapeDouble([]byte(tc.in), tc.quote)); got != tc.want {
			t.Errorf("unescapeDouble(%q, %q) = %q, want %q", tc.in, tc.quote, got, tc.want)
		}
	}
	for in, want := range map[string]string{`a\'b\\c\d\`: `a'b\c\d\`, `\\\'`: `\'`, `\n`: `\n`} {
		if got := string(unescapeSingle([]byte(in))); got != want {
			t.Errorf("unescapeSingle(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHeredocIndent: PHP 7.3 removes the closing marker's indentation from
// every line of a heredoc or nowdoc.
func TestHeredocIndent(t *testing.T) {
	code := "echo 1;\n  echo 2;\n\necho 3;"
	indent := func(s, by string) string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if l != "" {
				lines[i] = by + l
			}
		}
		return strings.Join(lines, "\n")
	}
	for _, tc := range []struct{ name, open, by string }{
		{"heredoc", "<<<EOT", "    "},
		{"nowdoc", "<<<'EOT'", "\t\t"},
		{"heredoc, no indentation", `<<<"EOT"`, ""},
	} {
		in := "<?php $c = " + tc.open + "\n" + indent(code, tc.by) + "\n" + tc.by + "EOT;\n" + `eval(strrev(strrev($c)));`
		got := chains(Layers([]byte(in), Budget{}))
		if !reflect.DeepEqual(got, []want{{"variable>strrev>strrev", code}}) {
			t.Errorf("%s: got %s", tc.name, show(got))
		}
	}
	// Escapes in a heredoc are not indentation.
	in := "<?php $c = <<<EOT\n  \\tA\n  EOT;\n$d = strrev($c);"
	if got := chains(Layers([]byte(in), Budget{})); !reflect.DeepEqual(got, []want{{"variable>strrev", "A\t"}}) {
		t.Errorf("escape at line start: got %s", show(got))
	}
}

// TestCreateFunctionOneArgument: an argument list that closes before its
// comma has no code; what follows the call is not its body.
func TestCreateFunctionOneArgument(t *testing.T) {
	in := `<?php $f = create_function('$a')"` + hexEscapes(echo1) + `");`
	for _, l := range Layers([]byte(in), Budget{}) {
		if string(l.Data) == echo1 {
			t.Errorf("code layer %v from a one-argument create_function", l.Chain)
		}
	}
}

// TestNoLayerAliasesInput runs every table case, then overwrites the input:
// no layer may change (the caller reuses its buffers).
func TestNoLayerAliasesInput(t *testing.T) {
	for _, tc := range layerCases() {
		in := []byte(tc.in)
		layers := Layers(in, Budget{})
		saved := make([]string, len(layers))
		for i, l := range layers {
			saved[i] = string(l.Data)
		}
		for i := range in {
			in[i] ^= 0x55
		}
		for i, l := range layers {
			if string(l.Data) != saved[i] {
				t.Errorf("%s: layer %v aliases the input", tc.name, l.Chain)
			}
		}
	}
}

// TestVariableChainShared: reading a variable adds "variable" once, and
// reads do not allocate a chain each.
func TestVariableChainShared(t *testing.T) {
	in := `<?php $v = strrev(strrev('abcd')); $w = $v; $x = $w . $v;`
	s := scanOnce([]byte(in), Budget{})
	for name, want := range map[string]string{"v": "strrev>strrev", "w": "strrev>strrev>variable", "x": "strrev>strrev>variable"} {
		r := s.scope.lookup([]byte(name))
		if r == nil || strings.Join(r.v.chain, ">") != want {
			t.Errorf("$%s: %+v, want chain %s", name, r, want)
		}
	}
	src := []byte(`$v`)
	if n := testing.AllocsPerRun(100, func() { s.newEval(newLexer(src, false)).expr() }); n > 0 {
		t.Errorf("reading a variable allocates %.0f times", n)
	}
}

// TestBlobAtOffsetZero: compacting the literals an assignment read must not
// leave zeros behind that mark the literal at offset 0 as used.
func TestBlobAtOffsetZero(t *testing.T) {
	text := strings.Repeat("echo 'this line is plain text, nothing runs'; // padding\n", 6)
	long := b64(strings.Repeat("z", 300))
	in := `'` + b64(text) + `'; $l = '` + long + `'; $a = strrev($l . $l);`
	for _, l := range Layers([]byte(in), Budget{}) {
		if string(l.Data) == text {
			return
		}
	}
	t.Errorf("no blob layer for the literal at offset 0")
}

// TestInflateChargesOutput: what inflateRaw keeps charged is its output, not
// the slack of a doubled buffer (deep droppers ran out of budget).
func TestInflateChargesOutput(t *testing.T) {
	for _, n := range []int{100, 5000, 300000, 1 << 20} {
		text := pseudoWords(n / 8)[:n/2] + strings.Repeat("x", n/2)
		b := budget{left: 16 << 20}
		out, err := inflateRaw(&b, []byte(deflateRaw(text)))
		if err != nil || string(out) != text {
			t.Fatalf("%d: err %v", n, err)
		}
		if used := 16<<20 - b.left; used != cap(out) || cap(out) > len(out)+len(out)/16+64 {
			t.Errorf("%d bytes out: %d charged, capacity %d", len(out), used, cap(out))
		}
	}
}
