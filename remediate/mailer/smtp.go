package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// Security is how an SMTP session is encrypted.
type Security int

// Security modes. The zero value is Opportunistic.
const (
	// Opportunistic upgrades with STARTTLS when the server offers it and
	// goes on in plain text when it does not. The certificate is checked
	// as usual (TLSConfig): a failed handshake is an error, never a
	// silent downgrade.
	Opportunistic Security = iota
	// None never encrypts.
	None
	// StartTLS requires STARTTLS: a server that does not offer it is an
	// error.
	StartTLS
	// Implicit speaks TLS from the first byte (submissions on port 465).
	Implicit
)

// String returns the name of the mode.
func (s Security) String() string {
	switch s {
	case Opportunistic:
		return "opportunistic"
	case None:
		return "none"
	case StartTLS:
		return "starttls"
	case Implicit:
		return "implicit"
	}
	return fmt.Sprintf("Security(%d)", int(s))
}

// DefaultSMTPTimeout bounds a whole SMTP session unless SMTP.Timeout says
// otherwise.
const DefaultSMTPTimeout = 30 * time.Second

// SMTP delivers to an SMTP server, one session per message. It is safe for
// concurrent use (it is only configuration; do not change it while Send
// runs).
//
// Every read and write runs under the session deadline (Timeout) and is
// interrupted when ctx is done, so a stalled server cannot hold the caller
// longer than that.
//
// Credentials are sent (AUTH PLAIN, else LOGIN) only when Username is set,
// and only over TLS or to a server on a loopback address.
//
// A message goes to all of its recipients or to none: when the server
// rejects any recipient, the transaction is reset and the error names
// every rejected one.
type SMTP struct {
	// Addr is the server, "host:port".
	Addr string
	// Security selects the encryption; the default is Opportunistic.
	Security Security
	// Username and Password authenticate the session when Username is
	// not empty.
	Username, Password string
	// Timeout bounds a whole session, from dial to QUIT; zero means
	// DefaultSMTPTimeout.
	Timeout time.Duration
	// HeloName is the name sent with EHLO; empty means this host's name
	// (os.Hostname), or "localhost" when that is not a plain host name.
	HeloName string
	// TLSConfig is used for STARTTLS and Implicit (e.g. RootCAs for
	// tests); nil means the defaults. An empty ServerName means the host
	// of Addr.
	TLSConfig *tls.Config
}

var _ Mailer = (*SMTP)(nil)

// errSMTPTimeout is the context cause set when Timeout expires.
var errSMTPTimeout = errors.New("smtp session timeout")

