package decode

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// budget is the shared allowance of one Layers call. Every byte the package
// allocates for a decoded or evaluated value is taken from it before the
// allocation, so a hostile buffer cannot make Layers allocate more than
// MaxBytes of output (plus bounded bookkeeping).
//
// Two more allowances bound what is not kept. work pays for bytes scanned or
// hashed again whatever the tokens read (a decoder or str_replace run on a
// variable's value, the hash of a layer): a two-byte "$x" can stand for
// megabytes, so without it a file of many small "hex2bin($x);" statements
// would cost the size of $x each. churn pays for evaluated values thrown
// away (a long concatenation that fails at its last part): once it is spent,
// what is given back stays spent, so take-and-give cycles cannot repeat
// without end.
type budget struct {
	left  int
	work  int
	churn int
}

// newBudget returns the allowance for a buffer of n bytes. The work an
// honest file needs is about a pass over the input and a few over the
// output (decoders reading earlier decoders' output, layers hashed); it
// rarely throws away a value of any size.
func newBudget(n, maxBytes int) budget {
	return budget{left: maxBytes, work: 2*n + 4*maxBytes, churn: maxBytes}
}

// take reserves n bytes; it reports false when fewer than n are left.
func (b *budget) take(n int) bool {
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

// give returns n bytes taken for a value that was thrown away, as far as
// the churn allowance goes.
func (b *budget) give(n int) {
	if n <= 0 {
		return
	}
	back := min(n, b.churn)
	b.churn -= back
	b.left += back
}

// refund returns n bytes taken but not used: the spare capacity of a
// decoder's output, or the output of one that failed. Its cost is in
// proportion to input already paid for (tokens read, or work spent).
func (b *budget) refund(n int) { b.left += max(n, 0) }

// spend charges n bytes of scanning or hashing; it reports false (and the
// caller skips the work) when the allowance cannot pay for it.
func (b *budget) spend(n int) bool {
	if n > b.work {
		b.work = 0
		return false
	}
	b.work -= n
	return true
}

// alloc returns a zero-length slice with capacity n taken from the budget.
func (b *budget) alloc(n int) ([]byte, bool) {
	if !b.take(n) {
		return nil, false
	}
	return make([]byte, 0, n), true
}

// b64val maps a byte to its base64 value, or -1.
var b64val = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = int8(i)
	}
	return t
}()

// base64Decode mimics PHP's non-strict base64_decode: bytes outside the
// standard alphabet (white space, '=', '-', '_', anything) are skipped, and
// padding is optional. A trailing group of one character is dropped.
func base64Decode(b *budget, s []byte) ([]byte, bool) {
	out, ok := b.alloc(len(s) * 3 / 4)
	if !ok {
		return nil, false
	}
	var acc uint32
	bits := 0
	for _, c := range s {
		v := b64val[c]
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	b.refund(cap(out) - len(out))
	return out[:len(out):len(out)], true
}

// rot13 is str_rot13.
func rot13(b *budget, s []byte) ([]byte, bool) {
	out, ok := b.alloc(len(s))
	if !ok {
		return nil, false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			c = 'a' + (c-'a'+13)%26
		case c >= 'A' && c <= 'Z':
			c = 'A' + (c-'A'+13)%26
		}
		out = append(out, c)
	}
	return out, true
}

// strrev reverses bytes, as PHP's strrev does.
func strrev(b *budget, s []byte) ([]byte, bool) {
	out, ok := b.alloc(len(s))
	if !ok {
		return nil, false
	}
	for i := len(s) - 1; i >= 0; i-- {
		out = append(out, s[i])
	}
	return out, true
}

// urlDecode is urldecode (plus=true: '+' is a space) or rawurldecode.
// Malformed % sequences are kept as they are, as PHP does.
func urlDecode(b *budget, s []byte, plus bool) ([]byte, bool) {
	out, ok := b.alloc(len(s))
	if !ok {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+' && plus:
			c = ' '
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		out = append(out, c)
	}
	b.refund(cap(out) - len(out))
	return out[:len(out):len(out)], true
}

// hexDecode is hex2bin (strict: even length, hex digits only) or
// pack('H*')/pack('h*') (lowFirst: low nibble first; an odd final digit is
// padded with 0; an illegal digit fails, where PHP warns and packs garbage).
func hexDecode(b *budget, s []byte, lowFirst, strict bool) ([]byte, bool) {
	if strict && len(s)%2 != 0 {
		return nil, false
	}
	for _, c := range s {
		if !isHex(c) {
			return nil, false
		}
	}
	out, ok := b.alloc((len(s) + 1) / 2)
	if !ok {
		return nil, false
	}
	for i := 0; i < len(s); i += 2 {
		hi, lo := unhex(s[i]), byte(0)
		if i+1 < len(s) {
			lo = unhex(s[i+1])
		}
		if lowFirst {
			hi, lo = lo, hi
		}
		out = append(out, hi<<4|lo)
	}
	return out, true
}

