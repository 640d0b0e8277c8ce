package decode

import "bytes"

// doBlobs tries rule "blob" on the long literals that no decoded expression
// used: base64, then inflate if that looks compressed, kept if the result
// reads as text. Work on candidates that are not kept is given back to the
// budget.
func (s *scanner) doBlobs() {
	for i := range s.blobs {
		if s.st.stop {
			return
		}
		t := &s.blobs[i]
		if s.usedLits[t.start] {
			continue
		}
		raw := s.buf[t.cs:t.ce]
		if !mostlyBase64(raw) {
			continue
		}
		s.blob(raw)
	}
}

func (s *scanner) blob(raw []byte) {
	b := &s.st.b
	dec, ok := base64Decode(b, raw)
	if !ok || len(dec) == 0 {
		return
	}
	if readable(dec) {
		chain := []string{StepBlob, StepBase64}
		if mostlyBase64(dec) { // base64 of base64
			if d2, ok := base64Decode(b, dec); ok && len(d2) > 0 && readable(d2) {
				b.refund(cap(dec))
				dec = d2
				chain = append(chain, StepBase64)
			} else {
				b.refund(cap(d2))
			}
		}
		s.st.emit(s, dec, true, chain, true)
		return
	}
	var body []byte
	step := StepGzinflate
	switch {
	case isZlib(dec):
		body, _ = zlibBody(dec)
		step = StepGzuncompress
	case isGzip(dec):
		body, _ = gzipBody(dec)
		step = StepGzdecode
	default:
		body = dec
	}
	out, err := inflateRaw(b, body)
	if (err == nil || err == errTruncated) && len(out) > 0 && readable(out) {
		b.refund(cap(dec)) // the intermediate is not kept
		s.st.emit(s, out, true, []string{StepBlob, StepBase64, step}, true)
		return
	}
	b.refund(cap(dec) + cap(out))
}

// mostlyBase64 reports whether at least 98% of the non-space bytes of s are
// in the base64 alphabet (padding included) and there are enough of them.
func mostlyBase64(s []byte) bool {
	n, bad := 0, 0
	for _, c := range s {
		switch {
		case b64val[c] >= 0 || c == '=':
			n++
		case isSpace(c):
		default:
			bad++
			if bad*50 > len(s) {
				return false
			}
		}
	}
	return n >= blobMinLen && bad*50 <= n+bad
}

// readable reports whether s is mostly text: at least 85% printable ASCII or
// white space, or it holds "<?php".
func readable(s []byte) bool {
	good := 0
	for _, c := range s {
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' {
			good++
		}
	}
	if good*100 >= len(s)*85 {
		return true
	}
	return bytes.Contains(s, []byte("<?php"))
}
