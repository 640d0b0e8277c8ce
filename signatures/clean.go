package signatures

import "bytes"

// CleanContent removes from b every match of the clean expressions of the
// cleanable rules among rules (spam-gear's backdoors.re lines, and our own
// rules' clean patterns), one rule after the other, and returns the result
// (b itself when nothing matched).
func CleanContent(rules []*Rule, b []byte) []byte {
	for _, r := range rules {
		if !r.Cleanable() {
			continue
		}
		locs := r.Clean.FindAll(b)
		if len(locs) == 0 {
			continue
		}
		out := make([]byte, 0, len(b))
		prev := 0
		for _, l := range locs {
			out = append(out, b[prev:l[0]]...)
			prev = l[1]
		}
		b = append(out, b[prev:]...)
	}
	return b
}

// NothingLeft reports whether b holds nothing but white space and PHP open
// and close tags: what is left of a file that was all injected code.
func NothingLeft(b []byte) bool {
	for _, tag := range [][]byte{[]byte("<?php"), []byte("<?PHP"), []byte("<?="), []byte("<?"), []byte("?>")} {
		b = bytes.ReplaceAll(b, tag, nil)
	}
	return len(bytes.TrimSpace(b)) == 0
}
