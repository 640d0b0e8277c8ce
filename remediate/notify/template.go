package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spamgear/spamgear/remediate/mailer"
)

// DefaultSubject is the Subject of a template that sets none.
const DefaultSubject = "Malicious files found in your hosting account"

// MaxListed bounds how many files ${SHELLS} lists; a last line says how
// many more there were.
const MaxListed = 1000

// defaultTemplate is the built-in message.
const defaultTemplate = `To: ${EMAIL}
Subject: ` + DefaultSubject + `

Hello ${USERNAME},

This is an automatic message from the hosting server ${HOSTNAME}.

During a routine security scan, the following files in your hosting
account were found to contain malicious code, such as a web shell or a
script that sends spam:

    ${SHELLS}

Next to each file is what was found in it and what was done with it.
Files are usually planted through an outdated or vulnerable web
application (or one of its plugins or themes), or with a stolen password.
To keep it from happening again, please:

  - update all the web applications in your account, with their plugins
    and themes, and remove the ones you no longer use;
  - change the passwords of your hosting account, FTP/SFTP accounts,
    databases, and the administrator accounts of your applications;
  - make sure the computers you use to manage your sites are free of
    malware.

If you have any questions, please contact our support team.
`

// Template is a notification message with variables:
//
//	${EMAIL}     the user's address
//	${USERNAME}  the user name
//	${SHELLS}    the files, one a line (body only)
//	${HOSTNAME}  this server's name
//
// ($EMAIL, $USERNAME, $SHELLS and $HOSTNAME without braces work too, as in
// spam-gear's files; any other "$" is literal, except "$(", which is an
// error: templates are never run through a shell.)
//
// A template may start with header lines ("Name: value", up to the first
// blank line). If its first line is not one, the whole text is the body.
// Missing To and Subject default to "To: ${EMAIL}" and DefaultSubject; a
// missing From is given to Render. Date, Message-ID and the MIME fields are
// written by mailer.Build and may not appear; nor may Bcc.
//
// A Template is immutable and safe for concurrent use.
type Template struct {
	name   string
	fields []field
	body   []segment
}

type field struct {
	name  string
	value []segment
	line  int
}

type segKind int

const (
	segText segKind = iota
	segEmail
	segUser
	segShells
	segHost
)

// segment is literal text, or a variable; for ${SHELLS} alone on its line
// after blanks, text holds those blanks, repeated before every file.
type segment struct {
	kind segKind
	text string
}

func varKind(name string) (segKind, bool) {
	switch name {
	case "EMAIL":
		return segEmail, true
	case "USERNAME":
		return segUser, true
	case "SHELLS":
		return segShells, true
	case "HOSTNAME":
		return segHost, true
	}
	return 0, false
}

// DefaultTemplate returns the built-in template: a plain message telling
// the user that files in their account were found to contain malicious
// code, listing them with what was done, and advising to update their
// applications and change their passwords.
func DefaultTemplate() *Template {
	t, err := ParseTemplate("default", []byte(defaultTemplate))
	if err != nil {
		panic("notify: built-in template: " + err.Error())
	}
	return t
}

