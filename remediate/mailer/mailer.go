// Package mailer is the one way spamgear sends mail: user notifications from
// shellscan, alerts from mailscan, and (later) an emergency relay.
//
// A Message is an envelope plus the complete RFC 5322 text, which Build
// writes from a Header and a plain-text body, refusing any header value that
// could inject fields. Two Mailers deliver it: Sendmail hands it to the local
// MTA's sendmail binary, SMTP talks to a server with deadlines on every
// exchange.
//
// Everything spamgear puts in a message (paths, user names, server replies
// in errors) is treated as hostile: header values are checked, never
// trusted, and error texts escape control bytes.
package mailer

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Message is one mail to send: the envelope and the complete message text.
type Message struct {
	// From is the envelope sender (MAIL FROM). Empty means the null
	// sender "<>". It may be written as a header address
	// ("Name <addr>"); only the address is used.
	From string
	// To are the envelope recipients (RCPT TO), as for From.
	To []string
	// Data is the complete RFC 5322 message, headers and body. LF line
	// endings are fine: the SMTP mailer converts them to CRLF.
	Data []byte
}

// Mailer delivers messages. Implementations are safe for concurrent use.
type Mailer interface {
	Send(ctx context.Context, m *Message) error
}

// maxErrText bounds the text of a peer's reply quoted in an error.
const maxErrText = 400

// escapeText returns s with backslashes, control characters and invalid
// UTF-8 escaped Go-style (\n, \x1b, \xff), cut to at most max bytes of
// input, so that text from a peer cannot forge log lines.
func escapeText(s string, max int) string {
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
	}
	var sb strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n <= 1:
			if cut && len(s) < utf8.UTFMax {
				s = "" // a rune split by the cut, not invalid input
				continue
			}
			sb.WriteString(`\x`)
			sb.WriteString(hex2(s[0]))
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case isControl(r):
			for i := 0; i < n; i++ {
				sb.WriteString(`\x`)
				sb.WriteString(hex2(s[i]))
			}
		default:
			sb.WriteString(s[:n])
		}
		s = s[n:]
	}
	if cut {
		sb.WriteString("...")
	}
	return sb.String()
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// isControl reports whether r is a C0 or C1 control character, DEL, or a
// Unicode line or paragraph separator.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029'
}
