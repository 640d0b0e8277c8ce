package notify

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
)

// readMessage parses rendered message text and returns it with its
// decoded body and subject.
func readMessage(t *testing.T, data []byte) (m *mail.Message, body, subject string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadMessage: %v\n%s", err, data)
	}
	var r io.Reader = m.Body
	if m.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return m, string(b), subject
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"shells in subject", "To: ${EMAIL}\nSubject: found ${SHELLS}\n\nbody\n", []string{"custom.email:2:", "${SHELLS}", "Subject"}},
		{"bare shells in header", "Subject: $SHELLS\n\nbody\n", []string{"custom.email:1:", "${SHELLS}"}},
		{"shells in folded header", "Subject: x\n  ${SHELLS}\n\nbody\n", []string{"custom.email:1:", "${SHELLS}"}},
		{"unknown var in body", "Hello\n\nyour ${FILES} are bad\n", []string{"custom.email:3:", "${FILES}"}},
		{"unknown var in header", "X-Host: ${HOST}\n\nbody\n", []string{"custom.email:1:", "${HOST}"}},
		{"lowercase var", "Hi ${username}\n", []string{"custom.email:1:", "${username}"}},
		{"malformed var", "Hi ${USERNAME\n", []string{"custom.email:1:", "malformed"}},
		{"command substitution", "From: noreply@$(hostname -d)\n\nbody\n", []string{"custom.email:1:", "command substitution"}},
		{"not a header line", "To: ${EMAIL}\nSubject: x\nthis is not a header\n\nbody\n", []string{"custom.email:3:", "not a header line"}},
		{"bcc", "Bcc: spy@example.net\n\nbody\n", []string{"custom.email:1:", "Bcc"}},
		{"content-type", "Subject: x\nContent-Type: text/html\n\n<b>hi</b>\n", []string{"custom.email:2:", "Content-Type"}},
		{"duplicate", "To: ${EMAIL}\nto: a@example.net\n\nbody\n", []string{"custom.email:2:", "duplicate"}},
		{"invalid utf8", "Subject: x\n\nbody \xff\n", []string{"custom.email", "UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTemplate("custom.email", []byte(tt.text))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q does not contain %q", err, w)
				}
			}
		})
	}
}

func hostileDigest() Digest {
	return Digest{User: "bob", Items: []Item{
		{Path: "/home/bob/public_html/ok.php", Signatures: []string{"c99", "PHP.Backdoor.3"}, Action: "quarantined to /root/shells/home/bob/public_html/ok.php"},
		{Path: "/home/bob/x\n.php\r\nBcc: evil@attacker.example\n\nFAKE LINE\x1b[2J\xff\\n.php", Signatures: []string{"sig\nname"}, Action: "cleaned"},
	}}
}

func TestRenderDefaultHostilePath(t *testing.T) {
	msg, err := DefaultTemplate().Render(hostileDigest(), "bob@example.net", "web1.example.net", "spamgear <root@web1.example.net>")
	if err != nil {
		t.Fatal(err)
	}
	if msg.From != "root@web1.example.net" || len(msg.To) != 1 || msg.To[0] != "bob@example.net" {
		t.Errorf("envelope = %q → %q", msg.From, msg.To)
	}
	m, body, subject := readMessage(t, msg.Data)
	if subject != DefaultSubject {
		t.Errorf("Subject = %q", subject)
	}
	if got := m.Header.Get("To"); got != "bob@example.net" {
		t.Errorf("To = %q", got)
	}
	if got := m.Header.Get("Bcc"); got != "" {
		t.Errorf("Bcc header injected: %q", got)
	}
	head, _, _ := bytes.Cut(msg.Data, []byte("\n\n"))
	if bytes.Contains(head, []byte("evil")) || bytes.Contains(head, []byte("FAKE")) {
		t.Errorf("path leaked into header:\n%s", head)
	}
	wantLines := []string{
		"Hello bob,",
		"This is an automatic message from the hosting server web1.example.net.",
		"    /home/bob/public_html/ok.php [c99, PHP.Backdoor.3]: quarantined to /root/shells/home/bob/public_html/ok.php",
		`    /home/bob/x\n.php\r\nBcc: evil@attacker.example\n\nFAKE LINE\x1b[2J\xff\\n.php [sig\nname]: cleaned`,
	}
	lines := strings.Split(body, "\n")
	for _, w := range wantLines {
		found := false
		for _, l := range lines {
			found = found || l == w
		}
		if !found {
			t.Errorf("body has no line %q:\n%s", w, body)
		}
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "Bcc:") || strings.HasPrefix(l, "FAKE") || strings.Contains(l, "\x1b") || strings.Contains(l, "\r") {
			t.Errorf("hostile path forged a line: %q", l)
		}
	}
	for _, w := range []string{"update", "password"} {
		if !strings.Contains(body, w) {
			t.Errorf("default body does not mention %q", w)
		}
	}
}

