package mailer

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/spamgear/spamgear/remediate/mailer/mailtest"
)

func builtMessage(t *testing.T, to ...string) *Message {
	t.Helper()
	data, err := Build(Header{
		From:    "spamgear <root@host.example>",
		To:      to,
		Subject: "Fichiers trouvés",
	}, "Hello,\n.\n..two dots\nfiles:\n  /home/bob/x.php\n")
	if err != nil {
		t.Fatal(err)
	}
	return &Message{From: "spamgear <root@host.example>", To: to, Data: data}
}

// checkReceived asserts that srv got exactly msg, byte for byte once line
// endings are normalised.
func checkReceived(t *testing.T, srv *mailtest.Server, msg *Message) {
	t.Helper()
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server got %d messages, want 1", len(got))
	}
	r := got[0]
	if r.From != "root@host.example" {
		t.Errorf("MAIL FROM = %q", r.From)
	}
	if strings.Join(r.To, ",") != strings.Join(msg.To, ",") {
		t.Errorf("RCPT TO = %q, want %q", r.To, msg.To)
	}
	if bytes.Contains(bytes.ReplaceAll(r.Data, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("bare LF on the wire")
	}
	if data := bytes.ReplaceAll(r.Data, []byte("\r\n"), []byte("\n")); !bytes.Equal(data, msg.Data) {
		t.Errorf("received\n%q\nwant\n%q", data, msg.Data)
	}
}

func TestSMTPModes(t *testing.T) {
	tests := []struct {
		name     string
		opts     mailtest.Options
		security Security
		trust    bool   // trust the server's certificate
		wantErr  string // "" for success
	}{
		{"plain", mailtest.Options{}, None, false, ""},
		{"none ignores STARTTLS", mailtest.Options{TLS: true}, None, false, ""},
		{"opportunistic without TLS", mailtest.Options{}, Opportunistic, false, ""},
		{"opportunistic with TLS", mailtest.Options{TLS: true}, Opportunistic, true, ""},
		{"opportunistic bad cert", mailtest.Options{TLS: true}, Opportunistic, false, "STARTTLS: tls: failed to verify certificate"},
		{"starttls", mailtest.Options{TLS: true}, StartTLS, true, ""},
		{"starttls bad cert", mailtest.Options{TLS: true}, StartTLS, false, "STARTTLS: tls:"},
		{"starttls not offered", mailtest.Options{}, StartTLS, false, "STARTTLS: server does not offer STARTTLS"},
		{"implicit", mailtest.Options{Implicit: true}, Implicit, true, ""},
		{"implicit bad cert", mailtest.Options{Implicit: true}, Implicit, false, "TLS handshake: tls:"},
		{"implicit to plain server", mailtest.Options{}, Implicit, true, "TLS handshake:"},
		{"auth", mailtest.Options{Auth: map[string]string{"u": "p"}}, None, false, ""},
		{"auth over TLS", mailtest.Options{Auth: map[string]string{"u": "p"}, TLS: true}, StartTLS, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.NewServer(t, tt.opts)
			s := &SMTP{Addr: srv.Addr(), Security: tt.security, Timeout: 20 * time.Second}
			if tt.trust {
				s.TLSConfig = &tls.Config{RootCAs: srv.CertPool()}
			}
			if tt.opts.Auth != nil {
				s.Username, s.Password = "u", "p"
			}
			msg := builtMessage(t, "bob@example.net", "Carol <carol@example.net>")
			err := s.Send(context.Background(), msg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "smtp "+srv.Addr()+": ") {
					t.Errorf("error %q does not name the server", err)
				}
				if n := len(srv.Messages()); n != 0 {
					t.Errorf("server got %d messages", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			msg.To = []string{"bob@example.net", "carol@example.net"}
			checkReceived(t, srv, msg)
		})
	}
}

func TestSMTPAuthFailure(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{Auth: map[string]string{"u": "p"}})
	s := &SMTP{Addr: srv.Addr(), Security: None, Username: "u", Password: "wrong"}
	err := s.Send(context.Background(), builtMessage(t, "bob@example.net"))
	if err == nil {
		t.Fatal("no error")
	}
	want := "smtp " + srv.Addr() + ": AUTH: 535 5.7.8"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want prefix %q", err, want)
	}
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 535 {
		t.Errorf("errors.As textproto.Error: %v", te)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages", n)
	}
}

func TestSMTPAuthRequired(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{Auth: map[string]string{"u": "p"}})
	s := &SMTP{Addr: srv.Addr(), Security: None}
	err := s.Send(context.Background(), builtMessage(t, "bob@example.net"))
	if err == nil || !strings.Contains(err.Error(), ": MAIL FROM: 502") {
		t.Fatalf("err = %v", err)
	}
}

func TestSMTPAuthNotOffered(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	s := &SMTP{Addr: srv.Addr(), Security: None, Username: "u", Password: "p"}
	err := s.Send(context.Background(), builtMessage(t, "bob@example.net"))
	if err == nil || !strings.Contains(err.Error(), "AUTH: server does not offer AUTH") {
		t.Fatalf("err = %v", err)
	}
}

