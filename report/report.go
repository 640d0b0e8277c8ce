// Package report writes scan results: spam-gear's text lines
// ("PATH [ENGINE] [SIGNATURE] [ACTION]"), NDJSON, and the run summary.
package report

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/scan"
)

// Writer writes the findings of one verdict. action is what was done to
// the file ("" when nothing was: the scan only reports).
type Writer interface {
	Write(v *scan.Verdict, action string) error
}

// Text writes one line per finding, as spam-gear did:
//
//	/home/u/public_html/x.php [RULES] [SG.PHP.Eval.RequestInput]
//	/home/u/public_html/y.php [DETECTOR] [c99] [QUARANTINED]
//	/home/u/public_html/z.php [RULES] [SG.PHP.Shell.WSO via base64>gzinflate]
//
// Paths are escaped (control bytes, backslashes and invalid UTF-8 as \xNN
// or \n...), so a hostile file name cannot forge a line.
type Text struct{ W io.Writer }

// Write implements Writer.
func (t Text) Write(v *scan.Verdict, action string) error {
	var sb strings.Builder
	path := EscapePath(v.Target.Path)
	seen := map[[2]string]bool{}
	for _, f := range v.Findings {
		// Several rules may share a printed name (Shell-Detector has many
		// "c99" fingerprints): one line each name is enough.
		key := [2]string{f.Rule.Engine, f.Rule.Name}
		if seen[key] {
			continue
		}
		seen[key] = true
		fmt.Fprintf(&sb, "%s [%s] [%s%s]", path, f.Rule.Engine, f.Rule.Name, via(f.Layers))
		if action != "" {
			fmt.Fprintf(&sb, " [%s]", action)
		}
		sb.WriteByte('\n')
	}
	_, err := io.WriteString(t.W, sb.String())
	return err
}

// via names the decoded layers a finding was made in, for a text line:
// " via base64>gzinflate", or "" for the file's own bytes.
func via(layers []string) string {
	if len(layers) == 0 {
		return ""
	}
	return " via " + matcher.Escape([]byte(strings.Join(layers, ">")))
}

// EscapePath renders a path for a line of text output: printable runes as
// they are; control bytes, backslashes, invalid UTF-8 and non-printing runes
// (line separators, bidi overrides) escaped as matcher.Escape does.
func EscapePath(p string) string {
	clean := true
	for _, r := range p {
		if r == utf8.RuneError || r == '\\' || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return p
	}
	var sb strings.Builder
	for len(p) > 0 {
		r, n := utf8.DecodeRuneInString(p)
		if r != utf8.RuneError && r != '\\' && unicode.IsPrint(r) {
			sb.WriteString(p[:n])
		} else {
			sb.WriteString(matcher.Escape([]byte(p[:n])))
		}
		p = p[n:]
	}
	return sb.String()
}

// JSON writes one JSON object per finding (NDJSON).
type JSON struct{ W io.Writer }

// jsonFinding is the NDJSON schema; field names are part of the interface.
type jsonFinding struct {
	Path        string `json:"path"`
	PathBase64  string `json:"path_base64,omitempty"` // raw bytes, when the path is not valid UTF-8
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Engine      string `json:"engine"`
	SignatureID string `json:"signature_id"`
	Signature   string `json:"signature"`
	Description string `json:"description,omitempty"`
	Category    string `json:"category"`
	Severity    string `json:"severity"`
	Offset      int    `json:"offset"`
	Line        int    `json:"line"`
	Snippet     string `json:"snippet"`
	// Layers are the decoded layers the finding was made in (offset, line
	// and snippet are then in the decoded text).
	Layers []string `json:"layers,omitempty"`
	Action string   `json:"action"`
}

// Write implements Writer.
func (j JSON) Write(v *scan.Verdict, action string) error {
	enc := json.NewEncoder(j.W)
	enc.SetEscapeHTML(false)
	for _, f := range v.Findings {
		rec := jsonFinding{
			Path: v.Target.Path, Size: v.Size, SHA256: v.SHA256,
			Engine: f.Rule.Engine, SignatureID: f.Rule.ID, Signature: f.Rule.Name, Description: f.Rule.Description,
			Category: f.Rule.Category.String(), Severity: f.Rule.Severity.String(),
			Offset: f.Offset, Line: f.Line, Snippet: f.Snippet, Layers: f.Layers, Action: action,
		}
		if !utf8.ValidString(rec.Path) {
			rec.PathBase64 = base64.StdEncoding.EncodeToString([]byte(rec.Path))
			rec.Path = EscapePath(rec.Path)
		}
		if rec.Action == "" {
			rec.Action = "reported"
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return nil
}