// Send implements Mailer. Errors name the server, the stage and the
// server's reply:
//
//	smtp mail.example.net:587: AUTH: 535 5.7.8 authentication failed
//
// The server's reply is reachable with errors.As as a *textproto.Error; a
// timeout matches context.DeadlineExceeded, a cancellation ctx.Err().
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	fail := func(stage string, err error) error {
		return &smtpError{server: s.Addr, stage: stage, err: err}
	}
	from, rcpts, err := envelope(m)
	if err != nil {
		return fail("message", err)
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fail("address", err)
	}
	helo, err := s.heloName()
	if err != nil {
		return fail("EHLO", err)
	}
	switch s.Security {
	case Opportunistic, None, StartTLS, Implicit:
	default:
		return fail("config", fmt.Errorf("unknown security mode %v", s.Security))
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errSMTPTimeout)
	defer cancel()
	// A failure after ctx is done is reported as the reason ctx is done:
	// the I/O error itself only says a deadline passed.
	fail = func(stage string, err error) error {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Only ctx sets deadlines (its own, or one in the past when
			// it is cancelled), so it is done or about to be: the I/O
			// deadline can pass a moment before ctx's timer fires.
			<-ctx.Done()
		}
		if ctx.Err() != nil {
			if context.Cause(ctx) == errSMTPTimeout {
				err = fmt.Errorf("timed out after %v: %w", timeout, context.DeadlineExceeded)
			} else {
				err = context.Cause(ctx)
			}
		}
		return &smtpError{server: s.Addr, stage: stage, err: err}
	}

	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fail("connect", err)
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(dl); err != nil {
			return fail("connect", err)
		}
	}
	// The deadline covers the TLS layers too, which sit on raw.
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	tlsCfg := s.tlsConfig(host)
	conn := raw
	if s.Security == Implicit {
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fail("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(helo); err != nil {
		return fail("EHLO", err)
	}
	// net/smtp sends EHLO lazily and Extension hides its failure; NOOP
	// makes it happen now and returns its error.
	if err := c.Noop(); err != nil {
		return fail("EHLO", err)
	}
	if s.Security == StartTLS || s.Security == Opportunistic {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsCfg); err != nil {
				return fail("STARTTLS", err)
			}
		} else if s.Security == StartTLS {
			return fail("STARTTLS", errors.New("server does not offer STARTTLS"))
		}
	}
	if s.Username != "" {
		_, encrypted := c.TLSConnectionState()
		if err := authAllowed(encrypted, raw.RemoteAddr()); err != nil {
			return fail("AUTH", err)
		}
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return fail("AUTH", errors.New("server does not offer AUTH"))
		}
		a, err := chooseAuth(mechs, s.Username, s.Password)
		if err != nil {
			return fail("AUTH", err)
		}
		if err := c.Auth(a); err != nil {
			return fail("AUTH", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fail("MAIL FROM", err)
	}
	var rejected rcptErrors
	for _, r := range rcpts {
		err := c.Rcpt(r)
		if err == nil {
			continue
		}
		var te *textproto.Error
		if !errors.As(err, &te) || ctx.Err() != nil {
			return fail("RCPT TO <"+r+">", err)
		}
		rejected = append(rejected, &rcptError{rcpt: r, err: err})
	}
	if len(rejected) > 0 {
		_ = c.Reset()
		_ = c.Quit()
		return fail("RCPT TO", rejected)
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(m.Data); err != nil {
		return fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return fail("end of DATA", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

func (s *SMTP) heloName() (string, error) {
	if s.HeloName != "" {
		for _, r := range s.HeloName {
			if r <= ' ' || r >= 0x7f {
				return "", fmt.Errorf("invalid HeloName %q", s.HeloName)
			}
		}
		return s.HeloName, nil
	}
	if h, err := os.Hostname(); err == nil && ValidHostName(h) {
		return h, nil
	}
	return "localhost", nil
}

func (s *SMTP) tlsConfig(host string) *tls.Config {
	var cfg *tls.Config
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// authAllowed refuses to send credentials in clear text to a server that
// is not on a loopback address.
func authAllowed(encrypted bool, remote net.Addr) error {
	if encrypted {
		return nil
	}
	if ta, ok := remote.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to send credentials over an unencrypted connection to %v, which is not on loopback (use Security StartTLS or Implicit)", remote)
}

// chooseAuth picks PLAIN, else LOGIN, from the mechanisms the server
// offers (the AUTH extension's parameter).
func chooseAuth(offered, user, pass string) (smtp.Auth, error) {
	if strings.ContainsRune(user, 0) || strings.ContainsRune(pass, 0) {
		return nil, errors.New("username or password contains NUL")
	}
	var plain, login bool
	for _, m := range strings.Fields(offered) {
		switch strings.ToUpper(m) {
		case "PLAIN":
			plain = true
		case "LOGIN":
			login = true
		}
	}
	switch {
	case plain:
		return &plainAuth{user: user, pass: pass}, nil
	case login:
		return &loginAuth{user: user, pass: pass}, nil
	}
	return nil, fmt.Errorf("no supported mechanism (PLAIN, LOGIN) among %q", escapeText(offered, 100))
}

// plainAuth is SASL PLAIN (RFC 4616). Unlike net/smtp.PlainAuth it leaves
// the decision whether the connection is safe enough to authAllowed, which
// looks at the address actually connected rather than the host name.
type plainAuth struct{ user, pass string }

func (a *plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

// loginAuth is the LOGIN mechanism: the username and the password, each
// sent in answer to a server prompt.
type loginAuth struct {
	user, pass string
	step       int
}

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected server challenge")
}

// envelope returns the bare envelope addresses of m.
func envelope(m *Message) (string, []string, error) {
	if m == nil {
		return "", nil, errors.New("nil message")
	}
	var from string
	if m.From != "" {
		a, err := parseAddress(m.From)
		if err != nil {
			return "", nil, fmt.Errorf("envelope sender: %w", err)
		}
		from = a.Address
	}
	if len(m.To) == 0 {
		return "", nil, errors.New("no recipients")
	}
	seen := make(map[string]bool, len(m.To))
	rcpts := make([]string, 0, len(m.To))
	for _, t := range m.To {
		a, err := parseAddress(t)
		if err != nil {
			return "", nil, fmt.Errorf("envelope recipient: %w", err)
		}
		if !seen[a.Address] {
			seen[a.Address] = true
			rcpts = append(rcpts, a.Address)
		}
	}
	return from, rcpts, nil
}

// smtpError is a failed session: server, stage, and what went wrong (the
// server's reply as a *textproto.Error, when it gave one).
type smtpError struct {
	server, stage string
	err           error
}

func (e *smtpError) Error() string {
	return "smtp " + escapeText(e.server, maxErrText) + ": " + e.stage + ": " + escapeText(errText(e.err), maxErrText)
}

// errText is err.Error(), but a server reply reads as it came, "535 5.7.8
// Authentication failed" (textproto.Error quotes its text since Go 1.26).
// Callers escape the result.
func errText(err error) string {
	if te, ok := err.(*textproto.Error); ok {
		return fmt.Sprintf("%03d %s", te.Code, te.Msg)
	}
	return err.Error()
}

func (e *smtpError) Unwrap() error { return e.err }

// rcptErrors are the recipients the server refused, on one line.
type rcptErrors []error

func (e rcptErrors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return "rejected " + strings.Join(s, "; ")
}

func (e rcptErrors) Unwrap() []error { return e }

// rcptError is one recipient the server refused.
type rcptError struct {
	rcpt string
	err  error
}

func (e *rcptError) Error() string { return "<" + e.rcpt + ">: " + errText(e.err) }

func (e *rcptError) Unwrap() error { return e.err }