// ParseTemplate parses a template (see Template); name, usually the file's
// path, is used in errors, which also give the line.
func ParseTemplate(name string, text []byte) (*Template, error) {
	if !utf8.Valid(text) {
		return nil, fmt.Errorf("template %s: not valid UTF-8", name)
	}
	s := strings.ReplaceAll(string(text), "\r\n", "\n")
	lines := strings.SplitAfter(s, "\n")
	t := &Template{name: name}
	bodyStart := 0
	if len(lines) > 0 && isHeaderLine(strings.TrimSuffix(lines[0], "\n")) {
		i := 0
		for ; i < len(lines); i++ {
			l := strings.TrimSuffix(lines[i], "\n")
			lineNo := i + 1
			if strings.TrimSpace(l) == "" {
				i++
				break
			}
			if l[0] == ' ' || l[0] == '\t' { // folded: continues the field above
				if len(t.fields) == 0 {
					return nil, fmt.Errorf("template %s:%d: continuation line without a field", name, lineNo)
				}
				segs, err := parseVars(" "+strings.TrimSpace(l), name, lineNo)
				if err != nil {
					return nil, err
				}
				f := &t.fields[len(t.fields)-1]
				f.value = append(f.value, segs...)
				continue
			}
			if !isHeaderLine(l) {
				return nil, fmt.Errorf("template %s:%d: not a header line (the header part ends at the first blank line)", name, lineNo)
			}
			fname, value, _ := strings.Cut(l, ":")
			segs, err := parseVars(strings.TrimSpace(value), name, lineNo)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, field{name: fname, value: segs, line: lineNo})
		}
		bodyStart = i
	}
	seen := map[string]bool{}
	for _, f := range t.fields {
		key := strings.ToLower(f.name)
		switch key {
		case "bcc", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding":
			return nil, fmt.Errorf("template %s:%d: header %s is not allowed", name, f.line, f.name)
		}
		if seen[key] {
			return nil, fmt.Errorf("template %s:%d: duplicate header %s", name, f.line, f.name)
		}
		seen[key] = true
		for _, sg := range f.value {
			if sg.kind == segShells {
				return nil, fmt.Errorf("template %s:%d: ${SHELLS} is not allowed in the header part (header %s)", name, f.line, f.name)
			}
		}
	}
	if !seen["subject"] {
		t.fields = append([]field{{name: "Subject", value: []segment{{text: DefaultSubject}}}}, t.fields...)
	}
	if !seen["to"] {
		t.fields = append([]field{{name: "To", value: []segment{{kind: segEmail}}}}, t.fields...)
	}
	body, err := parseVars(strings.Join(lines[bodyStart:], ""), name, bodyStart+1)
	if err != nil {
		return nil, err
	}
	t.body = body
	return t, nil
}