func TestAuthAllowed(t *testing.T) {
	tests := []struct {
		name      string
		encrypted bool
		remote    net.Addr
		ok        bool
	}{
		{"tls remote", true, &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 587}, true},
		{"plain loopback v4", false, &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 25}, true},
		{"plain loopback 127/8", false, &net.TCPAddr{IP: net.ParseIP("127.0.0.2"), Port: 25}, true},
		{"plain loopback v6", false, &net.TCPAddr{IP: net.IPv6loopback, Port: 25}, true},
		{"plain remote", false, &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 25}, false},
		{"plain remote v6", false, &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 25}, false},
		{"plain unknown addr", false, &net.UnixAddr{Name: "/x", Net: "unix"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := authAllowed(tt.encrypted, tt.remote)
			if (err == nil) != tt.ok {
				t.Fatalf("authAllowed = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "unencrypted") {
				t.Errorf("unclear error %q", err)
			}
		})
	}
}

func TestChooseAuth(t *testing.T) {
	tests := []struct {
		offered, mech string
	}{
		{"PLAIN LOGIN", "PLAIN"},
		{"LOGIN PLAIN", "PLAIN"},
		{"login", "LOGIN"},
		{"CRAM-MD5 LOGIN", "LOGIN"},
		{"CRAM-MD5", ""},
		{"", ""},
	}
	for _, tt := range tests {
		a, err := chooseAuth(tt.offered, "u", "p")
		if tt.mech == "" {
			if err == nil {
				t.Errorf("chooseAuth(%q) succeeded", tt.offered)
			}
			continue
		}
		if err != nil {
			t.Errorf("chooseAuth(%q): %v", tt.offered, err)
			continue
		}
		if mech, _, _ := a.Start(&smtp.ServerInfo{}); mech != tt.mech {
			t.Errorf("chooseAuth(%q) = %s, want %s", tt.offered, mech, tt.mech)
		}
	}
	if _, err := chooseAuth("PLAIN", "u\x00admin", "p"); err == nil {
		t.Errorf("NUL in user name accepted")
	}
}

func TestLoginAuth(t *testing.T) {
	a := &loginAuth{user: "user", pass: "secret"}
	mech, ir, err := a.Start(&smtp.ServerInfo{})
	if mech != "LOGIN" || ir != nil || err != nil {
		t.Fatalf("Start = %q, %q, %v", mech, ir, err)
	}
	for _, want := range []string{"user", "secret"} {
		got, err := a.Next([]byte("prompt:"), true)
		if err != nil || string(got) != want {
			t.Fatalf("Next = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := a.Next([]byte("more?"), true); err == nil {
		t.Errorf("third challenge accepted")
	}
	if got, err := a.Next(nil, false); got != nil || err != nil {
		t.Errorf("final Next = %q, %v", got, err)
	}
	p := &plainAuth{user: "user", pass: "secret"}
	if _, ir, _ := p.Start(&smtp.ServerInfo{}); string(ir) != "\x00user\x00secret" {
		t.Errorf("PLAIN initial response %q", ir)
	}
}

func TestSMTPRejectedRecipient(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{
		RejectRcpt: func(a string) bool { return strings.HasPrefix(a, "bad") },
	})
	s := &SMTP{Addr: srv.Addr(), Security: None}
	err := s.Send(context.Background(), builtMessage(t, "good@example.net", "bad1@example.net", "bad2@example.net"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"smtp " + srv.Addr() + ": RCPT TO: ", "<bad1@example.net>: 550 5.1.1", "<bad2@example.net>: 550"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "good@") {
		t.Errorf("err %q names an accepted recipient", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages, want none (all or nothing)", n)
	}
}

func TestSMTPStalled(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{Stall: true})
	t.Run("timeout", func(t *testing.T) {
		s := &SMTP{Addr: srv.Addr(), Timeout: 200 * time.Millisecond}
		err := s.Send(context.Background(), builtMessage(t, "bob@example.net"))
		if err == nil || !strings.Contains(err.Error(), "greeting: timed out") || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a timeout", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		s := &SMTP{Addr: srv.Addr(), Timeout: time.Hour}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		err := s.Send(ctx, builtMessage(t, "bob@example.net"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		s := &SMTP{Addr: srv.Addr(), Timeout: time.Hour}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err := s.Send(ctx, builtMessage(t, "bob@example.net"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestSMTPBadInput(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	tests := []struct {
		name string
		s    SMTP
		m    *Message
		want string
	}{
		{"nil message", SMTP{Addr: srv.Addr()}, nil, "message: nil message"},
		{"no recipients", SMTP{Addr: srv.Addr()}, &Message{Data: []byte("x")}, "no recipients"},
		{"bad recipient", SMTP{Addr: srv.Addr()}, &Message{To: []string{"a@b>\r\nDATA"}, Data: []byte("x")}, "envelope recipient"},
		{"bad sender", SMTP{Addr: srv.Addr()}, &Message{From: "x\ny@z", To: []string{"a@b"}, Data: []byte("x")}, "envelope sender"},
		{"no port", SMTP{Addr: "localhost"}, &Message{To: []string{"a@b"}}, "address:"},
		{"bad helo", SMTP{Addr: srv.Addr(), HeloName: "a\r\nMAIL"}, &Message{To: []string{"a@b"}}, "invalid HeloName"},
		{"bad security", SMTP{Addr: srv.Addr(), Security: 42}, &Message{To: []string{"a@b"}}, "Security(42)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Send(context.Background(), tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages", n)
	}
}

func TestSMTPConcurrent(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{TLS: true})
	s := &SMTP{Addr: srv.Addr(), Security: StartTLS, TLSConfig: &tls.Config{RootCAs: srv.CertPool()}}
	errs := make(chan error, 8)
	for range 8 {
		go func() { errs <- s.Send(context.Background(), builtMessage(t, "bob@example.net")) }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(srv.Messages()); n != 8 {
		t.Errorf("server got %d messages, want 8", n)
	}
}
