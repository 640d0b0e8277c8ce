package decode

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/testenv"
)

// benignDir holds unpacked real PHP applications (read-only, outside the
// repo); benchmarks that need it skip when it is absent.
const benignDir = "/var/tmp/spamgear-bench/real-apps"

// prefilterHit mimics the caller's prefilter: Layers runs only on files
// that mention a decoder or an escape.
func prefilterHit(buf []byte) bool {
	low := bytes.ToLower(buf)
	for _, k := range []string{"base64_decode", "gzinflate", "gzuncompress", "str_rot13", "strrev", "chr(", `\x`, "preg_replace", "urldecode", "hex2bin", "pack(", "convert_uudecode", "implode("} {
		if bytes.Contains(low, []byte(k)) {
			return true
		}
	}
	return false
}

// benignFiles loads up to limit bytes of PHP files that pass the prefilter.
func benignFiles(tb testing.TB, limit int) [][]byte {
	tb.Helper()
	if _, err := os.Stat(benignDir); err != nil {
		tb.Skipf("no benign corpus: %v", err)
	}
	return testenv.PHPFiles(tb, benignDir, limit, prefilterHit)
}

// BenchmarkLayersBenign runs Layers over real application PHP that passes
// the prefilter (WordPress, phpMyAdmin, MediaWiki, ...).
func BenchmarkLayersBenign(b *testing.B) {
	files := benignFiles(b, 64<<20)
	b.SetBytes(testenv.TotalLen(files))
	b.ReportAllocs()
	b.ResetTimer()
	layers := 0
	for range b.N {
		for _, f := range files {
			layers += len(Layers(f, Budget{}))
		}
	}
	b.ReportMetric(float64(layers)/float64(b.N), "layers/op")
	b.ReportMetric(float64(len(files)), "files")
}

// BenchmarkLayersTypical50K is a synthetic 50 KB PHP file in the style of
// a big application: calls, strings, base64_decode of variables, chr() and
// preg_replace, nothing decodable.
func BenchmarkLayersTypical50K(b *testing.B) {
	unit := `<?php
/**
 * Sanitizes a title, replacing whitespace and a few other characters with dashes.
 */
function sanitize_title_with_dashes( $title, $raw_title = '', $context = 'display' ) {
	$title = strip_tags( $title );
	// Preserve escaped octets.
	$title = preg_replace( '|%([a-fA-F0-9][a-fA-F0-9])|', '---$1---', $title );
	$title = str_replace( '%', '', $title );
	if ( seems_utf8( $title ) ) {
		if ( function_exists( 'mb_strtolower' ) ) {
			$title = mb_strtolower( $title, 'UTF-8' );
		}
		$title = utf8_uri_encode( $title, 200 );
	}
	$data = base64_decode( $encoded, true );
	$sep = chr( 10 ) . "\t" . implode( ', ', $parts );
	$title = strtolower( $title );
	return $title . "\n";
}
`
	buf := []byte(strings.Repeat(unit, 50<<10/len(unit)))
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for range b.N {
		if n := len(Layers(buf, Budget{})); n != 0 {
			b.Fatalf("%d layers", n)
		}
	}
}

// BenchmarkLexer measures the tokenizer alone on the benign corpus.
func BenchmarkLexer(b *testing.B) {
	files := benignFiles(b, 16<<20)
	b.SetBytes(testenv.TotalLen(files))
	b.ResetTimer()
	for range b.N {
		for _, f := range files {
			lx := newLexer(f, startsHTML(f, false))
			for t := lx.next(); t.kind != tEOF; t = lx.next() {
			}
		}
	}
}
