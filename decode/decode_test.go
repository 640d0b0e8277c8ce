package decode

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const (
	hello = `<?php echo "hello"; ?>`
	echo1 = `echo 1;`
)

// want is one expected layer.
type want struct {
	chain string // steps joined by ">"
	data  string
}

type layerCase struct {
	name string
	in   string
	want []want // all layers, in order
}

// layerCases are harmless strings that merely look like droppers.
func layerCases() []layerCase {
	long := strings.Repeat("echo 'this line is plain text, nothing runs'; // padding\n", 6)
	nested := `eval(base64_decode('` + b64(echo1) + `'));`
	gz := gzipOf(hello)
	words := pseudoWords(400)
	return append([]layerCase{
		{"gzinflate base64", `<?php eval(gzinflate(base64_decode('` + b64(deflateRaw(hello)) + `'))); ?>`,
			[]want{{"base64>gzinflate", hello}}},
		{"double quotes, case, spaces, @", "<?php @EVAL ( GzInflate\n( \\Base64_Decode ( \"" + b64(deflateRaw(hello)) + "\" ) ) ) ;",
			[]want{{"base64>gzinflate", hello}}},
		{"no eval around it", `<?php $x = 1; print(base64_decode('` + b64(echo1) + `'));`,
			[]want{{"base64", echo1}}},
		{"lenient base64: no padding, junk, whitespace", "<?php eval(base64_decode('ZWNo\nb y\tAx*Ow'));",
			[]want{{"base64", echo1}}},
		{"rot13", `<?php eval(str_rot13('` + rot(echo1) + `'));`, []want{{"rot13", echo1}}},
		{"base64 rot13 gzinflate", `<?php eval(gzinflate(str_rot13(base64_decode('` + b64(rot(deflateRaw(hello))) + `'))));`,
			[]want{{"base64>rot13>gzinflate", hello}}},
		{"strrev base64", `<?php eval(base64_decode(strrev('` + rev(b64(echo1)) + `')));`, []want{{"strrev>base64", echo1}}},
		{"gzuncompress", `<?php eval(gzuncompress(base64_decode('` + b64(zlibOf(hello)) + `')));`, []want{{"base64>gzuncompress", hello}}},
		{"gzdecode", `<?php eval(gzdecode(base64_decode('` + b64(gz) + `')));`, []want{{"base64>gzdecode", hello}}},
		{"gzinflate of gzip via substr", `<?php eval(gzinflate(substr(base64_decode('` + b64(gz) + `'), 10, -8)));`,
			[]want{{"base64>gzinflate", hello}}},
		{"gzinflate extra argument", `<?php eval(gzinflate(base64_decode('` + b64(deflateRaw(hello)) + `'), 0));`,
			[]want{{"base64>gzinflate", hello}}},
		{"urldecode", `<?php eval(urldecode('%65%63%68%6f+1%3B'));`, []want{{"urldecode", echo1}}},
		{"rawurldecode keeps plus", `<?php eval(rawurldecode('%65cho%201%3B+'));`, []want{{"rawurldecode", echo1 + "+"}}},
		{"pack H*", `<?php eval(pack('H*', '` + hexOf(echo1) + `'));`, []want{{"hex", echo1}}},
		{"pack h*", `<?php eval(pack("h*", "` + hexLowFirst(echo1) + `"));`, []want{{"hex", echo1}}},
		{"hex2bin", `<?php eval(hex2bin('` + hexOf(echo1) + `'));`, []want{{"hex", echo1}}},
		{"convert_uudecode", `<?php eval(convert_uudecode('` + sq(uuencode(hello)) + `'));`, []want{{"uudecode", hello}}},
		{"convert_uudecode long", `<?php eval(convert_uudecode('` + sq(uuencode(long)) + `'));`, []want{{"uudecode", long}}},
		{"concatenation across lines and comments", "<?php eval(base64_decode('ZWNo' . /* x */ \"byAx\"\n  // y\n . 'Ow=='));",
			[]want{{"base64", echo1}}},
		{"chr concatenation argument", `<?php eval(base64_decode(` + chrChain(b64(echo1)) + `));`,
			[]want{{"chr>base64", echo1}, {"chr", `<?php eval(base64_decode("` + b64(echo1) + `"));`}}},
		{"chr hex argument", `<?php eval(base64_decode(chr(0x5a).'WNobyAxOw=='));`, []want{{"chr>base64", echo1}}},
		{"variable argument", `<?php $x = '` + b64(deflateRaw(hello)) + `'; eval(gzinflate(base64_decode($x)));`,
			[]want{{"variable>base64>gzinflate", hello}}},
		{"variable concatenation, last assignment wins", `<?php $x = 'nothing'; $x = 'ZWNo' . 'byAxOw=='; eval(base64_decode($x));`,
			[]want{{"variable>base64", echo1}}},
		{"variable append", `<?php $x = 'ZWNo'; $x .= 'byAx'; $x .= 'Ow=='; eval(base64_decode($x));`,
			[]want{{"variable>base64", echo1}}},
		{"variable function", `<?php $f = 'base6'; $f .= '4_decode'; eval($f('ZWNobyAxOw=='));`,
			[]want{{"base64", echo1}}},
		{"escaped variable function (FOPO style)", `<?php $f="` + hexEscapes("base64_decode") + `";@eval($f("` + b64(echo1) + `"));`,
			[]want{{"base64", echo1}, {"escapes", `<?php $f="base64_decode";@eval($f("` + b64(echo1) + `"));`}}},
		{"escapes layer, octal", `<?php $f = "` + octalEscapes("strrev") + `"; $g = "\x41\x42\x43";`,
			[]want{{"escapes", `<?php $f = "strrev"; $g = "\x41\x42\x43";`}}},
		{"eval of escaped code", `<?php eval("` + hexEscapes(echo1) + `");`,
			[]want{{"escapes", echo1}, {"escapes", `<?php eval("` + echo1 + `");`}}},
		{"chr layer", `<?php $f = chr(101).chr(118).chr(97).chr(108); $g = chr(65);`,
			[]want{{"chr", `<?php $f = "eval"; $g = chr(65);`}}},
		{"chr layer with literals", `<?php $f = "".chr(101).'v'."\x61".chr(108).chr(40).chr(41);`,
			[]want{{"chr", `<?php $f = "eval()";`}}},
		{"str_replace helper", `<?php $f = str_replace('q', '', 'bqaqsqeq6q4q_qdqeqcqoqdqe'); eval($f('ZWNobyAxOw=='));`,
			[]want{{"base64", echo1}}},
		{"chr arithmetic", `<?php eval(base64_decode(chr((180-90)) . chr(0x57) . chr(2*39) . 'obyAxOw=='));`,
			[]want{{"chr>base64", echo1}}},
		{"fragment with an xml declaration", `$x = '<?xml version="1.0"?>'; eval(base64_decode('ZWNobyAxOw=='));`,
			[]want{{"base64", echo1}}},
		{"implode char array", `<?php $f = implode('', array('e','v','a','l'));`, []want{{"join", "eval"}}},
		{"join short array", `<?php $f = join("", ['a','b']);`, []want{{"join", "ab"}}},
		{"join builds an argument", `<?php eval(base64_decode(implode('', ['ZW','No','by','Ax','Ow'])));`,
			[]want{{"join>base64", echo1}}},
		{"preg_replace /e", `<?php preg_replace('/.*/e', 'echo "hi";', '');`, []want{{"preg_replace/e", `echo "hi";`}}},
		{"preg_replace /e escaped", `<?php preg_replace("/x/ie", "` + hexEscapes(echo1) + `", "x");`,
			[]want{{"escapes>preg_replace/e", echo1}, {"escapes", `<?php preg_replace("/x/ie", "` + echo1 + `", "x");`}}},
		{"preg_replace /e decodes its replacement", `<?php preg_replace('#a#e', base64_decode('ZWNobyAxOw=='), 'a');`,
			[]want{{"base64>preg_replace/e", echo1}}},
		{"create_function", `<?php $g = create_function('$a', "` + hexEscapes(echo1) + `");`,
			[]want{{"escapes", echo1}, {"escapes", `<?php $g = create_function('$a', "` + echo1 + `");`}}},
		{"eval with close tag prefix", `<?php eval("?>".base64_decode("` + b64(hello) + `"));`,
			[]want{{"base64", "?>" + hello}}},
		{"heredoc argument", "<?php $x = <<<EOT\n" + b64(echo1) + "\nEOT;\neval(base64_decode($x));",
			[]want{{"variable>base64", echo1}}},
		{"nowdoc argument", "<?php eval(base64_decode(<<<'EOT'\n  " + b64(echo1) + "\n  EOT));",
			[]want{{"base64", echo1}}},
		{"inline HTML around code", `<html>don't <?php eval(base64_decode('ZWNobyAxOw==')); ?> it's</html>`,
			[]want{{"base64", echo1}}},
		{"bare code without open tag", `eval(base64_decode('ZWNobyAxOw=='));`, []want{{"base64", echo1}}},
		{"comment ended by a lone CR", "<?php // comment\reval(base64_decode('ZWNobyAxOw=='));", []want{{"base64", echo1}}},
		{"nested layers", `<?php eval(base64_decode('` + b64(nested) + `'));`,
			[]want{{"base64", nested}, {"base64>base64", echo1}}},
		{"nested layer sees outer variables", `<?php $p = '` + b64(echo1) + `'; eval(base64_decode('` + b64("eval(base64_decode($p));") + `'));`,
			[]want{{"base64", "eval(base64_decode($p));"}, {"base64>variable>base64", echo1}}},
		{"identical data is returned once", `<?php eval(base64_decode('` + b64(nested) + `')); ` + nested,
			[]want{{"base64", nested}, {"base64>base64", echo1}}},
		{"decoder fails: last good result", `<?php eval(gzinflate(base64_decode('aGVsbG8gd29ybGQ=')));`,
			[]want{{"base64", "hello world"}}},
		{"blob", `<?php $data = '` + b64(long) + `'; // never used`, []want{{"blob>base64", long}}},
		{"blob compressed", `<?php $data = "` + b64(deflateRaw(words)) + `";`,
			[]want{{"blob>base64>gzinflate", words}}},
		{"blob used through a variable is not a blob", `<?php $d = '` + b64(long) + `'; echo base64_decode($d);`,
			[]want{{"variable>base64", long}}},
		{"wordpress-like data URI", `<?php $img = base64_decode( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' );`,
			nil}, // checked separately: some binary layer, fine
		{"nested calls within budget", `<?php eval(strrev(strrev(strrev(strrev(base64_decode('ZWNobyAxOw=='))))));`,
			[]want{{"base64>strrev>strrev>strrev>strrev", echo1}}},

		// Negative cases: nothing static to decode.
		{"non-literal argument", `<?php $s = base64_decode($input); echo $s;`, []want{}},
		{"strrev of unknown", `<?php $n = strrev($name);`, []want{}},
		{"function parameter", `<?php function d($x) { return gzinflate(base64_decode($x)); }`, []want{}},
		{"reassigned to unknown", `<?php $x = 'ZWNobyAxOw=='; $x = $_GET['x']; eval(base64_decode($x));`, []want{}},
		{"in a comment", "<?php // eval(base64_decode('ZWNobyAxOw=='));\n/* eval(base64_decode('ZWNobyAxOw==')); */ # base64_decode('ZWNobyAxOw==')", []want{}},
		{"in a string", `<?php $doc = "call eval(base64_decode('ZWNobyAxOw==')) to decode";`, []want{}},
		{"inline HTML only", `<p>eval(base64_decode('ZWNobyAxOw=='))</p><?php echo 1; ?>`, []want{}},
		{"method of the same name", `<?php $o->base64_decode('ZWNobyAxOw=='); Foo::strrev('abc');`, []want{}},
		{"interpolated string", `<?php eval(base64_decode("ZWNobyAx$x"));`, []want{}},
		{"plain eval of a literal", `<?php eval('echo 1;'); $code = 'echo 2;'; eval($code);`, []want{}},
		{"implode with a glue", `<?php echo implode(', ', array('a', 'b'));`, []want{}},
		{"preg_replace without e", `<?php preg_replace('/e/', 'x', $s);`, []want{}},
		{"three escapes only", `<?php $s = "\x41\x42\x43";`, []want{}},
		{"three chr only", `<?php $s = chr(65).chr(66).chr(67);`, []want{}},
		{"short base64 literal is no blob", `<?php $k = '` + b64("short text") + `';`, []want{}},
		{"long non-base64 literal is no blob", `<?php $k = '` + long + `';`, []want{}},
		{"empty", ``, []want{}},
	}, bitwiseLayerCases()...)
}

