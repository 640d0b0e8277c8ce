package notify

import (
	"strings"
	"testing"
)

// FuzzParseTemplate renders whatever ParseTemplate accepts for a digest
// with a hostile path, and checks that the path never escapes its line.
func FuzzParseTemplate(f *testing.F) {
	f.Add([]byte(defaultTemplate))
	f.Add([]byte("From: noreply@$HOSTNAME\nSubject: [${HOSTNAME}] x\n\nHi $USERNAME,\n\n$SHELLS\n"))
	f.Add([]byte("Hi ${USERNAME}\n${SHELLS}${SHELLS}\n"))
	f.Add([]byte("To: ${EMAIL}, a@b.example\nCc: c@d.example\n  , e@f.example\n\n${SHELLS}"))
	d := Digest{User: "bob", Items: []Item{{Path: "/home/bob/x\nBcc: evil@attacker.example\n.php", Signatures: []string{"s\r\nX-Evil: 1"}}}}
	f.Fuzz(func(t *testing.T, text []byte) {
		tpl, err := ParseTemplate("fuzz", text)
		if err != nil {
			return
		}
		msg, err := tpl.Render(d, "bob@example.net", "web1.example.net", "root@web1.example.net")
		if err != nil {
			return
		}
		m, body, _ := readMessage(t, msg.Data)
		for k := range m.Header {
			if k == "Bcc" || k == "X-Evil" {
				t.Fatalf("injected header %s:\n%q", k, msg.Data)
			}
		}
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "Bcc:") || strings.HasPrefix(l, ".php") {
				t.Fatalf("path escaped its line: %q in\n%q", l, msg.Data)
			}
		}
	})
}
