// Package notify tells hosting users, by mail, what shellscan found in their
// accounts and what it did: one digest per user per run, rendered from a
// template (spam-gear's custom email files work) and sent through
// remediate/mailer.
//
// Everything that comes from the file system is hostile: the user name
// derived from a path is validated before it goes near an address or a
// header, and paths are escaped in the body so that a file name cannot
// fake lines of the message.
//
// The package knows nothing of matching; callers pass signature names and
// actions as text.
package notify

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spamgear/spamgear/remediate/mailer"
)

// DefaultUserPattern derives the user from a path under /home, as
// spam-gear did.
const DefaultUserPattern = "^/home/([^/.]*)/.*"

// ParseUserPattern compiles a pattern whose first capture group is the user
// name of a path.
//
// It accepts Go (RE2/ERE) syntax, and spam-gear's sed BRE syntax, such as
// `^/home/\([^/.]*\)/.*`: a pattern containing `\(` is read as a POSIX
// basic regular expression and converted (`\(` `\)` `\{` `\}` `\+` `\?` `\|`
// become operators, bare `( ) { } + ? |` literals, a backslash inside a
// bracket expression is literal, and a leading `*` is literal).
func ParseUserPattern(s string) (*regexp.Regexp, error) {
	src := s
	if strings.Contains(s, `\(`) {
		src = breToERE(s)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("user pattern %q: %w", s, err)
	}
	if re.NumSubexp() < 1 {
		return nil, fmt.Errorf("user pattern %q has no capture group: the user name is group 1", s)
	}
	return re, nil
}

// breToERE converts a POSIX basic regular expression (with the GNU
// escapes \+ \? \|) to Go syntax.
func breToERE(s string) string {
	var b strings.Builder
	// atStart: at the start of the pattern or of an alternative or group,
	// where '^' is an anchor and '*' a literal.
	atStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			switch n := s[i]; n {
			case '(', '|':
				b.WriteByte(n)
				atStart = true
				continue
			case ')', '{', '}', '+', '?':
				b.WriteByte(n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
		case c == '(' || c == ')' || c == '{' || c == '}' || c == '+' || c == '?' || c == '|':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '*' && atStart:
			b.WriteString(`\*`)
		case c == '^':
			if atStart {
				b.WriteByte('^')
				continue // '*' after it is still literal
			}
			b.WriteString(`\^`)
		case c == '$':
			// An anchor only at the end of the pattern, a group or an
			// alternative.
			if rest := s[i+1:]; rest == "" || strings.HasPrefix(rest, `\)`) || strings.HasPrefix(rest, `\|`) {
				b.WriteByte('$')
			} else {
				b.WriteString(`\$`)
			}
		case c == '[':
			i = copyBracket(&b, s, i)
		default:
			b.WriteByte(c)
		}
		atStart = false
	}
	return b.String()
}

// copyBracket copies the bracket expression starting at s[i] == '[' to b,
// escaping what Go would otherwise read as an escape, and returns the
// index of its closing ']' (or of the last byte, when it is unterminated,
// which regexp.Compile then reports).
func copyBracket(b *strings.Builder, s string, i int) int {
	b.WriteByte('[')
	j := i + 1
	if j < len(s) && s[j] == '^' {
		b.WriteByte('^')
		j++
	}
	if j < len(s) && s[j] == ']' { // a leading ']' is literal
		b.WriteString(`\]`)
		j++
	}
	for ; j < len(s); j++ {
		switch c := s[j]; {
		case c == ']':
			b.WriteByte(']')
			return j
		case c == '[' && j+1 < len(s) && (s[j+1] == ':' || s[j+1] == '.' || s[j+1] == '='):
			// [:class:] (and [.x.] [=x=], which Go rejects): copy whole.
			end := strings.Index(s[j+2:], string(s[j+1])+"]")
			if end < 0 {
				b.WriteString(s[j:])
				return len(s) - 1
			}
			b.WriteString(s[j : j+2+end+2])
			j += 2 + end + 1
		case c == '\\':
			b.WriteString(`\\`)
		case c == '[':
			b.WriteString(`\[`)
		default:
			b.WriteByte(c)
		}
	}
	return len(s) - 1
}

// UserOf returns the user that re's first group derives from path, and
// whether it is a valid user name (see ValidUsername). When ok is false,
// user is "": the path did not match, or what it yields must not be used.
func UserOf(re *regexp.Regexp, path string) (user string, ok bool) {
	m := re.FindStringSubmatch(path)
	if len(m) < 2 || !ValidUsername(m[1]) {
		return "", false
	}
	return m[1], true
}

// ValidUsername reports whether s is a user name safe to put in an address
// and a header: 1 to 64 bytes of [A-Za-z0-9_.-], not starting with '.' or
// '-'.
func ValidUsername(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Address returns user@domain, after checking both parts.
func Address(user, domain string) (string, error) {
	if !ValidUsername(user) {
		return "", fmt.Errorf("invalid user name %q", user)
	}
	if !mailer.ValidHostName(domain) {
		return "", fmt.Errorf("invalid mail domain %q", domain)
	}
	a := user + "@" + domain
	if err := mailer.ValidAddress(a); err != nil {
		// e.g. "a..b" or "bob.": valid user names, not dot-atoms.
		return "", fmt.Errorf("user %q: %w", user, err)
	}
	return a, nil
}

// HostDomain returns the mail domain of this host, without any network
// lookup: the part of os.Hostname after the first dot, or the whole host
// name when it has none (mail to user@host is then delivered locally), or
// "localhost" when there is no host name.
func HostDomain() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	if _, d, ok := strings.Cut(h, "."); ok && d != "" {
		return d
	}
	return h
}