// isHeaderLine reports whether l is "Name: value", Name being a letter
// followed by letters, digits and hyphens.
func isHeaderLine(l string) bool {
	name, _, ok := strings.Cut(l, ":")
	if !ok || name == "" || !(name[0] >= 'A' && name[0] <= 'Z' || name[0] >= 'a' && name[0] <= 'z') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isIdent(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// parseVars splits s, which starts on line lineNo of the template, into
// literal text and variables.
func parseVars(s, name string, lineNo int) ([]segment, error) {
	var segs []segment
	var lit strings.Builder
	lineStart := 0 // index in s where the current line starts
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			lineNo++
			lineStart = i + 1
		}
		if c != '$' || i+1 == len(s) {
			lit.WriteByte(c)
			continue
		}
		var v string
		end := i // index of the last byte of the reference
		switch n := s[i+1]; {
		case n == '{':
			j := i + 2
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			if j == len(s) || s[j] != '}' {
				return nil, fmt.Errorf("template %s:%d: malformed variable reference starting %q", name, lineNo, clip(s[i:], 20))
			}
			v, end = s[i+2:j], j
			if _, ok := varKind(v); !ok {
				return nil, fmt.Errorf("template %s:%d: unknown variable ${%s} (known: ${EMAIL}, ${USERNAME}, ${SHELLS}, ${HOSTNAME})", name, lineNo, v)
			}
		case n == '(':
			return nil, fmt.Errorf("template %s:%d: command substitution %q is not supported (templates are not run by a shell; use ${HOSTNAME})", name, lineNo, clip(s[i:], 20))
		case isIdent(n):
			j := i + 1
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			if _, ok := varKind(s[i+1 : j]); !ok {
				lit.WriteByte(c) // "$5", "$FOO": literal
				continue
			}
			v, end = s[i+1:j], j-1
		default:
			lit.WriteByte(c)
			continue
		}
		kind, _ := varKind(v)
		seg := segment{kind: kind}
		if kind == segShells {
			// Indent every file like the first when only blanks precede
			// the variable on its line.
			if pre := s[lineStart:i]; strings.Trim(pre, " \t") == "" {
				seg.text = pre
			}
		}
		flush()
		segs = append(segs, seg)
		i = end
	}
	flush()
	return segs, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Render returns the message telling d.User about d.Items: to email
// (normally Address(d.User, HostDomain())), with ${HOSTNAME} as hostname,
// and from the template's From header or else from.
//
// The recipients are the addresses of the To and Cc headers after
// substitution; the envelope sender is the From address. Every header
// value must pass mailer.Build's checks.
func (t *Template) Render(d Digest, email, hostname, from string) (*mailer.Message, error) {
	if !ValidUsername(d.User) {
		return nil, fmt.Errorf("template %s: invalid user name %q", t.name, d.User)
	}
	if len(d.Items) == 0 {
		return nil, fmt.Errorf("template %s: user %s: nothing to report", t.name, d.User)
	}
	if err := mailer.ValidAddress(email); err != nil {
		return nil, fmt.Errorf("template %s: user %s: %w", t.name, d.User, err)
	}
	if hostname != "" && !mailer.ValidHostName(hostname) {
		return nil, fmt.Errorf("template %s: invalid host name %q", t.name, hostname)
	}
	expand := func(segs []segment) string {
		var b strings.Builder
		for _, sg := range segs {
			switch sg.kind {
			case segText:
				b.WriteString(sg.text)
			case segEmail:
				b.WriteString(email)
			case segUser:
				b.WriteString(d.User)
			case segHost:
				b.WriteString(hostname)
			case segShells:
				writeShells(&b, d.Items, sg.text)
			}
		}
		return b.String()
	}

	var h mailer.Header
	var rcpts []string
	for _, f := range t.fields {
		v := expand(f.value)
		switch strings.ToLower(f.name) {
		case "to", "cc":
			list, err := addressList(v)
			if err != nil {
				return nil, fmt.Errorf("template %s:%d: user %s: header %s: %w", t.name, f.line, d.User, f.name, err)
			}
			rcpts = append(rcpts, list...)
			if strings.EqualFold(f.name, "to") {
				h.To = list
			} else {
				h.Extra = append(h.Extra, [2]string{"Cc", strings.Join(list, ", ")})
			}
		case "from":
			h.From = v
		case "subject":
			h.Subject = v
		default:
			h.Extra = append(h.Extra, [2]string{f.name, v})
		}
	}
	if h.From == "" {
		h.From = from
	}
	if h.From == "" {
		return nil, fmt.Errorf("template %s: no From address (none in the template, none given)", t.name)
	}
	fromAddr, err := mail.ParseAddress(h.From)
	if err != nil {
		return nil, fmt.Errorf("template %s: user %s: From %q: %w", t.name, d.User, h.From, err)
	}
	data, err := mailer.Build(h, expand(t.body))
	if err != nil {
		return nil, fmt.Errorf("template %s: user %s: %w", t.name, d.User, err)
	}
	return &mailer.Message{From: fromAddr.Address, To: rcpts, Data: data}, nil
}

// addressList parses an address list header value into addresses in the
// form mailer.Build accepts, one per element.
func addressList(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, errors.New("no address")
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", v, err)
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		s := a.Address
		if a.Name != "" {
			s = a.String()
		}
		if err := mailer.ValidAddress(s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// writeShells writes one line per item (the first without indent, which
// the template already has), at most MaxListed.
func writeShells(b *strings.Builder, items []Item, indent string) {
	for i, it := range items {
		if i == MaxListed {
			b.WriteString("\n" + indent + "... and " + strconv.Itoa(len(items)-MaxListed) + " more files")
			return
		}
		if i > 0 {
			b.WriteString("\n" + indent)
		}
		b.WriteString(shellLine(it))
	}
}

// shellLine is how ${SHELLS} shows one item:
//
//	/home/bob/public_html/x.php [c99, PHP.Backdoor.3]: quarantined to /root/shells/home/bob/public_html/x.php
//
// Path, signatures and action are escaped (see escape).
func shellLine(it Item) string {
	var b strings.Builder
	b.WriteString(escape(it.Path))
	if len(it.Signatures) > 0 {
		b.WriteString(" [")
		for i, s := range it.Signatures {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(escape(s))
		}
		b.WriteString("]")
	}
	if it.Action != "" {
		b.WriteString(": ")
		b.WriteString(escape(it.Action))
	}
	return b.String()
}

// escape returns s with backslashes, control and other non-printable
// characters, and invalid UTF-8 shown Go-style (\\, \n, \r, \t, \xNN for
// each other byte), so that it can never start a new line or hide text.
func escape(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && n <= 1, !unicode.IsPrint(r):
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			}
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}