func chains(layers []Layer) []want {
	got := []want{}
	for _, l := range layers {
		got = append(got, want{strings.Join(l.Chain, ">"), string(l.Data)})
	}
	return got
}

func TestLayers(t *testing.T) {
	for _, tc := range layerCases() {
		t.Run(tc.name, func(t *testing.T) {
			layers := Layers([]byte(tc.in), Budget{})
			checkBudget(t, tc.name, layers, Budget{})
			if tc.want == nil {
				return
			}
			if got := chains(layers); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("layers:\n got  %s\n want %s", show(got), show(tc.want))
			}
		})
	}
}

func show(ws []want) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "\n   [%s] %q", w.chain, w.data)
	}
	return b.String()
}

func TestWordPressLikeDataURI(t *testing.T) {
	in := `<?php $img = base64_decode( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' );`
	layers := Layers([]byte(in), Budget{})
	if len(layers) != 1 || !reflect.DeepEqual(layers[0].Chain, []string{StepBase64}) || !bytes.HasPrefix(layers[0].Data, []byte("\x89PNG")) {
		t.Fatalf("got %v", chains(layers))
	}
}

// TestDataDoesNotAlias checks that layers never share memory with the input
// (the caller's buffer is pooled and reused).
func TestDataDoesNotAlias(t *testing.T) {
	in := []byte(`<?php preg_replace('/.*/e', 'echo "hi";', ''); $f = implode('', array('e','v','a','l'));`)
	layers := Layers(in, Budget{})
	if len(layers) == 0 {
		t.Fatal("no layers")
	}
	for i := range in {
		in[i] = 'X'
	}
	for _, l := range layers {
		if bytes.Contains(l.Data, []byte("XXX")) {
			t.Errorf("layer %v aliases the input: %q", l.Chain, l.Data)
		}
	}
}

