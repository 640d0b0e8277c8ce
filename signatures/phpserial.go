package signatures

import (
	"fmt"
	"strconv"
)

// phpValue is a scalar of PHP's serialize() format.
type phpValue struct {
	kind byte   // 's', 'i', 'd', 'b' or 'N'
	s    []byte // the string, or the number's text; aliases the input
	off  int    // offset in the input of the string's bytes (or of the value)
}

// text returns the value as PHP would use it as an array key.
func (v phpValue) text() string { return string(v.s) }

// describe names the value's type for error messages.
func (v phpValue) describe() string {
	switch v.kind {
	case 's':
		return "a string"
	case 'i':
		return "an integer"
	case 'd':
		return "a float"
	case 'b':
		return "a boolean"
	}
	return "null"
}

// phpEntry is one key => value pair of a serialized array.
type phpEntry struct{ key, val phpValue }

// phpParser reads PHP's serialize() format. Lengths are checked against
// the remaining input before use.
type phpParser struct {
	name string
	b    []byte
	i    int
}

// parsePHPArray parses a serialized array of scalars, a:N:{key;value;...}.
// Errors name the offset in b as "decoded byte N".
func parsePHPArray(name string, b []byte) ([]phpEntry, error) {
	p := &phpParser{name: name, b: b}
	if err := p.expect('a', "(a serialized array)"); err != nil {
		return nil, err
	}
	if err := p.expect(':', "after 'a'"); err != nil {
		return nil, err
	}
	n, err := p.integer("array size")
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, p.fail("array size %d is negative", n)
	}
	if err := p.expect(':', "after array size"); err != nil {
		return nil, err
	}
	if err := p.expect('{', "to open the array"); err != nil {
		return nil, err
	}
	// Each entry takes at least 4 bytes ("N;N;" is not valid, "i:0;N;" is 6).
	entries := make([]phpEntry, 0, min(n, int64(len(b)-p.i)/4))
	for int64(len(entries)) < n {
		if p.i < len(b) && b[p.i] == '}' {
			return nil, p.fail("array declares %d entries, found %d", n, len(entries))
		}
		key, err := p.scalar("array key")
		if err != nil {
			return nil, err
		}
		if key.kind != 's' && key.kind != 'i' {
			return nil, p.failAt(key.off, "array key is %s, want a string or integer", key.describe())
		}
		val, err := p.scalar("array value")
		if err != nil {
			return nil, err
		}
		entries = append(entries, phpEntry{key: key, val: val})
	}
	if err := p.expect('}', fmt.Sprintf("to close the array of %d entries", n)); err != nil {
		return nil, err
	}
	for ; p.i < len(b); p.i++ {
		switch b[p.i] {
		case ' ', '\t', '\r', '\n', 0:
		default:
			return nil, p.fail("trailing data after the array")
		}
	}
	return entries, nil
}

func (p *phpParser) fail(format string, args ...any) error {
	return p.failAt(p.i, format, args...)
}

func (p *phpParser) failAt(off int, format string, args ...any) error {
	return errAt(p.name, 0, "decoded byte %d: %s", off, fmt.Sprintf(format, args...))
}

// got describes the byte at the cursor.
func (p *phpParser) got() string {
	if p.i >= len(p.b) {
		return "end of data"
	}
	return quoteByte(p.b[p.i])
}

func (p *phpParser) expect(c byte, what string) error {
	if p.i >= len(p.b) || p.b[p.i] != c {
		return p.fail("want %q %s, got %s", c, what, p.got())
	}
	p.i++
	return nil
}

// integer reads an optionally signed decimal integer.
func (p *phpParser) integer(what string) (int64, error) {
	start := p.i
	if p.i < len(p.b) && (p.b[p.i] == '-' || p.b[p.i] == '+') {
		p.i++
	}
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' && p.i-start < 20 {
		p.i++
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	if err != nil {
		p.i = start
		return 0, p.fail("want %s (a decimal integer), got %s", what, p.got())
	}
	return n, nil
}

// scalar reads s:LEN:"...";, i:N;, d:X;, b:0|1; or N;.
func (p *phpParser) scalar(what string) (phpValue, error) {
	if p.i >= len(p.b) {
		return phpValue{}, p.fail("want %s, got end of data", what)
	}
	start := p.i
	kind := p.b[p.i]
	switch kind {
	case 's':
		p.i++
		if err := p.expect(':', "after 's'"); err != nil {
			return phpValue{}, err
		}
		n, err := p.integer("string length")
		if err != nil {
			return phpValue{}, err
		}
		if err := p.expect(':', "after string length"); err != nil {
			return phpValue{}, err
		}
		if err := p.expect('"', "to open string"); err != nil {
			return phpValue{}, err
		}
		if n < 0 || n > int64(len(p.b)-p.i) {
			return phpValue{}, p.fail("string length %d does not fit in the %d bytes left", n, len(p.b)-p.i)
		}
		v := phpValue{kind: 's', s: p.b[p.i : p.i+int(n)], off: p.i}
		p.i += int(n)
		if err := p.expect('"', "after string"); err != nil {
			return phpValue{}, err
		}
		if err := p.expect(';', "after string"); err != nil {
			return phpValue{}, err
		}
		return v, nil
	case 'i':
		p.i++
		if err := p.expect(':', "after 'i'"); err != nil {
			return phpValue{}, err
		}
		numStart := p.i
		if _, err := p.integer("integer"); err != nil {
			return phpValue{}, err
		}
		v := phpValue{kind: 'i', s: p.b[numStart:p.i], off: start}
		return v, p.expect(';', "after integer")
	case 'd':
		p.i++
		if err := p.expect(':', "after 'd'"); err != nil {
			return phpValue{}, err
		}
		numStart := p.i
		for p.i < len(p.b) && p.b[p.i] != ';' && p.i-numStart < 64 {
			p.i++
		}
		if _, err := strconv.ParseFloat(string(p.b[numStart:p.i]), 64); err != nil {
			p.i = numStart
			return phpValue{}, p.fail("want a float, got %s", p.got())
		}
		v := phpValue{kind: 'd', s: p.b[numStart:p.i], off: start}
		return v, p.expect(';', "after float")
	case 'b':
		p.i++
		if err := p.expect(':', "after 'b'"); err != nil {
			return phpValue{}, err
		}
		if p.i >= len(p.b) || (p.b[p.i] != '0' && p.b[p.i] != '1') {
			return phpValue{}, p.fail("want '0' or '1' for a boolean, got %s", p.got())
		}
		v := phpValue{kind: 'b', s: p.b[p.i : p.i+1], off: start}
		p.i++
		return v, p.expect(';', "after boolean")
	case 'N':
		p.i++
		return phpValue{kind: 'N', off: start}, p.expect(';', "after 'N'")
	case 'a', 'O', 'C', 'r', 'R', 'E':
		return phpValue{}, p.fail("want %s, got '%c:' (nested arrays, objects and references are not supported)", what, kind)
	}
	return phpValue{}, p.fail("want %s (s:, i:, d:, b: or N;), got %s", what, p.got())
}
