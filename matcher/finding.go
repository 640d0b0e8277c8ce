package matcher

import (
	"bytes"
	"strings"

	"github.com/spamgear/spamgear/signatures"
)

// SnippetLen is how many bytes of a match a Finding's snippet shows.
const SnippetLen = 64

func newFinding(r *signatures.Rule, buf []byte, start, end int) Finding {
	return Finding{Rule: r, Offset: start, End: end, Line: 1 + bytes.Count(buf[:start], []byte{'\n'}),
		Snippet: Escape(buf[start:min(start+SnippetLen, len(buf))])}
}

// Escape renders bytes as printable ASCII: printable bytes as they are,
// backslash, CR, LF and tab as \\ \r \n \t, anything else as \xNN. The
// result is safe to print on a terminal or in a mail.
func Escape(b []byte) string {
	var sb strings.Builder
	const hexd = "0123456789abcdef"
	for _, c := range b {
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			sb.WriteString(`\x`)
			sb.WriteByte(hexd[c>>4])
			sb.WriteByte(hexd[c&15])
		}
	}
	return sb.String()
}
