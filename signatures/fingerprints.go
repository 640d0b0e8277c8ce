package signatures

import (
	"bytes"
	"fmt"
)

// ParseFingerprints parses spam-gear's fingerprints.txt: one case-sensitive
// literal per line. Line N (counted from 0) becomes rule PHP.Finger.N, a
// shell rule for PHP files. Empty lines keep their number but make no rule;
// a literal shorter than MinLiteralLen bytes is an error.
func ParseFingerprints(name string, data []byte) ([]*Rule, error) {
	var rules []*Rule
	for n, line := range seedLines(data) {
		// spam-gear's Python read each line with line.strip(), so leading
		// and trailing (ASCII) white space never was part of a fingerprint.
		lit := bytes.Trim(line, asciiSpace)
		if len(lit) == 0 {
			continue
		}
		if len(lit) < MinLiteralLen {
			return nil, errAt(name, n+1, "fingerprint %q is shorter than %d bytes", lit, MinLiteralLen)
		}
		id := fmt.Sprintf("PHP.Finger.%d", n)
		rules = append(rules, &Rule{
			ID:       id,
			Name:     id,
			Engine:   EngineCustom,
			Source:   fmt.Sprintf("%s:%d", name, n+1),
			Category: CategoryShell,
			Severity: SeverityHigh,
			Kinds:    KindPHP,
			Literals: []Literal{{Text: bytes.Clone(lit)}},
		})
	}
	return rules, nil
}