// uudecode is PHP's convert_uudecode: lines whose first byte encodes the
// line's length, four 6-bit characters per three bytes, a "`" or " " line
// ending the data. It fails where PHP does: on an empty input or a line that
// claims more bytes than it holds.
func uudecode(b *budget, s []byte) ([]byte, bool) {
	if len(s) == 0 {
		return nil, false
	}
	out, ok := b.alloc(len(s) * 3 / 4)
	if !ok {
		return nil, false
	}
	dec := func(c byte) byte { return (c - ' ') & 0x3f }
	for len(s) > 0 {
		n := int(dec(s[0]))
		if n == 0 {
			break
		}
		line := s[1:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			s = line[i+1:]
			line = line[:i]
		} else {
			s = nil
		}
		need := (n + 2) / 3 * 4
		if len(line) < need {
			// PHP tolerates a short last group only.
			if len(line) < (n*4+2)/3 {
				b.refund(cap(out) - len(out))
				return nil, false
			}
			pad := make([]byte, need)
			copy(pad, line)
			line = pad
		}
		for i := 0; n > 0; i += 4 {
			q := [4]byte{dec(line[i]), dec(line[i+1]), dec(line[i+2]), dec(line[i+3])}
			three := [3]byte{q[0]<<2 | q[1]>>4, q[1]<<4 | q[2]>>2, q[2]<<6 | q[3]}
			k := min(n, 3)
			out = append(out, three[:k]...)
			n -= k
		}
	}
	b.refund(cap(out) - len(out))
	if len(out) == 0 {
		return nil, false
	}
	return out[:len(out):len(out)], true
}

// flateReaders pools raw DEFLATE readers: a reader holds ~40 KB of tables.
var flateReaders = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

// errTruncated marks output cut at the budget; the data is still returned.
var errTruncated = errors.New("decode: output truncated at budget")

// inflateRaw inflates raw DEFLATE data (PHP gzinflate) into at most b.left
// bytes. Output cut at the budget is returned with errTruncated; a stream
// that ends early (truncated input) yields what it decoded; corrupt data
// fails.
func inflateRaw(b *budget, src []byte) ([]byte, error) {
	if b.left <= 0 {
		return nil, errTruncated
	}
	fr := flateReaders.Get().(io.ReadCloser)
	defer func() {
		fr.(flate.Resetter).Reset(bytes.NewReader(nil), nil) // do not pin src
		flateReaders.Put(fr)
	}()
	if err := fr.(flate.Resetter).Reset(bytes.NewReader(src), nil); err != nil {
		return nil, err
	}
	limit := b.left
	// Start at the input's size and grow by doubling, never past the limit:
	// capacity, not length, is what is charged, so the allocation itself
	// stays within budget. (Starting at a typical ratio of 4 saved a copy,
	// but cost four times the input for every stream that fails or is
	// empty, which the work allowance, charged for the input, did not see.)
	size := min(limit, max(512, len(src)))
	out := make([]byte, 0, size)
	charged := size
	b.left -= size
	var err error
	for {
		if len(out) == cap(out) {
			if cap(out) >= limit {
				// Full: one more byte means the output exceeds the budget.
				var one [1]byte
				if k, _ := fr.Read(one[:]); k > 0 {
					err = errTruncated
				}
				break
			}
			grow := min(cap(out), limit-cap(out))
			bigger := make([]byte, len(out), cap(out)+grow)
			copy(bigger, out)
			out = bigger
			charged += grow
			b.left -= grow
		}
		k, rerr := fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+k]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if errors.Is(rerr, io.ErrUnexpectedEOF) && len(out) > 0 {
				break // truncated input: keep what decoded
			}
			b.refund(charged)
			return nil, rerr
		}
	}
	// Charge what was kept; give back spare capacity by trimming it off
	// (doubling leaves up to half the capacity unused: the budget of deep
	// droppers, layer after layer, is spent on output, not on slack).
	if spare := cap(out) - len(out); spare > 64 && spare > len(out)/16 {
		trimmed := make([]byte, len(out))
		copy(trimmed, out)
		out = trimmed
	}
	b.refund(charged - cap(out))
	return out[:len(out):len(out)], err
}

// zlibBody checks a zlib header (PHP gzuncompress) and returns the raw
// DEFLATE stream after it. The Adler-32 trailer is not checked.
func zlibBody(s []byte) ([]byte, bool) {
	if len(s) < 2 || s[0]&0x0f != 8 || s[0]>>4 > 7 || (uint(s[0])<<8|uint(s[1]))%31 != 0 || s[1]&0x20 != 0 {
		return nil, false
	}
	return s[2:], true
}