func TestRenderCustomWithoutHeaders(t *testing.T) {
	tpl, err := ParseTemplate("plain.email", []byte("Hi ${USERNAME} (${EMAIL}),\nfiles on ${HOSTNAME}:\n${SHELLS}\nCosts $5, $FOO and $ stay.\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := Digest{User: "alice", Items: []Item{{Path: "/home/alice/a.php"}, {Path: "/home/alice/b.php", Action: "reported"}}}
	msg, err := tpl.Render(d, "alice@example.net", "h.example.net", "root@h.example.net")
	if err != nil {
		t.Fatal(err)
	}
	m, body, subject := readMessage(t, msg.Data)
	if subject != DefaultSubject || m.Header.Get("To") != "alice@example.net" || m.Header.Get("From") != "root@h.example.net" {
		t.Errorf("headers = %v", m.Header)
	}
	want := "Hi alice (alice@example.net),\nfiles on h.example.net:\n/home/alice/a.php\n/home/alice/b.php: reported\nCosts $5, $FOO and $ stay.\n"
	if body != want {
		t.Errorf("body = %q, want %q", body, want)
	}
}

func TestRenderCustomWithHeaders(t *testing.T) {
	// spam-gear's own style: bare $VARS, its own From.
	text := "From: noreply@${HOSTNAME}\r\nSubject: [${HOSTNAME}] Fichiers malveillants trouvés\r\nCc: abuse@example.net\r\nX-Spamgear-User: $USERNAME\r\n\r\nHi $USERNAME,\r\n\r\n$SHELLS\r\n"
	tpl, err := ParseTemplate("custom.email", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	d := Digest{User: "carol", Items: []Item{{Path: "/home/carol/x.php", Signatures: []string{"r57"}}}}
	msg, err := tpl.Render(d, "carol@example.net", "web1.example.net", "ignored@example.net")
	if err != nil {
		t.Fatal(err)
	}
	if msg.From != "noreply@web1.example.net" {
		t.Errorf("envelope From = %q", msg.From)
	}
	if strings.Join(msg.To, ",") != "carol@example.net,abuse@example.net" {
		t.Errorf("envelope To = %q", msg.To)
	}
	m, body, subject := readMessage(t, msg.Data)
	if subject != "[web1.example.net] Fichiers malveillants trouvés" {
		t.Errorf("Subject = %q", subject)
	}
	for k, v := range map[string]string{
		"From": "noreply@web1.example.net", "To": "carol@example.net",
		"Cc": "abuse@example.net", "X-Spamgear-User": "carol",
	} {
		if got := m.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if body != "Hi carol,\n\n/home/carol/x.php [r57]\n" {
		t.Errorf("body = %q", body)
	}
}

func TestRenderRefuses(t *testing.T) {
	d := Digest{User: "bob", Items: []Item{{Path: "/home/bob/x.php"}}}
	tpl := DefaultTemplate()
	tests := []struct {
		name                  string
		tpl                   *Template
		d                     Digest
		email, hostname, from string
	}{
		{"bad user", tpl, Digest{User: "bob\r\nBcc: x@evil", Items: d.Items}, "bob@example.net", "h", "root@h"},
		{"no items", tpl, Digest{User: "bob"}, "bob@example.net", "h", "root@h"},
		{"email injection", tpl, d, "bob@example.net\r\nBcc: x@evil.example", "h", "root@h"},
		{"two emails", tpl, d, "bob@example.net, x@evil.example", "h", "root@h"},
		{"hostname injection", tpl, d, "bob@example.net", "h\nBcc: x@evil.example", "root@h"},
		{"from injection", tpl, d, "bob@example.net", "h", "root@h\r\nBcc: x@evil.example"},
		{"no from", tpl, d, "bob@example.net", "h", ""},
		{"empty hostname in From", mustParse(t, "From: noreply@${HOSTNAME}\n\nx\n"), d, "bob@example.net", "", "root@h"},
		{"literal header injection", mustParse(t, "X-A: a\u0085b\n\nx\n"), d, "bob@example.net", "h", "root@h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg, err := tt.tpl.Render(tt.d, tt.email, tt.hostname, tt.from); err == nil {
				t.Fatalf("Render succeeded:\n%s", msg.Data)
			}
		})
	}
}

func mustParse(t *testing.T, text string) *Template {
	t.Helper()
	tpl, err := ParseTemplate("test", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestRenderMaxListed(t *testing.T) {
	d := Digest{User: "bob"}
	for range MaxListed + 5 {
		d.Items = append(d.Items, Item{Path: "/home/bob/x.php"})
	}
	msg, err := DefaultTemplate().Render(d, "bob@example.net", "h", "root@h")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := readMessage(t, msg.Data)
	if n := strings.Count(body, "    /home/bob/x.php\n"); n != MaxListed {
		t.Errorf("listed %d files, want %d", n, MaxListed)
	}
	if !strings.Contains(body, "\n    ... and 5 more files\n") {
		t.Errorf("no summary line")
	}
}

func TestEscape(t *testing.T) {
	tests := map[string]string{
		"/home/a/b.php":     "/home/a/b.php",
		"/home/a/é.php":     "/home/a/é.php",
		"/home/a/x\ny.php":  `/home/a/x\ny.php`,
		"/home/a/\r\t.php":  `/home/a/\r\t.php`,
		"/home/a/\x1b[2J":   `/home/a/\x1b[2J`,
		"/home/a/\xff.php":  `/home/a/\xff.php`,
		`/home/a/back\sl`:   `/home/a/back\\sl`,
		"/home/a/\u2028":    `/home/a/\xe2\x80\xa8`,
		"/home/a/\u202e.js": `/home/a/\xe2\x80\xae.js`,
	}
	for in, want := range tests {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}
