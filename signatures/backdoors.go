package signatures

import (
	"bytes"
	"fmt"
	"regexp/syntax"
	"strings"
)

// ParseBackdoors parses spam-gear's backdoors.re: one regex per line, applied
// to whole PHP files. Line N (counted from 0) becomes rule PHP.Backdoor.N, a
// cleanable malicious-code rule: cleaning removes what the regex matches.
// Its literals are the regex's RequiredLiterals. Empty (or blank) lines keep
// their number but make no rule. A regex that does not compile, or that can
// match the empty string (it would hit, and clean, every file), is an error.
func ParseBackdoors(name string, data []byte) ([]*Rule, error) {
	var rules []*Rule
	for n, line := range seedLines(data) {
		if len(bytes.Trim(line, asciiSpace)) == 0 {
			continue
		}
		expr := string(line)
		re, err := CompileRegex(expr)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "bad regex") {
				msg = "bad regex: " + msg
			}
			return nil, errAt(name, n+1, "%s", msg)
		}
		if canMatchEmpty(expr, re) {
			return nil, errAt(name, n+1, "bad regex %q: it can match the empty string", expr)
		}
		id := fmt.Sprintf("PHP.Backdoor.%d", n)
		rules = append(rules, &Rule{
			ID:       id,
			Name:     id,
			Engine:   EngineCustom,
			Source:   fmt.Sprintf("%s:%d", name, n+1),
			Category: CategoryMalicious,
			Severity: SeverityHigh,
			Literals: RequiredLiterals(expr),
			Confirm:  re,
			Clean:    re,
			Kinds:    KindPHP,
			Window:   -1, // spam-gear applied these to whole files
		})
	}
	return rules, nil
}

// canMatchEmpty reports whether the regex can match an empty string, judged
// from its syntax tree (back-references count as empty) or, when RE2 cannot
// parse it, by running it on empty input.
func canMatchEmpty(expr string, re *Regex) bool {
	if t, err := parseForLiterals(expr); err == nil {
		return emptyable(t)
	}
	_, _, ok := re.Find(nil)
	return ok
}

// emptyable reports whether re can match the empty string somewhere.
func emptyable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCapture, syntax.OpPlus:
		return emptyable(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min == 0 || emptyable(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !emptyable(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if emptyable(s) {
				return true
			}
		}
		return false
	}
	return false // OpNoMatch, OpCharClass, OpAnyChar, OpAnyCharNotNL
}
