// Package signatures loads rule files of every supported format (the project's
// TOML rules, spam-gear's fingerprints.txt and backdoors.re, Shell-Detector's
// shelldetect.db) into one compiled, immutable, versioned rule Set.
package signatures

import (
	"fmt"
	"strings"
)

// Category says how bad a hit is and what remediation may do with it.
type Category int

// Categories follow Shell-Detector's numbering.
const (
	// CategoryShell is a web shell: quarantine.
	CategoryShell Category = 0
	// CategoryMalicious is malicious code that is not a shell (backdoor,
	// injected loader, mailer): quarantine or clean.
	CategoryMalicious Category = 1
	// CategorySuspicious is a potentially dangerous but legitimate file:
	// report, never quarantine.
	CategorySuspicious Category = 2
)

// String returns the category name used in rule files and JSON output.
func (c Category) String() string {
	switch c {
	case CategoryShell:
		return "shell"
	case CategoryMalicious:
		return "malicious"
	case CategorySuspicious:
		return "suspicious"
	}
	return fmt.Sprintf("category(%d)", int(c))
}

// ReportOnly reports whether hits of this category must never be
// quarantined or cleaned.
func (c Category) ReportOnly() bool { return c == CategorySuspicious }

// ParseCategory accepts a category name or its Shell-Detector number.
func ParseCategory(s string) (Category, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "shell", "0":
		return CategoryShell, nil
	case "malicious", "backdoor", "1":
		return CategoryMalicious, nil
	case "suspicious", "dangerous", "2":
		return CategorySuspicious, nil
	}
	return 0, fmt.Errorf("unknown category %q (want shell, malicious or suspicious)", s)
}

// Severity orders findings for reports.
type Severity int

// Severities, lowest first.
const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = map[Severity]string{
	SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high", SeverityCritical: "critical",
}

// String returns the severity name.
func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity parses a severity name.
func ParseSeverity(s string) (Severity, error) {
	for k, v := range severityNames {
		if strings.EqualFold(v, strings.TrimSpace(s)) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", s)
}

// Engine names, as printed between brackets in text output
// (spam-gear printed CUSTOM for its own files and DETECTOR for Shell-Detector).
const (
	EngineRules    = "RULES"
	EngineCustom   = "CUSTOM"
	EngineDetector = "DETECTOR"
)

// Literal is a byte string whose presence makes a rule a candidate.
type Literal struct {
	Text   []byte
	NoCase bool // ASCII-only case folding; offsets never move
}

// Rule is one compiled signature. Rules are immutable once part of a Set.
type Rule struct {
	ID   string // unique within a Set, e.g. "SG.PHP.EvalRequest", "PHP.Finger.3"
	Name string // signature name printed in reports
	// Description says in a sentence what the rule finds.
	Description string
	Engine      string // EngineRules, EngineCustom or EngineDetector
	Source      string // "FILE:LINE" the rule came from
	Category    Category
	Severity    Severity
	// Literals: a rule is a candidate when any of them occurs. A rule with
	// no literals is a candidate for every file of its kinds (regex only).
	Literals []Literal
	// Requires, when set, is a second group of literals one of which must
	// also occur somewhere in the buffer (a cheap AND before the regex).
	Requires []Literal
	// Confirm, when set, must match for the rule to hit.
	Confirm *Regex
	// Clean, when set, matches the injected code that cleaning removes.
	Clean *Regex
	// Kinds the rule applies to.
	Kinds Kind
	// Window is how many bytes either side of a literal hit the confirming
	// regex looks at (snapped to line ends); 0 means the default, <0 the
	// whole file.
	Window int
	// Anchored rules' regexes match only starting exactly at a literal hit
	// (the regex begins with the keyword), on the literal and Window bytes
	// after it: a failing check costs a few bytes, not a window.
	Anchored bool
	// Boundary discards literal hits that continue a longer PHP name,
	// variable, or method or static call: hits right after a letter,
	// digit, '_', a byte >= 0x80, '$', '>' (->) or ':' (::).
	Boundary bool
	// Unanchored is an anchored rule's regex without the anchor, for
	// buffers where its literals hit too often to check each hit.
	Unanchored *Regex
	// Weight, when > 0, makes the rule a weak signal: its hit alone never
	// flags a file. The weights of the distinct signals that hit a file
	// (or its decoded layers) add up to a score, and the file is flagged
	// when the score reaches ScoreThreshold (package detect).
	Weight int
	// Marker rules are never reported: a hit only says the file holds an
	// obfuscation marker (a decoder's name, an escape) worth decoding.
	Marker bool
	// TruePositives and FalsePositives are harmless snippets the rule must
	// and must not match (checked by tests and by Validate).
	TruePositives  []string
	FalsePositives []string
}

// ScoreThreshold is the score from which weak signals flag a file. Every
// weight is below it, so no single signal flags a file alone.
const ScoreThreshold = 10

// Signal reports whether the rule is a weak signal (Weight > 0) or a
// marker: its hit alone does not flag a file.
func (r *Rule) Signal() bool { return r.Weight > 0 || r.Marker }

// Cleanable reports whether the rule knows how to remove what it found.
func (r *Rule) Cleanable() bool { return r.Clean != nil && !r.Category.ReportOnly() }

// NotFreeStanding reports whether a literal hit preceded by byte c is part
// of a longer name, a variable or a member access (see Rule.Boundary).
func NotFreeStanding(c byte) bool {
	return c == '_' || c == '$' || c == '>' || c == ':' || c >= 0x80 ||
		('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
