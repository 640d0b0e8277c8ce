package clamav

import (
	"bufio"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPingVersionStats(t *testing.T) {
	f := startFake(t, clamdLike(-1, markerVerdict("X")))
	c := &Client{Addr: "unix://" + f.path}
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := c.Version(ctx)
	if err != nil || v.Engine != "1.4.6" || v.DBVersion != 27481 || v.DBTime != "Tue Nov 26 09:32:01 2026" {
		t.Fatalf("Version = %+v, %v", v, err)
	}
	st, err := c.Stats(ctx)
	if err != nil || st.MaxThreads != 7 || st.Live != 1 || st.Queue != 0 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}
	if n := DefaultWorkers(ctx, c); n != 7 {
		t.Fatalf("DefaultWorkers = %d, want clamd's max 7", n)
	}
}

func TestUnexpectedReplies(t *testing.T) {
	f := startFake(t, func(_ *fakeClamd, conn net.Conn, _ *bufio.Reader, cmd string) {
		reply(conn, "UNKNOWN COMMAND")
	})
	c := &Client{Addr: f.path}
	ctx := context.Background()
	check := func(op string, err error) {
		t.Helper()
		var e *Error
		if !errors.As(err, &e) || e.Op != op || e.Stage != "reply" || !strings.Contains(err.Error(), "UNKNOWN COMMAND") {
			t.Fatalf("%s: err = %v, want a reply error quoting clamd", op, err)
		}
	}
	check("PING", c.Ping(ctx))
	_, err := c.Version(ctx)
	check("VERSION", err)
	_, err = c.Stats(ctx)
	check("STATS", err)
	_, err = c.ScanBytes(ctx, []byte("x"))
	check("INSTREAM", err)
	if n := DefaultWorkers(ctx, c); n != 4 {
		t.Fatalf("DefaultWorkers without STATS = %d, want 4", n)
	}
}

func TestUnavailable(t *testing.T) {
	dir := sockDir(t)
	// A socket file nobody listens on: connection refused.
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	// A TCP port on loopback nobody listens on.
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp := tl.Addr().String()
	tl.Close()

	for _, tt := range []struct{ name, addr, prefix string }{
		{"missing socket", filepath.Join(dir, "missing.sock"), "clamd unix:" + filepath.Join(dir, "missing.sock") + ": INSTREAM: dial: "},
		{"refused unix", "unix://" + stale, "clamd unix:" + stale + ": INSTREAM: dial: "},
		{"refused tcp", "tcp://" + tcp, "clamd tcp:" + tcp + ": INSTREAM: dial: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{Addr: tt.addr}
			_, err := c.ScanBytes(context.Background(), []byte("data"))
			if !errors.Is(err, ErrUnavailable) || !strings.HasPrefix(err.Error(), tt.prefix) {
				t.Fatalf("err = %v; want ErrUnavailable with prefix %q", err, tt.prefix)
			}
			if errors.Is(err, ErrSizeLimit) || errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v matches the wrong class", err)
			}
			if err := c.Ping(context.Background()); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Ping: %v", err)
			}
		})
	}
}

func TestBadAddr(t *testing.T) {
	c := &Client{Addr: "clamd.sock"}
	err := c.Ping(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Stage != "address" || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

func TestCanceledBeforeDial(t *testing.T) {
	f := startFake(t, clamdLike(-1, markerVerdict("X")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Client{Addr: f.path}).ScanBytes(ctx, []byte("x"))
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if f.conns.Load() != 0 {
		t.Fatal("dialed with a canceled context")
	}
}

func TestZeroClientDefaults(t *testing.T) {
	var c Client
	if c.addr() != DefaultAddr || c.timeout() != DefaultTimeout || c.dialTimeout() != DefaultDialTimeout {
		t.Fatalf("zero Client: %q %v %v", c.addr(), c.timeout(), c.dialTimeout())
	}
	c = Client{Timeout: time.Second, DialTimeout: time.Millisecond}
	if c.timeout() != time.Second || c.dialTimeout() != time.Millisecond {
		t.Fatal("explicit timeouts ignored")
	}
}
