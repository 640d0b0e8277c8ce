package mailer

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func okHeader() Header {
	return Header{
		From:    "spamgear <root@host.example>",
		To:      []string{"bob@example.net"},
		Subject: "Malicious files found",
		Date:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestBuildRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(h *Header)
	}{
		{"subject CRLF", func(h *Header) { h.Subject = "hi\r\nBcc: x@evil.example" }},
		{"subject LF", func(h *Header) { h.Subject = "hi\nBcc: x@evil.example" }},
		{"subject CR", func(h *Header) { h.Subject = "hi\rthere" }},
		{"subject NUL", func(h *Header) { h.Subject = "hi\x00" }},
		{"subject ESC", func(h *Header) { h.Subject = "hi\x1b[2J" }},
		{"subject C1", func(h *Header) { h.Subject = "hi\u0085there" }},
		{"subject LS", func(h *Header) { h.Subject = "hi\u2028there" }},
		{"subject bad UTF-8", func(h *Header) { h.Subject = "hi\xff" }},
		{"subject unfoldable", func(h *Header) { h.Subject = strings.Repeat("x", 1200) }},
		{"from CRLF", func(h *Header) { h.From = "root@host.example\r\nBcc: x@evil.example" }},
		{"from empty", func(h *Header) { h.From = "" }},
		{"from not an address", func(h *Header) { h.From = "root" }},
		{"from encoded CRLF", func(h *Header) { h.From = "=?utf-8?q?a=0D=0ABcc:_x@evil.example?= <root@host.example>" }},
		{"to none", func(h *Header) { h.To = nil }},
		{"to LF", func(h *Header) { h.To = []string{"bob@example.net\nBcc: x@evil.example"} }},
		{"to two in one", func(h *Header) { h.To = []string{"bob@example.net, x@evil.example"} }},
		{"to garbage", func(h *Header) { h.To = []string{"bob@"} }},
		{"to second bad", func(h *Header) { h.To = []string{"bob@example.net", "<x@evil"} }},
		{"message id", func(h *Header) { h.MessageID = "no-angle@x" }},
		{"message id space", func(h *Header) { h.MessageID = "<a b@x>" }},
		{"extra name colon", func(h *Header) { h.Extra = [][2]string{{"X-A:b", "v"}} }},
		{"extra name space", func(h *Header) { h.Extra = [][2]string{{"X A", "v"}} }},
		{"extra reserved", func(h *Header) { h.Extra = [][2]string{{"content-type", "text/html"}} }},
		{"extra value LF", func(h *Header) { h.Extra = [][2]string{{"X-Spamgear", "v\nBcc: x@evil.example"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := okHeader()
			tt.edit(&h)
			if b, err := Build(h, "body\n"); err == nil {
				t.Fatalf("Build succeeded:\n%s", b)
			}
		})
	}
}

func TestValidAddress(t *testing.T) {
	tests := map[string]bool{
		"bob@example.net":                      true,
		"Bob <bob@example.net>":                true,
		`"Bob, the admin" <bob@example.net>`:   true,
		"Émile <emile@example.net>":            true,
		"":                                     false,
		"bob":                                  false,
		"bob@example.net, eve@example.net":     false,
		"bob@example.net\r\nBcc: eve@evil.com": false,
		"bob\x00@example.net":                  false,
		"<bob@example.net":                     false,
	}
	for in, want := range tests {
		if err := ValidAddress(in); (err == nil) != want {
			t.Errorf("ValidAddress(%q) = %v, want ok=%v", in, err, want)
		}
	}
}

// parse reads a built message back and returns it with its decoded body.
func parse(t *testing.T, b []byte) (*mail.Message, string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ReadMessage: %v\n%s", err, b)
	}
	var r io.Reader = m.Body
	if m.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		r = quotedprintable.NewReader(r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return m, string(body)
}

func TestBuildHeaders(t *testing.T) {
	h := okHeader()
	h.To = append(h.To, "Émile Zola <emile@example.net>")
	h.Extra = [][2]string{{"X-Spamgear-Run", "42"}, {"Auto-Submitted", "auto-generated"}}
	b, err := Build(h, "Hello\n.\nbye")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("\r")) {
		t.Errorf("CR in output")
	}
	m, body := parse(t, b)
	want := map[string]string{
		"From":                      `"spamgear" <root@host.example>`,
		"Subject":                   "Malicious files found",
		"Date":                      "Fri, 02 Jan 2026 03:04:05 +0000",
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "8bit",
		"X-Spamgear-Run":            "42",
		"Auto-Submitted":            "auto-generated",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Address != "bob@example.net" || to[1].Name != "Émile Zola" || to[1].Address != "emile@example.net" {
		t.Errorf("To = %v, %v", to, err)
	}
	if id := m.Header.Get("Message-ID"); checkMessageID(id) != nil {
		t.Errorf("generated Message-ID %q invalid", id)
	}
	if body != "Hello\n.\nbye\n" {
		t.Errorf("body = %q", body)
	}
}

func TestBuildMessageIDAndDate(t *testing.T) {
	h := okHeader()
	h.Date = time.Time{}
	h.MessageID = "<abc.123@host.example>"
	b, err := Build(h, "x")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := parse(t, b)
	if got := m.Header.Get("Message-ID"); got != h.MessageID {
		t.Errorf("Message-ID = %q", got)
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	h.MessageID = ""
	b2, _ := Build(h, "x")
	m2, _ := parse(t, b2)
	b3, _ := Build(h, "x")
	m3, _ := parse(t, b3)
	if m2.Header.Get("Message-ID") == m3.Header.Get("Message-ID") {
		t.Errorf("generated Message-IDs repeat")
	}
}

func TestBuildUTF8Subject(t *testing.T) {
	h := okHeader()
	h.Subject = "Fichiers malveillants trouvés dans votre compte — ação necessária"
	b, err := Build(h, "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Subject:") && !strings.Contains(line, "=?utf-8?") {
			t.Errorf("subject not encoded: %q", line)
		}
	}
	head, _, _ := bytes.Cut(b, []byte("\n\n"))
	for _, c := range head {
		if c >= 0x80 {
			t.Fatalf("raw non-ASCII in header:\n%s", head)
		}
	}
	m, _ := parse(t, b)
	got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || got != h.Subject {
		t.Errorf("decoded subject = %q, %v", got, err)
	}
}

func TestBuildFolding(t *testing.T) {
	h := okHeader()
	h.Subject = strings.TrimSpace(strings.Repeat("malicious files found ", 20))
	b, err := Build(h, "x")
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := bytes.Cut(b, []byte("\n\n"))
	for _, line := range strings.Split(string(head), "\n") {
		if len(line) > 78 {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
		if strings.TrimSpace(line) == "" {
			t.Errorf("whitespace-only line in header")
		}
	}
	m, _ := parse(t, b)
	if got := m.Header.Get("Subject"); got != h.Subject {
		t.Errorf("unfolded subject = %q", got)
	}
}

func TestBuildBodyEncoding(t *testing.T) {
	long := strings.Repeat("a", 1500)
	tests := []struct {
		name, body, cte, want string
	}{
		{"plain", "line 1\nline 2\n", "8bit", "line 1\nline 2\n"},
		{"utf8", "héllo wörld\n", "8bit", "héllo wörld\n"},
		{"crlf", "a\r\nb\rc\n", "8bit", "a\nb\nc\n"},
		{"no final newline", "a", "8bit", "a\n"},
		{"998", strings.Repeat("b", 998), "8bit", strings.Repeat("b", 998) + "\n"},
		{"long line", "x\n" + long + "\ny", "quoted-printable", "x\n" + long + "\ny\n"},
		{"invalid utf8", "bad \xff\xfe byte\n", "quoted-printable", "bad \xff\xfe byte\n"},
		{"nul", "a\x00b\n", "quoted-printable", "a\x00b\n"},
		{"empty", "", "8bit", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Build(okHeader(), tt.body)
			if err != nil {
				t.Fatal(err)
			}
			m, body := parse(t, b)
			if got := m.Header.Get("Content-Transfer-Encoding"); got != tt.cte {
				t.Errorf("Content-Transfer-Encoding = %q, want %q", got, tt.cte)
			}
			if body != tt.want {
				t.Errorf("body = %q, want %q", body, tt.want)
			}
			for _, line := range strings.Split(string(b), "\n") {
				if len(line) > maxLineLen {
					t.Errorf("line of %d bytes", len(line))
				}
			}
			if bytes.Contains(b, []byte("\r")) {
				t.Errorf("CR in output")
			}
		})
	}
}

func TestEscapeText(t *testing.T) {
	tests := map[string]string{
		"plain":         "plain",
		"a\nb\r\tc":     `a\nb\r\tc`,
		"esc\x1b[2J":    `esc\x1b[2J`,
		"bad\xff":       `bad\xff`,
		`back\slash`:    `back\\slash`,
		"é":             "é",
		"c1\u0085":      `c1\xc2\x85`,
		"ls\u2028":      `ls\xe2\x80\xa8`,
		"del\x7f":       `del\x7f`,
		"nul\x00":       `nul\x00`,
		"héllo\x00wörd": `héllo\x00wörd`,
	}
	for in, want := range tests {
		if got := escapeText(in, 100); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escapeText("abcdef", 3); got != "abc..." {
		t.Errorf("cut = %q", got)
	}
	if got := escapeText("aé", 2); got != "a..." {
		t.Errorf("cut in rune = %q", got)
	}
}
