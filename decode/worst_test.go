package decode

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// worstCase is an input built to make a careless decoder quadratic,
// recursive, unbounded in memory or slow per byte. build makes one of about
// size bytes (some are small by nature).
type worstCase struct {
	name  string
	build func(size int) string
}

// rep repeats s to about n bytes (at least once).
func rep(s string, n int) string { return strings.Repeat(s, max(1, n/len(s))) }

// emptyStoredBlocks is a raw DEFLATE stream of n empty stored blocks: 5n
// bytes that inflate to nothing.
func emptyStoredBlocks(n int) string {
	b := make([]byte, 0, 5*n+5)
	for range n {
		b = append(b, 0, 0, 0, 0xff, 0xff)
	}
	return string(append(b, 1, 0, 0, 0xff, 0xff))
}

// manyVars declares variables $v0, $v1, ... up to n bytes.
func manyVars(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString("$v" + itoa(i) + "='x';")
	}
	return b.String()
}

// pathological lists the worst cases. The first group was there from the
// start; the second was found by review (each of those cost seconds to
// minutes, or gigabytes, before the fix named with it).
func pathological() []worstCase {
	mb := strings.Repeat("A", 1<<20)
	long := strings.Repeat("QUFB", 64) // a blob-sized literal
	dec := func(s string) string { return `base64_decode('` + b64(s) + `')` }
	return []worstCase{
		{"10000 nested parentheses", func(int) string {
			return `<?php eval(base64_decode(` + strings.Repeat("(", 10000) + `'ZWNobyAxOw=='` + strings.Repeat(")", 10000) + `));`
		}},
		{"10000 nested calls", func(int) string {
			return `<?php ` + strings.Repeat("base64_decode(", 10000) + `'ZWNobyAxOw=='` + strings.Repeat(")", 10000) + `;`
		}},
		{"10000 nested strrev", func(int) string {
			return `<?php ` + strings.Repeat("strrev(", 10000) + `'abc'` + strings.Repeat(")", 10000) + `;`
		}},
		{"chr(", func(n int) string { return `<?php ` + rep("chr(", n) }},
		{"chr(65).", func(n int) string { return `<?php $x = ` + rep("chr(65).", n) + `'';` }},
		{"base64_decode(", func(n int) string { return `<?php ` + rep("base64_decode(", n) }},
		{"@", func(n int) string { return `<?php eval(` + rep("@", n) + `'x');` }},
		{"unterminated single quote", func(n int) string { return `<?php eval(base64_decode('` + rep("QUFB", n) }},
		{"unterminated double quote", func(n int) string { return `<?php eval(base64_decode("` + rep("\\x41", n) }},
		{"unterminated comment", func(n int) string { return `<?php /* ` + rep("base64_decode('QUFB') ", n) }},
		{"unterminated heredoc", func(n int) string { return "<?php $x = <<<EOT\n" + rep("QUFB\n", n) }},
		{"long concatenation", func(n int) string { return `<?php eval(base64_decode(` + rep("'QUFB'.", n) + `$x));` }},
		{"nested calls around concat", func(n int) string {
			return `<?php ` + strings.Repeat("strrev(", 40) + rep("'QUFB'.", n) + "$x" + strings.Repeat(")", 40) + ";"
		}},
		{"many assignments", func(n int) string { return `<?php ` + rep("$a='QUFB';", n) }},
		{"doubling appends", func(int) string {
			return `<?php $a = 'QUFBQUFB'; ` + strings.Repeat("$a .= $a; ", 60) + ` eval(base64_decode($a));`
		}},
		{"doubling concatenation", func(int) string {
			return `<?php $a = 'QUFBQUFB'; ` + strings.Repeat("$a = $a.$a; ", 60) + ` eval(base64_decode($a));`
		}},
		{"many small layers", func(n int) string { return `<?php ` + rep(`eval(base64_decode('ZWNobyAxOw=='));`, n) }},
		{"long implode", func(n int) string { return `<?php eval(base64_decode(implode('', [` + rep("'QQ',", n) + `''])));` }},
		{"many escapes", func(n int) string { return `<?php $x = "` + rep(`\x41`, n) + `";` }},
		{"many long literals", func(n int) string { return `<?php ` + rep(`$a='`+strings.Repeat("QUFB", 70)+`';`, n) }},
		{"binary junk", func(n int) string {
			return string(bytes.Repeat([]byte{0, 0xff, '\'', '"', '(', '$', '<', '?'}, n/8))
		}},
		{"open tags only", func(n int) string { return rep("<?", n) }},
		{"preg_replace without end", func(n int) string { return `<?php ` + rep("preg_replace('/x/e',", n) }},
		{"create_function without end", func(n int) string { return `<?php ` + rep("create_function(", n) }},

		// Found by review.
		// Blob bookkeeping doubled at each statement: 2^60 offsets (varRec.lits bounded).
		{"lits doubling", func(int) string {
			return `<?php $a = '` + long + `'; ` + strings.Repeat(`$a = substr($a.$a, 0, 256); `, 60)
		}},
		// Re-searched for the closing quote after every backslash (lexer).
		{"single quote, many backslashes", func(n int) string { return `<?php $a = '` + rep(`\a`, n) + `';` }},
		// Each call scanned $x again: megabytes per two-byte reference (budget.work).
		{"hex2bin($x) repeated", func(n int) string { return `<?php $x = '` + mb + `zz'; ` + rep(`hex2bin($x);`, n) }},
		{"str_replace on a variable, repeated", func(n int) string {
			return `<?php $x = '` + mb + `'; ` + rep(`$y=str_replace('zz','',$x);`, n)
		}},
		{"preg_replace pattern variable, repeated", func(n int) string {
			return `<?php $p = '/` + mb + `'; ` + rep(`preg_replace($p,'a','b');`, n)
		}},
		{"gzinflate of empty stored blocks, repeated", func(n int) string {
			return `<?php $x = ` + dec(emptyStoredBlocks(200000)) + `; ` + rep(`gzinflate($x);`, n)
		}},
		// The name was trimmed of a megabyte of white space per call (funcName).
		{"$f( holding white space", func(n int) string { return `<?php $f = '` + strings.Repeat(" ", 1<<20) + `'; ` + rep(`$f(1);`, n) }},
		// 16 MB copied, then given back, per 20-byte statement (budget.give).
		{"concatenation churn", func(n int) string {
			return `<?php $b = '` + mb + `'; ` + rep(`$c=$b.$b.$b.$b.$b.$b.$b.$b.$b.$b.$b.$b.$b.$b.$b.$b.$b.$z;`, n)
		}},
		// A megabyte hashed per "$y=$x;" to find it already returned (emit).
		{"copies of a decoded variable", func(n int) string {
			return `<?php $x = ` + dec(strings.Repeat("echo 1;", 1<<20/7)) + `; ` + rep(`$y=$x;`, n)
		}},
		{"slices of a decoded variable", func(n int) string {
			return `<?php $x = ` + dec(strings.Repeat("echo 1;", 1<<20/7)) + `; ` + rep(`$y=substr($x,1);`, n)
		}},
		// A new chain per variable read (varRec.vchain).
		{"long chain read through a variable", func(n int) string {
			return `<?php $v = ` + strings.Repeat("strrev(", 10) + `'a'` + strings.Repeat(")", 10) + `; $x = 'q'` + rep(`.$v`, n) + `;`
		}},
		// One varRec allocated per assignment, even of a known variable (scope.set).
		{"many variables", manyVars},
		// Nested attempts each re-lexed a big literal (memoMinBytes).
		{"nested strrev around a big literal", func(n int) string {
			return `<?php ` + strings.Repeat("strrev(", 30) + `"` + rep(`\x41`, n) + `".$bad` + strings.Repeat(")", 30) + ";"
		}},
		{"indented heredocs", func(n int) string { return `<?php ` + rep("$a = <<<EOT\n      "+long+"\n      EOT;\n", n) }},
		{"many unterminated strings", func(n int) string { return `<?php ` + rep(`eval(base64_decode("\`, n) }},
		{"self append", func(n int) string { return `<?php $a = 'QUFBQUFB'; ` + rep(`$a .= $a; `, n) }},

		// Bitwise operators.
		{"xor chain", func(n int) string { return `<?php $x = 'a'` + rep(`^'b'`, n) + `;` }},
		{"xor chain of bare words", func(n int) string { return `<?php $x = abc` + rep(`^Abc`, n) + `;` }},
		{"not chain", func(n int) string { return `<?php $x = ` + rep(`~`, n) + `'a';` }},
		{"xor nested parentheses", func(n int) string { return `<?php $x = ` + rep(`('a'^`, n/2) + `'b'` + rep(`)`, n/2) + `;` }},
		{"xor of big variables, repeated", func(n int) string {
			return `<?php $a = '` + mb + `'; $b = '` + mb + `'; ` + rep(`$y = $a ^ $b;`, n)
		}},
		{"xor of big variables, failing late", func(n int) string {
			return `<?php $a = '` + mb + `'; ` + rep(`$y = $a ^ $a ^ $a ^ $a . $z;`, n)
		}},
		{"xor-assign doubling", func(n int) string { return `<?php $a = '` + mb + `'; ` + rep(`$a ^= $a;`, n) }},
		{"bare word assignments", func(n int) string { return `<?php ` + rep(`$a = Ab^Cd; `, n) }},
		{"flag assignments", func(n int) string { return `<?php ` + rep(`$a = JSON_A|JSON_B; `, n) }},
		{"eval of xor, repeated", func(n int) string { return `<?php ` + rep(`eval('a'^'b');`, n) }},
	}
}

// allocBound is what one Layers call may allocate in total on n bytes of
// input under budget b: O(input + MaxBytes), with room for bookkeeping.
func allocBound(n int, b Budget) uint64 {
	b = b.withDefaults()
	return uint64(8*n + 4*b.MaxBytes + 16<<20)
}

// TestPathological runs every worst case at 5 MB (1 MB under the race
// detector) and checks the budget, and that the bytes allocated stay within
// allocBound. Times are logged, not asserted (but see timeLimit).
func TestPathological(t *testing.T) {
	size := 5 << 20
	if raceEnabled || testing.Short() {
		size = 1 << 20
	}
	for _, wc := range pathological() {
		t.Run(wc.name, func(t *testing.T) {
			in := []byte(wc.build(size))
			b := Budget{}
			var layers []Layer
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			timed(t, wc.name, func() { layers = Layers(in, b) })
			runtime.ReadMemStats(&m1)
			checkBudget(t, wc.name, layers, b)
			if a := m1.TotalAlloc - m0.TotalAlloc; a > allocBound(len(in), b) {
				t.Errorf("%s: %d bytes of input, %d allocated (bound %d)", wc.name, len(in), a, allocBound(len(in), b))
			} else {
				t.Logf("%s: %.1f MB in, %.1f MB allocated", wc.name, float64(len(in))/1e6, float64(a)/1e6)
			}
		})
	}
}

// BenchmarkPathological runs the worst cases at 1, 5 and 32 MB: time per
// byte should not grow with the size.
//
//	go test -run - -bench Pathological -benchtime 1x ./decode/
func BenchmarkPathological(b *testing.B) {
	for _, size := range []int{1 << 20, 5 << 20, 32 << 20} {
		for _, wc := range pathological() {
			b.Run(itoa(size>>20)+"MB/"+wc.name, func(b *testing.B) {
				in := []byte(wc.build(size))
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					Layers(in, Budget{})
				}
			})
		}
	}
}
