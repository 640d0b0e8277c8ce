package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spamgear/spamgear/remediate/mailer"
	"github.com/spamgear/spamgear/remediate/mailer/mailtest"
)

// TestEndToEnd collects one run's findings for three users (and some
// paths without a valid user), renders the default template for each, and
// sends them over SMTP with STARTTLS and AUTH to a test server.
func TestEndToEnd(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{TLS: true, Auth: map[string]string{"spamgear": "s3cret"}})
	m := &mailer.SMTP{
		Addr:      srv.Addr(),
		Security:  mailer.StartTLS,
		Username:  "spamgear",
		Password:  "s3cret",
		Timeout:   20 * time.Second,
		TLSConfig: &tls.Config{RootCAs: srv.CertPool()},
	}

	re, err := ParseUserPattern(`^/home/\([^/.]*\)/.*`)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(re)
	paths := map[string][]string{
		"alice": {"/home/alice/public_html/wp-content/uploads/x.php", "/home/alice/public_html/y.php"},
		"bob":   {"/home/bob/public_html/shell.php", "/home/bob/tmp/evil\nBcc: x@attacker.example.php"},
		"carol": {"/home/carol/www/c99.php"},
	}
	// Interleaved, as a scan finds them.
	for i := range 2 {
		for _, u := range []string{"carol", "bob", "alice"} {
			if i < len(paths[u]) {
				c.Add(Item{Path: paths[u][i], Signatures: []string{"c99"}, Action: "quarantined to /root/shells" + paths[u][i]})
			}
		}
	}
	c.Add(Item{Path: "/home/b@d/x.php", Signatures: []string{"c99"}})
	c.Add(Item{Path: "/var/tmp/x.php", Signatures: []string{"c99"}})

	ds, unmatched := c.Digests()
	if len(unmatched) != 2 {
		t.Errorf("unmatched = %v", unmatched)
	}
	tpl := DefaultTemplate()
	for _, d := range ds {
		email, err := Address(d.User, "example.net")
		if err != nil {
			t.Fatal(err)
		}
		msg, err := tpl.Render(d, email, "web1.example.net", "spamgear <root@web1.example.net>")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}

	got := srv.Messages()
	if len(got) != 3 {
		t.Fatalf("server got %d messages, want 3", len(got))
	}
	seen := map[string]bool{}
	for _, r := range got {
		if len(r.To) != 1 || r.From != "root@web1.example.net" {
			t.Fatalf("envelope %q → %q", r.From, r.To)
		}
		user, _, _ := strings.Cut(r.To[0], "@")
		if seen[user] {
			t.Errorf("second message for %s", user)
		}
		seen[user] = true
		msg, body, _ := readMessage(t, bytes.ReplaceAll(r.Data, []byte("\r\n"), []byte("\n")))
		if to := msg.Header.Get("To"); to != r.To[0] {
			t.Errorf("To header %q, envelope %q", to, r.To[0])
		}
		if msg.Header.Get("Bcc") != "" {
			t.Errorf("Bcc header in message to %s", user)
		}
		for u, ps := range paths {
			for _, p := range ps {
				if has := strings.Contains(body, escape(p)); has != (u == user) {
					t.Errorf("message to %s: contains %q = %v", user, p, has)
				}
			}
		}
		if !strings.Contains(body, "Hello "+user+",") {
			t.Errorf("message to %s does not greet them", user)
		}
	}
	users := make([]string, 0, len(seen))
	for u := range seen {
		users = append(users, u)
	}
	slices.Sort(users)
	if strings.Join(users, ",") != "alice,bob,carol" {
		t.Errorf("recipients = %v", users)
	}
}
