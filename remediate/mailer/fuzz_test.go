package mailer

import (
	"strings"
	"testing"
)

// FuzzBuild checks that whatever Build accepts reads back as exactly the
// fields it wrote (no injected field) and the body it was given.
func FuzzBuild(f *testing.F) {
	f.Add("bob@example.net", "hello", "body\n")
	f.Add("Bob <bob@example.net>", "héllo\r\nBcc: x@evil", "a\r\nb\rc\xff")
	f.Add("=?utf-8?q?a=0D=0Ab?= <b@x>", strings.Repeat("word ", 100), strings.Repeat("x", 2000))
	f.Fuzz(func(t *testing.T, to, subject, body string) {
		h := Header{From: "root@host.example", To: []string{to}, Subject: subject, MessageID: "<a@b>"}
		b, err := Build(h, body)
		if err != nil {
			return
		}
		m, got := parse(t, b)
		want := map[string]bool{
			"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
			"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true,
		}
		for k, v := range m.Header {
			if !want[k] || len(v) != 1 {
				t.Fatalf("unexpected field %q = %q in\n%q", k, v, b)
			}
		}
		body = strings.ReplaceAll(body, "\r\n", "\n")
		body = strings.ReplaceAll(body, "\r", "\n")
		if body != "" && !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		if got != body {
			t.Fatalf("body %q, want %q", got, body)
		}
		if list, err := m.Header.AddressList("To"); err != nil || len(list) != 1 {
			t.Fatalf("To reads back as %v, %v", list, err)
		}
	})
}
