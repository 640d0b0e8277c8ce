package clamav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Defaults for the zero fields of a Client.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultDialTimeout = 5 * time.Second
)

// maxReply bounds a reply read from clamd (STATS is the longest, ~1 KiB).
const maxReply = 1 << 20

// Client talks to one clamd. The zero value uses DefaultAddr and the default
// timeouts. A Client is safe for concurrent use; it holds no connection
// between commands.
type Client struct {
	// Addr is the clamd address in a form ParseAddr accepts; "" means
	// DefaultAddr.
	Addr string
	// Timeout bounds each command, and each file stream of ScanBytes, from
	// dial to reply; 0 means DefaultTimeout.
	Timeout time.Duration
	// DialTimeout bounds connecting; 0 means DefaultDialTimeout.
	DialTimeout time.Duration
}

func (c *Client) addr() string {
	if c.Addr == "" {
		return DefaultAddr
	}
	return c.Addr
}

func (c *Client) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c *Client) dialTimeout() time.Duration {
	if c.DialTimeout <= 0 {
		return DefaultDialTimeout
	}
	return c.DialTimeout
}

// session is one connection carrying one command.
type session struct {
	ctx     context.Context
	conn    net.Conn
	addr    string // for errors: "unix:/path"
	op      string
	timeout string // Client.Timeout, for errors
	stop    func() bool
}

// fail builds an Error outside a session (bad address, bad reply).
func (c *Client) fail(op, stage string, err error) *Error {
	addr := c.addr()
	if network, address, perr := ParseAddr(addr); perr == nil {
		addr = network + ":" + address
	}
	return &Error{Addr: addr, Op: op, Stage: stage, Err: err}
}

// open dials clamd, sets the command deadline and arranges for ctx's end to
// close the connection. The caller must call close.
func (c *Client) open(ctx context.Context, op string) (*session, error) {
	network, address, err := ParseAddr(c.addr())
	if err != nil {
		return nil, c.fail(op, "address", err)
	}
	s := &session{ctx: ctx, addr: network + ":" + address, op: op, timeout: c.timeout().String()}
	if err := ctx.Err(); err != nil {
		return nil, s.fail("dial", err)
	}
	d := net.Dialer{Timeout: c.dialTimeout()}
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		if ctx.Err() != nil {
			return nil, s.fail("dial", err)
		}
		return nil, &Error{Addr: s.addr, Op: op, Stage: "dial",
			Err: fmt.Errorf("%w: %w", ErrUnavailable, cause(ctx, err, s.timeout))}
	}
	deadline := time.Now().Add(c.timeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return nil, s.fail("dial", err)
	}
	s.conn = conn
	// Runs in its own goroutine only if ctx ends before close; it closes the
	// connection, which interrupts a blocked Read or Write at once.
	s.stop = context.AfterFunc(ctx, func() { conn.Close() })
	return s, nil
}

func (s *session) close() {
	s.stop()
	s.conn.Close()
}

func (s *session) fail(stage string, err error) *Error {
	return &Error{Addr: s.addr, Op: s.op, Stage: stage, Err: cause(s.ctx, err, s.timeout)}
}

// command sends "z<op>\0".
func (s *session) command() error {
	if _, err := s.conn.Write([]byte("z" + s.op + "\x00")); err != nil {
		return s.fail("write", err)
	}
	return nil
}

// readReply reads one NUL-terminated reply (or up to a clean EOF) and trims
// the terminator and trailing newlines.
func (s *session) readReply() (string, error) {
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		n, err := s.conn.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i := bytes.IndexByte(buf, 0); i >= 0 {
			return string(bytes.TrimRight(buf[:i], "\r\n")), nil
		}
		if len(buf) > maxReply {
			return "", s.fail("read", fmt.Errorf("reply longer than %d bytes", maxReply))
		}
		if errors.Is(err, io.EOF) {
			if len(buf) == 0 {
				return "", s.fail("read", io.ErrUnexpectedEOF)
			}
			return string(bytes.TrimRight(buf, "\r\n")), nil
		}
		if err != nil {
			return "", s.fail("read", err)
		}
	}
}

// simple runs a command without payload and returns its reply.
func (c *Client) simple(ctx context.Context, op string) (string, error) {
	s, err := c.open(ctx, op)
	if err != nil {
		return "", err
	}
	defer s.close()
	if err := s.command(); err != nil {
		return "", err
	}
	return s.readReply()
}

// Ping checks that clamd answers PONG.
func (c *Client) Ping(ctx context.Context) error {
	reply, err := c.simple(ctx, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return c.fail("PING", "reply", fmt.Errorf("unexpected reply %q", reply))
	}
	return nil
}

// Version asks clamd for its engine and database versions.
func (c *Client) Version(ctx context.Context) (Version, error) {
	reply, err := c.simple(ctx, "VERSION")
	if err != nil {
		return Version{}, err
	}
	v, err := parseVersion(reply)
	if err != nil {
		return Version{}, c.fail("VERSION", "reply", err)
	}
	return v, nil
}

// Stats asks clamd for its thread pool and queue state.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	reply, err := c.simple(ctx, "STATS")
	if err != nil {
		return Stats{}, err
	}
	st, err := parseStats(reply)
	if err != nil {
		return Stats{}, c.fail("STATS", "reply", err)
	}
	return st, nil
}