// gzipBody parses a gzip member header (PHP gzdecode) and returns the raw
// DEFLATE stream after it. The CRC trailer is not checked.
func gzipBody(s []byte) ([]byte, bool) {
	if len(s) < 10 || s[0] != 0x1f || s[1] != 0x8b || s[2] != 8 {
		return nil, false
	}
	flg := s[3]
	i := 10
	if flg&4 != 0 { // FEXTRA
		if i+2 > len(s) {
			return nil, false
		}
		i += 2 + (int(s[i]) | int(s[i+1])<<8)
	}
	for _, bit := range []byte{8, 16} { // FNAME, FCOMMENT: zero-terminated
		if flg&bit != 0 {
			if i > len(s) {
				return nil, false
			}
			j := bytes.IndexByte(s[i:], 0)
			if j < 0 {
				return nil, false
			}
			i += j + 1
		}
	}
	if flg&2 != 0 { // FHCRC
		i += 2
	}
	if i > len(s) {
		return nil, false
	}
	return s[i:], true
}

// isZlib and isGzip recognise the first bytes of a compressed stream.
func isZlib(s []byte) bool { _, ok := zlibBody(s); return ok }
func isGzip(s []byte) bool { return len(s) >= 3 && s[0] == 0x1f && s[1] == 0x8b && s[2] == 8 }

type fnKind uint8

const (
	fnUnary   fnKind = iota // decoder of its first argument; further arguments ignored
	fnPack                  // pack('H*'|'h*', data)
	fnChr                   // chr(int)
	fnJoin                  // implode/join(glue, array) or (array)
	fnSubstr                // substr(s, start[, length]): helper, adds no step
	fnReplace               // str_replace(search, replace, subject) on strings: helper, adds no step
	fnEval                  // eval/assert(code): entry only
	fnCreate                // create_function(args, code): entry only
	fnPreg                  // preg_replace(pattern, replacement, ...): entry only
)

type fnSpec struct {
	kind  fnKind
	step  string
	apply func(b *budget, s []byte) ([]byte, bool)
}

func inflateFn(body func([]byte) ([]byte, bool)) func(*budget, []byte) ([]byte, bool) {
	return func(b *budget, s []byte) ([]byte, bool) {
		// Inflating costs several times a scan per input byte (a stream of
		// empty stored blocks: 5 bytes of parsing each, no output).
		if !b.spend(inflateCost * len(s)) {
			return nil, false
		}
		if body != nil {
			var ok bool
			if s, ok = body(s); !ok {
				return nil, false
			}
		}
		out, err := inflateRaw(b, s)
		if err != nil && err != errTruncated {
			return nil, false
		}
		return out, len(out) > 0 || err == nil
	}
}

// inflateCost is the work charged per input byte of an inflate, on top of
// the scan charged for every decoder.
const inflateCost = 3

// funcs lists the functions evaluated, by lower-case name.
var funcs = map[string]fnSpec{
	"base64_decode":    {fnUnary, StepBase64, base64Decode},
	"gzinflate":        {fnUnary, StepGzinflate, inflateFn(nil)},
	"gzuncompress":     {fnUnary, StepGzuncompress, inflateFn(zlibBody)},
	"gzdecode":         {fnUnary, StepGzdecode, inflateFn(gzipBody)},
	"str_rot13":        {fnUnary, StepRot13, rot13},
	"strrev":           {fnUnary, StepStrrev, strrev},
	"urldecode":        {fnUnary, StepUrldecode, func(b *budget, s []byte) ([]byte, bool) { return urlDecode(b, s, true) }},
	"rawurldecode":     {fnUnary, StepRawurldecode, func(b *budget, s []byte) ([]byte, bool) { return urlDecode(b, s, false) }},
	"hex2bin":          {fnUnary, StepHex, func(b *budget, s []byte) ([]byte, bool) { return hexDecode(b, s, false, true) }},
	"convert_uudecode": {fnUnary, StepUudecode, uudecode},
	"pack":             {kind: fnPack, step: StepHex},
	"chr":              {kind: fnChr, step: StepChr},
	"implode":          {kind: fnJoin, step: StepJoin},
	"join":             {kind: fnJoin, step: StepJoin},
	"substr":           {kind: fnSubstr},
	"str_replace":      {kind: fnReplace},
	"eval":             {kind: fnEval},
	"assert":           {kind: fnEval},
	"create_function":  {kind: fnCreate},
	"preg_replace":     {kind: fnPreg, step: StepPregReplaceE},
}

// funcInitials has bit c-'a' of entry n set when a function in funcs has a
// name of n bytes starting with c: a cheap filter for the scanner, which
// sees every identifier of the buffer.
var funcInitials = func() (t [32]uint32) {
	for name := range funcs {
		t[len(name)] |= 1 << (name[0] - 'a')
	}
	return t
}()

// maybeFunc reports whether name could be in funcs.
func maybeFunc(name []byte) bool {
	if len(name) >= len(funcInitials) {
		return false
	}
	c := name[0] | 0x20
	return c >= 'a' && c <= 'z' && funcInitials[len(name)]&(1<<(c-'a')) != 0
}

// lookupFunc finds a function by case-insensitive name without allocating.
func lookupFunc(name []byte) (fnSpec, bool) {
	var low [24]byte
	if len(name) == 0 || len(name) > len(low) {
		return fnSpec{}, false
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	f, ok := funcs[string(low[:len(name)])]
	return f, ok
}
