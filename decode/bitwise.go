package decode

import "bytes"

// Bitwise string operators. Droppers build function names and code from
// pairs of harmless-looking strings: ('b'^'@').('c'^'!'), "\x01\x02"^"ab",
// ~"\x9a\x89", 'rSyN'|~Ab_c, often with bare words (undefined constants,
// which PHP before 8 reads as their own name) as operands. PHP applies ^ |
// & ~ to the bytes when both operands are strings: ^ and & give a string as
// long as the shorter operand, | one as long as the longer (the rest of the
// longer operand is copied), ~ flips every byte.
//
// Precedence, tightest first: unary ~ (with casts and @), '.', &, ^, |. So
// 'a'.'b'^'c' is ('a'.'b')^'c', and 'a'|'b'^'c'&'d' is 'a'|('b'^('c'&'d')).

// bitLevels lists the binary operators, loosest first.
var bitLevels = [...]string{"|", "^", "&"}

// bitwise evaluates the operators of bitLevels[level:] over concatenations.
func (e *evaluator) bitwise(level int) (value, bool) {
	if level == len(bitLevels) {
		return e.concat()
	}
	v, ok := e.bitwise(level + 1)
	op := bitLevels[level]
	for ok && e.peek().isOp(op) {
		e.next()
		w, ok2 := e.bitwise(level + 1)
		if !ok2 {
			return value{}, false
		}
		v, ok = e.bitOp(op[0], v, w)
	}
	return v, ok
}

// bitOp applies a binary operator to two string operands. Integers are not
// evaluated, nor are two operands made only of constant-style names
// (JSON_HEX_TAG | JSON_HEX_AMP: flags, whatever their value).
func (e *evaluator) bitOp(op byte, a, b value) (value, bool) {
	if a.num || b.num || a.broken || b.broken || a.constLike && b.constLike {
		return value{}, false
	}
	x, y := a.data, b.data
	n := min(len(x), len(y))
	if op == '|' {
		n = max(len(x), len(y))
	}
	chain, ok := mergeChain(a.chain, b.chain)
	if ok {
		chain, ok = xorChain(chain)
	}
	if !ok {
		return value{}, false
	}
	out, ok := e.budget().alloc(n)
	if !ok {
		return value{}, false
	}
	out = out[:n]
	switch op {
	case '^':
		for i := range out {
			out[i] = x[i] ^ y[i]
		}
	case '&':
		for i := range out {
			out[i] = x[i] & y[i]
		}
	default:
		if len(x) < len(y) {
			x, y = y, x
		}
		copy(out, x)
		for i := range y {
			out[i] |= y[i]
		}
	}
	return value{data: out, chain: chain, owned: true}, true
}

// xorChain returns chain+"xor": one step for a run of operators ('a'^'b'^'c',
// ~('a'|'b')), one shared slice for the usual chain of literals.
func xorChain(chain []string) ([]string, bool) {
	switch n := len(chain); {
	case n == 0:
		return chainXor, true
	case chain[n-1] == StepXor:
		return chain, true
	}
	return appendStep(chain, StepXor)
}

// not evaluates ~v. A bare operand stays bare: ~E_NOTICE is an integer
// flag, and ~Abc is evaluated only as the operand of a binary operator.
func (e *evaluator) not(v value) (value, bool) {
	if v.num || v.broken {
		return value{}, false
	}
	chain, ok := xorChain(v.chain)
	if !ok {
		return value{}, false
	}
	out, ok := e.budget().alloc(len(v.data))
	if !ok {
		return value{}, false
	}
	for _, c := range v.data {
		out = append(out, ^c)
	}
	return value{data: out, chain: chain, owned: true, bare: v.bare, constLike: v.constLike}, true
}

// bareWord evaluates an identifier that is not called: an undefined
// constant, read by PHP < 8 as its name. The value is bare (see value): it
// means something only under a bitwise operator. Names PHP defines with a
// non-string value, and words that cannot be a constant where they stand,
// fail.
func (e *evaluator) bareWord(name []byte) (value, bool) {
	switch p := e.peek(); {
	case p.kind == tEOF:
	case p.kind != tOp:
		return value{}, false
	default:
		switch p.op {
		case ".", "^", "|", "&", ")", ";", ",", "]":
		default:
			return value{}, false // a call, Foo::X, Foo\X, a keyword ...
		}
	}
	if v, ok := knownConst(name); ok {
		return value{data: v}, ok
	}
	if isReservedConst(name) {
		return value{}, false
	}
	return value{data: name, bare: true, constLike: isConstStyle(name)}, true
}

// knownConst returns the value of the few string constants droppers use.
func knownConst(name []byte) ([]byte, bool) {
	switch string(name) {
	case "PHP_EOL":
		return []byte("\n"), true
	case "DIRECTORY_SEPARATOR":
		return []byte("/"), true
	case "PATH_SEPARATOR":
		return []byte(":"), true
	}
	return nil, false
}

// isReservedConst reports names that are never undefined constants: true,
// false and null (any case), magic constants (__FILE__) and PHP's own
// PHP_* constants.
func isReservedConst(name []byte) bool {
	for _, w := range [...]string{"true", "false", "null"} {
		if bytes.EqualFold(name, []byte(w)) {
			return true
		}
	}
	return len(name) >= 4 && bytes.HasPrefix(name, []byte("__")) && bytes.HasSuffix(name, []byte("__")) ||
		bytes.HasPrefix(name, []byte("PHP_"))
}

// isConstStyle reports whether name looks like a real constant: words
// joined by underscores, starting with an upper-case letter, upper case
// mostly (E_ALL, ENT_QUOTES, STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT).
func isConstStyle(name []byte) bool {
	if len(name) == 0 || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	under, upper, lower := false, 0, 0
	for _, c := range name {
		switch {
		case c == '_':
			under = true
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= 'a' && c <= 'z':
			lower++
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return under && upper > lower
}

// minXorLayer is the shortest result of a bitwise operator returned as a
// layer: droppers assemble names from fragments of a few bytes.
const minXorLayer = 4

// xorNoise reports a value just produced by a bitwise operator that is not
// worth a layer of its own: a fragment or binary (an intermediate operand
// of the next operator). It can still be used as a value.
func xorNoise(v value) bool {
	n := len(v.chain)
	return n > 0 && v.chain[n-1] == StepXor && (len(v.data) < minXorLayer || !readable(v.data))
}
