package decode

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
)

// Builders for harmless test droppers. Every payload in the tests is made
// here from plain strings such as `echo "hello";`: no real web shell is
// stored in the repository.

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// compressed returns s written through the compressor w makes.
func compressed(s string, w func(io.Writer) io.WriteCloser) string {
	var buf bytes.Buffer
	zw := w(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.String()
}

func deflateRaw(s string) string {
	return compressed(s, func(w io.Writer) io.WriteCloser {
		fw, _ := flate.NewWriter(w, flate.BestCompression)
		return fw
	})
}

func zlibOf(s string) string {
	return compressed(s, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
}

func gzipOf(s string) string {
	return compressed(s, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
}

func rot(s string) string {
	out, _ := rot13(&budget{left: len(s)}, []byte(s))
	return string(out)
}

func rev(s string) string {
	out, _ := strrev(&budget{left: len(s)}, []byte(s))
	return string(out)
}

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

// hexLowFirst is the input of pack('h*'): each byte low nibble first.
func hexLowFirst(s string) string {
	h := []byte(hex.EncodeToString([]byte(s)))
	for i := 0; i+1 < len(h); i += 2 {
		h[i], h[i+1] = h[i+1], h[i]
	}
	return string(h)
}

// uuencode produces what PHP's convert_uuencode does.
func uuencode(s string) string {
	enc := func(b byte) byte {
		if b == 0 {
			return '`'
		}
		return b + ' '
	}
	var out strings.Builder
	for len(s) > 0 {
		n := min(45, len(s))
		line := s[:n]
		s = s[n:]
		out.WriteByte(enc(byte(n)))
		for i := 0; i < len(line); i += 3 {
			var g [3]byte
			copy(g[:], line[i:])
			out.WriteByte(enc(g[0] >> 2))
			out.WriteByte(enc((g[0]<<4 | g[1]>>4) & 0x3f))
			out.WriteByte(enc((g[1]<<2 | g[2]>>6) & 0x3f))
			out.WriteByte(enc(g[2] & 0x3f))
		}
		out.WriteByte('\n')
	}
	out.WriteString("`\n")
	return out.String()
}

// hexEscapes writes s as \xHH escapes.
func hexEscapes(s string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		out.WriteString(`\x`)
		out.WriteString(hex.EncodeToString([]byte{s[i]}))
	}
	return out.String()
}

// octalEscapes writes s as \NNN escapes.
func octalEscapes(s string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		out.WriteString(`\`)
		out.WriteByte('0' + s[i]>>6)
		out.WriteByte('0' + s[i]>>3&7)
		out.WriteByte('0' + s[i]&7)
	}
	return out.String()
}

// chrChain writes s as chr(N).chr(N)...
func chrChain(s string) string {
	parts := make([]string, len(s))
	for i := 0; i < len(s); i++ {
		parts[i] = "chr(" + itoa(int(s[i])) + ")"
	}
	return strings.Join(parts, ".")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// bitWriter writes a DEFLATE bit stream (LSB first).
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// huff writes a Huffman code, most significant bit first.
func (w *bitWriter) huff(code uint64, n uint) {
	var r uint64
	for i := uint(0); i < n; i++ {
		r = r<<1 | code>>i&1
	}
	w.bits(r, n)
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
	}
	return w.out
}

// deflateBomb returns a raw DEFLATE stream of one fixed-Huffman block that
// inflates to 1 + 258*copies zero bytes (13 bits per 258 bytes), made
// without compressing anything.
func deflateBomb(copies int) []byte {
	w := &bitWriter{out: make([]byte, 0, copies*13/8+16)}
	w.bits(1, 1)       // BFINAL
	w.bits(1, 2)       // BTYPE=01 fixed Huffman
	w.huff(0x30, 8)    // literal 0
	for range copies { // length 258 (code 285), distance 1 (code 0)
		w.huff(0xc5, 8)
		w.huff(0, 5)
	}
	w.huff(0, 7) // end of block
	return w.flush()
}

// sq escapes s for a single-quoted PHP literal.
func sq(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// pseudoWords returns n words of text that compresses poorly.
func pseudoWords(n int) string {
	const syl = "ba ke ri so tu ne ma li po ga de fi"
	parts := strings.Fields(syl)
	x := uint32(2463534242)
	var b strings.Builder
	for i := 0; i < n; i++ {
		for k := 0; k < 3; k++ {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			b.WriteString(parts[x%uint32(len(parts))])
		}
		b.WriteByte(" \n"[min(1, int(x>>8)%9/8)])
	}
	return b.String()
}
