package mailer

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Header is what Build writes in a message's header.
type Header struct {
	// From is the author address, e.g. "spamgear <root@host.example>".
	From string
	// To are the recipient addresses; at least one.
	To []string
	// Subject is plain text; non-ASCII is RFC 2047 encoded.
	Subject string
	// Date is the origination date; zero means now.
	Date time.Time
	// MessageID is "<id@domain>"; empty means a generated
	// "<random.unixnano@host>".
	MessageID string
	// Extra are additional fields (name, value), written in order after
	// Message-ID. Names are field names (printable ASCII but ':'); the
	// fields Build writes itself are refused. Values follow the Subject
	// rules: unstructured text, non-ASCII RFC 2047 encoded.
	Extra [][2]string
}

const (
	maxLineLen = 998 // RFC 5322 hard limit, without CRLF
	foldLen    = 78  // RFC 5322 recommended limit
)

// reserved reports whether Build writes the field itself, so that Extra
// may not repeat it.
func reserved(name string) bool {
	switch strings.ToLower(name) {
	case "from", "to", "subject", "date", "message-id",
		"mime-version", "content-type", "content-transfer-encoding":
		return true
	}
	return false
}

// Build returns the complete message text (LF line endings) for h and a
// plain-text body.
//
// It refuses, with an error, any header value holding CR, LF, NUL, another
// control character or invalid UTF-8 (header injection), any address that
// net/mail.ParseAddress rejects, and any field that cannot be folded under
// the 998-byte line limit.
//
// The body's line endings (CRLF, lone CR, LF) all become LF. It is sent as
// Content-Transfer-Encoding 8bit when it is valid UTF-8 without NUL and
// every line fits in 998 bytes; otherwise as quoted-printable, which keeps
// every byte, invalid UTF-8 included (a reader shows those as replacement
// characters), without breaking the message.
func Build(h Header, body string) ([]byte, error) {
	var b bytes.Buffer
	from, err := formatAddress(h.From)
	if err != nil {
		return nil, fmt.Errorf("mail header From: %w", err)
	}
	if len(h.To) == 0 {
		return nil, errors.New("mail header To: no recipients")
	}
	tos := make([]string, 0, len(h.To))
	for _, t := range h.To {
		a, err := formatAddress(t)
		if err != nil {
			return nil, fmt.Errorf("mail header To: %w", err)
		}
		tos = append(tos, a)
	}
	if err := checkValue(h.Subject); err != nil {
		return nil, fmt.Errorf("mail header Subject: %w", err)
	}
	date := h.Date
	if date.IsZero() {
		date = time.Now()
	}
	id := h.MessageID
	if id == "" {
		if id, err = newMessageID(); err != nil {
			return nil, err
		}
	} else if err := checkMessageID(id); err != nil {
		return nil, fmt.Errorf("mail header Message-ID: %w", err)
	}

	fields := [][2]string{
		{"From", from},
		{"To", strings.Join(tos, ", ")},
		{"Subject", encodeText(h.Subject)},
		{"Date", date.Format(time.RFC1123Z)},
		{"Message-ID", id},
	}
	for _, kv := range h.Extra {
		name, value := kv[0], kv[1]
		if err := checkFieldName(name); err != nil {
			return nil, fmt.Errorf("mail header %q: %w", name, err)
		}
		if err := checkValue(value); err != nil {
			return nil, fmt.Errorf("mail header %s: %w", name, err)
		}
		fields = append(fields, [2]string{name, encodeText(value)})
	}

	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	cte := "8bit"
	if !is8bit(body) {
		cte = "quoted-printable"
	}
	fields = append(fields,
		[2]string{"MIME-Version", "1.0"},
		[2]string{"Content-Type", "text/plain; charset=utf-8"},
		[2]string{"Content-Transfer-Encoding", cte},
	)
	for _, f := range fields {
		if err := writeField(&b, f[0], f[1]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('\n')
	if cte == "8bit" {
		b.WriteString(body)
		return b.Bytes(), nil
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	if _, err := w.Write([]byte(body)); err != nil {
		return nil, fmt.Errorf("mail body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("mail body: %w", err)
	}
	// The encoder ends lines with CRLF; every CR left in its output is one
	// of those (a data CR would be =0D).
	b.Write(bytes.ReplaceAll(qp.Bytes(), []byte("\r\n"), []byte("\n")))
	if qp.Len() > 0 && !bytes.HasSuffix(qp.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// ValidAddress reports whether s is one address, as net/mail.ParseAddress
// reads it ("bob@example.net" or "Bob <bob@example.net>"), with no control
// characters (before or after RFC 2047 decoding of the name) and no invalid
// UTF-8.
func ValidAddress(s string) error {
	_, err := parseAddress(s)
	return err
}

func parseAddress(s string) (*mail.Address, error) {
	if s == "" {
		return nil, errors.New("empty address")
	}
	if len(s) > maxLineLen {
		return nil, fmt.Errorf("address too long (%d bytes)", len(s))
	}
	if err := checkValue(s); err != nil {
		return nil, fmt.Errorf("address %q: %w", s, err)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", s, err)
	}
	if err := checkValue(a.Name); err != nil {
		return nil, fmt.Errorf("address %q: name: %w", s, err)
	}
	if err := checkValue(a.Address); err != nil {
		return nil, fmt.Errorf("address %q: %w", s, err)
	}
	return a, nil
}

// formatAddress returns s in canonical header form: the bare address when
// it has no display name, else mail.Address.String (which quotes and RFC
// 2047-encodes the name as needed).
func formatAddress(s string) (string, error) {
	a, err := parseAddress(s)
	if err != nil {
		return "", err
	}
	if a.Name == "" {
		return a.Address, nil
	}
	return a.String(), nil
}

// checkValue refuses header text that could break out of its field.
func checkValue(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	for _, r := range s {
		if isControl(r) {
			return fmt.Errorf("control character %q not allowed", r)
		}
	}
	return nil
}

func checkFieldName(name string) error {
	if name == "" {
		return errors.New("empty field name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return errors.New("invalid field name")
		}
	}
	if reserved(name) {
		return errors.New("field is written by Build, not allowed in Extra")
	}
	return nil
}

func checkMessageID(id string) error {
	if len(id) < 5 || id[0] != '<' || id[len(id)-1] != '>' {
		return fmt.Errorf("%q is not <left@right>", id)
	}
	inner := id[1 : len(id)-1]
	at := strings.IndexByte(inner, '@')
	if at <= 0 || at == len(inner)-1 || strings.Count(inner, "@") != 1 {
		return fmt.Errorf("%q is not <left@right>", id)
	}
	for i := 0; i < len(inner); i++ {
		if c := inner[i]; c <= ' ' || c > '~' || c == '<' || c == '>' || c == '"' || c == '\\' {
			return fmt.Errorf("%q: invalid character", id)
		}
	}
	return nil
}

func newMessageID() (string, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("message id: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || !ValidHostName(host) {
		host = "localhost"
	}
	return "<" + hex.EncodeToString(r[:]) + "." + strconv.FormatInt(time.Now().UnixNano(), 10) + "@" + host + ">", nil
}

// ValidHostName reports whether s is a plausible host or domain name:
// letters, digits, hyphens and dots, in non-empty labels of at most 63
// bytes.
func ValidHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// encodeText RFC 2047-encodes s when it is not plain ASCII.
func encodeText(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// writeField writes "name: value", folded at spaces to stay near 78 bytes a
// line where it can. It fails when some line would exceed 998 bytes.
func writeField(b *bytes.Buffer, name, value string) error {
	line := name + ":"
	if value != "" {
		value = " " + value
	}
	for len(line)+len(value) > foldLen {
		i := foldPoint(value, foldLen-len(line))
		if i < 0 {
			break
		}
		if len(line)+i > maxLineLen {
			return fmt.Errorf("mail header %s: line longer than %d bytes", name, maxLineLen)
		}
		b.WriteString(line)
		b.WriteString(value[:i])
		b.WriteByte('\n')
		line, value = "", value[i:]
	}
	if len(line)+len(value) > maxLineLen {
		return fmt.Errorf("mail header %s: line longer than %d bytes", name, maxLineLen)
	}
	b.WriteString(line)
	b.WriteString(value)
	b.WriteByte('\n')
	return nil
}

// foldPoint returns the index of the space in v (which starts with a
// space) before which to fold: the last one within limit bytes, else the
// first one, never one that would leave a line of only spaces; -1 when
// there is none.
func foldPoint(v string, limit int) int {
	start := 0
	for start < len(v) && v[start] == ' ' {
		start++
	}
	end := len(v) // the last non-space byte is at end-1
	for end > start && v[end-1] == ' ' {
		end--
	}
	best := -1
	for i := start + 1; i < end; i++ {
		if v[i] != ' ' {
			continue
		}
		if i <= limit || best < 0 {
			best = i
		}
		if i > limit {
			break
		}
	}
	return best
}

func is8bit(body string) bool {
	if !utf8.ValidString(body) || strings.IndexByte(body, 0) >= 0 {
		return false
	}
	for body != "" {
		line, rest, _ := strings.Cut(body, "\n")
		if len(line) > maxLineLen {
			return false
		}
		body = rest
	}
	return true
}
