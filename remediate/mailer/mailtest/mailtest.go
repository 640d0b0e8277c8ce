// Package mailtest runs an SMTP server on loopback for tests of code that
// sends mail: it records what it receives, and can require AUTH, offer
// STARTTLS or speak implicit TLS with a certificate made at run time,
// reject recipients, or stall.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server.
type Options struct {
	// Auth maps user names to passwords. When set, the server offers AUTH
	// PLAIN and requires it before MAIL.
	Auth map[string]string
	// TLS offers STARTTLS, with a self-signed certificate for 127.0.0.1,
	// ::1 and localhost (see CertPool).
	TLS bool
	// Implicit speaks TLS from the first byte (like port 465), with the
	// same certificate.
	Implicit bool
	// RejectRcpt, when set, is asked about every RCPT TO address; true
	// rejects it with "550 5.1.1 no such user".
	RejectRcpt func(addr string) bool
	// Stall accepts connections and never answers (no greeting), for
	// timeout tests.
	Stall bool
}

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	// Data is the message as received: CRLF line endings, dot-stuffing
	// removed.
	Data []byte
}

// Server is a running test server. Its methods are safe for concurrent
// use.
type Server struct {
	addr string
	pool *x509.CertPool
	opts Options

	mu   sync.Mutex
	msgs []Received
}

// NewServer starts a server on 127.0.0.1 with a free port. It is stopped,
// and all its connections closed and goroutines ended, by t.Cleanup.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	tl := &trackingListener{Listener: ln, conns: map[net.Conn]struct{}{}}
	s := &Server{addr: ln.Addr().String(), opts: opts}

	done := make(chan struct{})
	if opts.Stall {
		var readers sync.WaitGroup
		go func() {
			defer close(done)
			for {
				c, err := tl.Accept()
				if err != nil {
					return
				}
				readers.Go(func() { _, _ = io.Copy(io.Discard, c) })
			}
		}()
		t.Cleanup(func() {
			_ = tl.Close()
			<-done
			tl.closeAll()
			readers.Wait()
		})
		return s
	}

	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // the client decides; it refuses off loopback
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 32 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)

	var l net.Listener = tl
	if opts.TLS || opts.Implicit {
		cfg, pool, err := selfSigned()
		if err != nil {
			_ = ln.Close()
			t.Fatalf("mailtest: certificate: %v", err)
		}
		s.pool = pool
		srv.TLSConfig = cfg
		if opts.Implicit {
			l = tls.NewListener(tl, cfg)
		}
	}
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		// Close may run before Serve has registered the listener (a test
		// that fails at once): close it here too, or Serve never returns.
		_ = tl.Listener.Close()
		tl.closeAll()
		<-done
	})
	return s
}

// Addr returns the server's "host:port".
func (s *Server) Addr() string { return s.addr }

// CertPool returns a pool holding the server's certificate, for a
// client's RootCAs; nil when the server has no TLS.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// Messages returns copies of the messages received so far, in order.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = Received{
			From: m.From,
			To:   append([]string(nil), m.To...),
			Data: append([]byte(nil), m.Data...),
		}
	}
	return out
}

// session is one SMTP session (go-smtp starts a new one after STARTTLS).
type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if len(ss.s.opts.Auth) == 0 {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if len(ss.s.opts.Auth) == 0 {
		return nil, smtp.ErrAuthUnsupported
	}
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if want, ok := ss.s.opts.Auth[user]; !ok || want != pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if len(ss.s.opts.Auth) > 0 && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from, ss.to = from, nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if len(ss.s.opts.Auth) > 0 && !ss.authed {
		return smtp.ErrAuthRequired
	}
	if ss.s.opts.RejectRcpt != nil && ss.s.opts.RejectRcpt(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(ss.to) == 0 {
		return errors.New("no recipients")
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Received{From: ss.from, To: ss.to, Data: b})
	ss.s.mu.Unlock()
	ss.from, ss.to = "", nil
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// trackingListener remembers the connections it accepted, so that cleanup
// can close every one of them, including any the SMTP server had not yet
// registered.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	return c, nil
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Close()
	}
}

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost that is
// its own root.
func selfSigned() (*tls.Config, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}},
		MinVersion:   tls.VersionTLS12,
	}
	return cfg, pool, nil
}
