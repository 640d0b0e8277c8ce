package decode

import (
	"crypto/sha256"
)

// Layer is one piece of a buffer that decoding revealed.
type Layer struct {
	// Chain lists the decoders undone to reach Data, in the order they were
	// undone, across nesting: e.g. ["base64", "gzinflate"], then for a layer
	// found inside that one ["base64", "gzinflate", "base64"]. Step names are
	// the Step* constants.
	Chain []string
	// Data is the decoded text. It never aliases the buffer given to Layers,
	// but layers may share memory with each other: treat it as read-only.
	Data []byte
}

// Budget bounds the work done on one buffer. Fields that are zero (or
// negative) take their defaults.
//
// Work that allocates nothing it keeps is bounded too: scanning or hashing
// a value again (a decoder run on a variable's value, the hash that drops a
// duplicate layer) by twice the input plus four times MaxBytes, values built
// and then thrown away by MaxBytes. A file cannot make Layers redo megabytes
// of work for each two-byte "$x" it holds.
type Budget struct {
	MaxDepth  int // nesting of decoded-in-decoded layers (default 12, at most 256)
	MaxLayers int // layers returned (default 64)
	MaxBytes  int // total bytes of all decoded output, including intermediate results (default 16 MiB)
}

// Budget defaults and limits.
const (
	DefaultMaxDepth  = 12
	DefaultMaxLayers = 64
	DefaultMaxBytes  = 16 << 20
	// MaxDepthLimit caps Budget.MaxDepth: each level of nesting is a level of
	// recursion.
	MaxDepthLimit = 256
)

func (b Budget) withDefaults() Budget {
	if b.MaxDepth <= 0 {
		b.MaxDepth = DefaultMaxDepth
	}
	b.MaxDepth = min(b.MaxDepth, MaxDepthLimit)
	if b.MaxLayers <= 0 {
		b.MaxLayers = DefaultMaxLayers
	}
	if b.MaxBytes <= 0 {
		b.MaxBytes = DefaultMaxBytes
	}
	return b
}

// MaxChain is the longest Chain a layer can have under budget b: each level
// of nesting adds at most maxExprSteps steps.
func MaxChain(b Budget) int {
	return b.withDefaults().MaxDepth * maxExprSteps
}

// Layers returns the layers decoded from buf, depth first (a layer is
// followed by the layers decoded from it), within b. It never executes
// code: it evaluates only pure string functions whose arguments are
// literals, concatenations of literals, char-array joins or variables
// assigned such values earlier. Safe for concurrent use.
//
// What is recognised:
//   - Calls of base64_decode (lenient, as PHP's), gzinflate, gzuncompress,
//     gzdecode, str_rot13, strrev, urldecode, rawurldecode, hex2bin,
//     pack('H*'|'h*', ...) and convert_uudecode, nested to any depth (up to
//     32 levels within one expression), called by name (any case, with '@'
//     or a leading '\') or through a variable holding the name; extra
//     arguments are ignored. Arguments are literals ('...', "...",
//     heredoc, nowdoc), concatenations, chr(N) (N may be arithmetic),
//     implode/join of an array literal, variables, the bitwise string
//     operators ^ | & ~ (step "xor", see below), and the helpers substr and
//     str_replace (which add no step). One layer per outermost decoded
//     expression, whether or not it is wrapped in eval. If a decoder fails
//     on bad data, the last good result is the layer (if some decoder
//     succeeded before it), else there is none.
//   - eval, assert and create_function of a static string that needed any
//     decoding (escapes, chr(), a join): the code is a layer.
//   - preg_replace with an /e pattern: the replacement (code) is a layer.
//   - implode/join of a literal array of short pieces with an empty glue.
//   - Assignments "$x = <static expression>;", "$x .= ...;" and "$x ^= ...;"
//     (also |= and &=; last assignment wins; eval'd code sees its decoder's
//     variables).
//   - Bitwise operators on strings, as PHP applies them to bytes: ^ and &
//     as long as the shorter operand, | as the longer, ~ byte by byte, with
//     PHP's precedence ('.' binds tighter than &, then ^, then |). A bare
//     word (an undefined constant, which PHP before 8 reads as its name) is
//     an operand of these only, and two operands both in the style of real
//     constants (E_ALL | E_STRICT) are flags, not evaluated. A result that
//     is shorter than 4 bytes or not text is an operand for the next
//     operator, not a layer.
//   - One "escapes" layer per buffer: a copy in which every double-quoted
//     literal with at least 4 numeric escapes has them decoded; one "chr"
//     layer: a copy in which every concatenation with at least 4 chr(N)
//     calls is replaced by the quoted string. These two are not decoded
//     again: everything in them was evaluated in the buffer they copy.
//   - "blob": a literal of 256 bytes or more, (almost) all base64, not used
//     by a decoded expression, whose decoding (inflated if it is
//     compressed) is mostly printable or holds "<?php".
//
// Every layer is decoded again at the next depth, up to MaxDepth. A layer
// whose Data was already returned (or equals buf) is dropped and not
// decoded again, so self-reproducing input cannot loop.
func Layers(buf []byte, b Budget) []Layer {
	b = b.withDefaults()
	st := &state{opts: b, b: newBudget(len(buf), b.MaxBytes), root: buf}
	s := &scanner{st: st, buf: buf, scope: &scope{}}
	s.run()
	return st.out
}

// state is shared by the scanners of one Layers call.
type state struct {
	opts  Budget
	b     budget
	out   []Layer
	seen  map[[sha256.Size]byte]bool
	root  []byte
	nvars int  // variables recorded (see maxVars)
	stop  bool // MaxLayers reached or budget spent
}

// emit records a layer found by s and, if decode is set and depth allows,
// decodes it in turn before s goes on (depth first).
func (st *state) emit(s *scanner, data []byte, owned bool, chain []string, decode bool) {
	if st.stop || len(data) == 0 {
		return
	}
	if st.seen == nil {
		st.seen = map[[sha256.Size]byte]bool{sha256.Sum256(st.root): true}
	}
	// The same data can come back any number of times (a variable holding a
	// decoded value, copied by every "$y = $x;"): hashing it is work.
	if !st.b.spend(len(data)) {
		return
	}
	sum := sha256.Sum256(data)
	if st.seen[sum] {
		return
	}
	if !owned {
		if !st.b.take(len(data)) {
			st.stop = true
			return
		}
		data = append([]byte(nil), data...)
	}
	data = data[:len(data):len(data)]
	st.seen[sum] = true
	full := make([]string, 0, len(s.prefix)+len(chain))
	full = append(append(full, s.prefix...), chain...)
	st.out = append(st.out, Layer{Chain: full, Data: data})
	if len(st.out) >= st.opts.MaxLayers || st.b.left <= 0 {
		st.stop = true
		return
	}
	if decode && s.depth+1 < st.opts.MaxDepth {
		child := &scanner{st: st, buf: data, depth: s.depth + 1, prefix: full, scope: &scope{parent: s.scope}}
		child.run()
	}
}
