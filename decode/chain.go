package decode

// Chain step names (see Layer.Chain).
const (
	StepBase64       = "base64"         // base64_decode
	StepGzinflate    = "gzinflate"      // gzinflate: raw DEFLATE
	StepGzuncompress = "gzuncompress"   // gzuncompress: zlib
	StepGzdecode     = "gzdecode"       // gzdecode: gzip
	StepRot13        = "rot13"          // str_rot13
	StepStrrev       = "strrev"         // strrev
	StepUrldecode    = "urldecode"      // urldecode
	StepRawurldecode = "rawurldecode"   // rawurldecode
	StepHex          = "hex"            // hex2bin, pack('H*'), pack('h*')
	StepUudecode     = "uudecode"       // convert_uudecode
	StepEscapes      = "escapes"        // \x, octal and \u{} escapes of a double-quoted literal
	StepChr          = "chr"            // chr() calls and their concatenation
	StepJoin         = "join"           // implode/join of an array of short pieces
	StepPregReplaceE = "preg_replace/e" // the replacement (code) of preg_replace with /e
	StepVariable     = "variable"       // a $var resolved through an earlier assignment
	StepBlob         = "blob"           // a long base64 literal that nothing decodes explicitly
	StepXor          = "xor"            // bitwise ^ | & ~ of strings
)

const (
	// maxNest bounds the nesting of calls, parentheses, casts and '@' in one
	// expression. Real droppers nest a handful of calls; deeper input fails
	// the attempt (inner calls are still tried on their own).
	maxNest = 32
	// maxExprSteps bounds the steps one expression adds to a chain.
	maxExprSteps = 32
	// memoMinTokens and memoMinBytes are the lengths (in tokens or in bytes
	// of source) from which a failed expression is remembered.
	memoMinTokens = 64
	memoMinBytes  = 4096
	// maxSkip bounds the tokens of ignored arguments skipped in one call.
	maxSkip = 256
	// blobMinLen is the literal length from which rule "blob" applies.
	blobMinLen = 256
)

// Shared one-step chains (read-only: appendStep always copies).
var (
	chainEscapes  = []string{StepEscapes}
	chainChr      = []string{StepChr}
	chainVariable = []string{StepVariable}
	chainXor      = []string{StepXor}
)

// value is the result of evaluating a static PHP expression.
type value struct {
	data   []byte   // never appended to by a holder: slices handed out are capacity-clipped
	chain  []string // steps undone to get data
	owned  bool     // data was allocated here (and charged), not aliased from a buffer
	broken bool     // a decoder failed on it: outer decoders pass it through unchanged
	num    bool     // an integer literal (data is its decimal form), not a string
	// bare marks a value that holds a bare word (an undefined constant,
	// which PHP < 8 reads as its name) outside any bitwise operator. Only a
	// bitwise operator may consume it (see bitwise.go); everything else
	// fails on it.
	bare bool
	// constLike marks a bare value made only of names in the style of real
	// constants (E_ALL, JSON_PRETTY_PRINT): two such operands are flags, not
	// an obfuscated string.
	constLike bool
}

// decodes reports whether the chain holds a step that undoes an encoding,
// as opposed to merely reading a literal, escape or variable.
func decodes(chain []string) bool {
	for _, s := range chain {
		switch s {
		case StepEscapes, StepChr, StepVariable:
		default:
			return true
		}
	}
	return false
}

// appendStep returns chain+step in a new slice, or false past maxExprSteps.
func appendStep(chain []string, step string) ([]string, bool) {
	if len(chain) >= maxExprSteps {
		return nil, false
	}
	return append(chain[:len(chain):len(chain)], step), true
}

// mergeChain adds the steps of b not yet in a (concatenated parts).
func mergeChain(a, b []string) ([]string, bool) {
	for _, s := range b {
		found := false
		for _, t := range a {
			if t == s {
				found = true
				break
			}
		}
		if !found {
			var ok bool
			if a, ok = appendStep(a, s); !ok {
				return nil, false
			}
		}
	}
	return a, true
}