func TestBase64Lenient(t *testing.T) {
	b := &budget{left: 1 << 20}
	for in, want := range map[string]string{
		"ZWNobyAxOw==":     echo1,
		"ZWNobyAxOw":       echo1,
		"Z W N o\nbyAxOw=": echo1,
		"ZWNo=byAxOw==":    echo1,    // padding in the middle is skipped
		"ZWNobyAxZ":        "echo 1", // a lone trailing character is dropped
		"-_ZWNobyAxOw==":   echo1,    // URL-safe characters are not base64: skipped
		"":                 "",
	} {
		got, ok := base64Decode(b, []byte(in))
		if !ok || string(got) != want {
			t.Errorf("base64Decode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestUnescapeDouble(t *testing.T) {
	for in, want := range map[string]string{
		`\x41\101\u{263A}\n\t\\\$\"`: "AA\u263a\n\t\\$\"",
		`\q\x\u{zz}`:                 `\q\x\u{zz}`,
		`\400\0`:                     "\x00\x00",
		`\xfg`:                       "\x0fg",
	} {
		if got := string(unescapeDouble([]byte(in), '"')); got != want {
			t.Errorf("unescapeDouble(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{"101": 101, "0x65": 101, "0145": 101, "0o145": 101, "0b1100101": 101, "1_01": 101} {
		if got, ok := parseInt([]byte(in)); !ok || got != want {
			t.Errorf("parseInt(%q) = %d, %v", in, got, ok)
		}
	}
	if _, ok := parseInt([]byte("1.5")); ok {
		t.Error("parseInt accepted a float")
	}
}

func TestPregHasE(t *testing.T) {
	for in, want := range map[string]bool{
		"/.*/e": true, "#x#ie": true, "(a)e": true, "{a}se": true, "/e/": false, "/a/i": false, "abc": false, "/a/i e": true, "/a/x)": false,
	} {
		if got := pregHasE([]byte(in)); got != want {
			t.Errorf("pregHasE(%q) = %v", in, got)
		}
	}
}
