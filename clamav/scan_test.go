package clamav

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"weak"
)

// big is larger than any unix socket buffer, so a writer blocks on it.
const big = 8 << 20

func TestScanBytesVerdicts(t *testing.T) {
	for _, tt := range []struct {
		name, sig string
		data      []byte
		want      Result
	}{
		{"clean", "Any", []byte("hello"), Result{}},
		{"empty", "Any", nil, Result{}},
		{"plain", "Win.Test.EICAR_HDB-1", []byte("xxEVILxx"), Result{true, "Win.Test.EICAR_HDB-1"}},
		{"colon", "Win.Test:EICAR-1", []byte("EVIL"), Result{true, "Win.Test:EICAR-1"}},
		{"spaces", "Php Shell: c99 (variant 2)", []byte("EVIL"), Result{true, "Php Shell: c99 (variant 2)"}},
		{"found in name", "FOUND FOUND", []byte("EVIL"), Result{true, "FOUND FOUND"}},
		{"marker across chunks", "Split", append(bytes.Repeat([]byte("a"), ChunkSize-2), "EVIL"...), Result{true, "Split"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, clamdLike(-1, markerVerdict(tt.sig)))
			got, err := (&Client{Addr: f.path}).ScanBytes(context.Background(), tt.data)
			if err != nil || got != tt.want {
				t.Fatalf("ScanBytes = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestScanBytesFraming checks that the stream clamd reassembles is the data.
func TestScanBytesFraming(t *testing.T) {
	var got []byte
	f := startFake(t, func(_ *fakeClamd, conn net.Conn, br *bufio.Reader, cmd string) {
		if cmd != "INSTREAM" {
			reply(conn, "UNKNOWN COMMAND")
			return
		}
		data, err := readStream(br, -1)
		if err == nil {
			got = data
			reply(conn, "stream: OK")
		}
	})
	c := &Client{Addr: f.path}
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7)
		}
		got = nil
		if _, err := c.ScanBytes(context.Background(), data); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("len %d: clamd reassembled %d different bytes", n, len(got))
		}
	}
}

func TestScanBytesSizeLimit(t *testing.T) {
	f := startFake(t, clamdLike(64<<10, markerVerdict("X")))
	c := &Client{Addr: f.path}
	// The fake reads 64 KiB, replies and closes while the client still
	// writes 8 MiB: the write fails, and the reply must still be reported.
	for _, n := range []int{64<<10 + 1, big} {
		_, err := c.ScanBytes(context.Background(), make([]byte, n))
		if !errors.Is(err, ErrSizeLimit) {
			t.Fatalf("%d bytes: err = %v, want ErrSizeLimit", n, err)
		}
		want := "clamd unix:" + f.path + ": INSTREAM: reply: INSTREAM size limit exceeded"
		if err.Error() != want || errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %q, want %q", err, want)
		}
	}
	if r, err := c.ScanBytes(context.Background(), make([]byte, 64<<10)); err != nil || r.Infected {
		t.Fatalf("at the limit: %+v, %v", r, err)
	}
}

// TestScanBytesSizeLimitBeforeRead has clamd reply and close before reading
// any data, so the client's write fails for certain.
func TestScanBytesSizeLimitBeforeRead(t *testing.T) {
	f := startFake(t, func(_ *fakeClamd, conn net.Conn, _ *bufio.Reader, _ string) {
		reply(conn, "INSTREAM size limit exceeded. ERROR")
	})
	_, err := (&Client{Addr: f.path}).ScanBytes(context.Background(), make([]byte, big))
	if !errors.Is(err, ErrSizeLimit) {
		t.Fatalf("err = %v, want ErrSizeLimit", err)
	}
}

func TestScanBytesServerError(t *testing.T) {
	f := startFake(t, func(_ *fakeClamd, conn net.Conn, br *bufio.Reader, _ string) {
		readStream(br, -1)
		reply(conn, "Can't allocate memory ERROR")
	})
	_, err := (&Client{Addr: f.path}).ScanBytes(context.Background(), []byte("x"))
	var se ServerError
	if !errors.As(err, &se) || se != "Can't allocate memory" || errors.Is(err, ErrSizeLimit) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ServerError", err)
	}
	if want := "clamd unix:" + f.path + ": INSTREAM: reply: Can't allocate memory"; err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
}

func TestScanBytesServerDies(t *testing.T) {
	t.Run("mid-stream", func(t *testing.T) {
		f := startFake(t, func(_ *fakeClamd, _ net.Conn, br *bufio.Reader, _ string) {
			io.CopyN(io.Discard, br, 1000) // then close without a reply
		})
		_, err := (&Client{Addr: f.path}).ScanBytes(context.Background(), make([]byte, big))
		var e *Error
		if !errors.As(err, &e) || e.Op != "INSTREAM" || e.Stage != "write" ||
			!(errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
			t.Fatalf("err = %v, want an INSTREAM write error", err)
		}
		if !strings.HasPrefix(err.Error(), "clamd unix:"+f.path+": INSTREAM: write: ") ||
			errors.Is(err, ErrUnavailable) || errors.Is(err, ErrSizeLimit) || errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %q", err)
		}
		t.Log(err)
	})
	t.Run("before reply", func(t *testing.T) {
		f := startFake(t, func(_ *fakeClamd, _ net.Conn, br *bufio.Reader, _ string) {
			readStream(br, -1)
		})
		_, err := (&Client{Addr: f.path}).ScanBytes(context.Background(), []byte("x"))
		if want := "clamd unix:" + f.path + ": INSTREAM: read: unexpected EOF"; err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %q", err, want)
		}
	})
}

// stall is a clamd that accepts and never replies: it reads the stream if
// read is set, else reads nothing. It signals once it has the stream (or
// the command).
func stall(read bool) func(*fakeClamd, net.Conn, *bufio.Reader, string) {
	return func(f *fakeClamd, _ net.Conn, br *bufio.Reader, _ string) {
		if read {
			readStream(br, -1)
		}
		f.signalArrived()
		<-f.quit
	}
}

func TestScanBytesTimeout(t *testing.T) {
	for _, tt := range []struct {
		name  string
		read  bool
		size  int
		stage string
	}{
		{"no reply", true, 1000, "read"},
		{"never reads", false, big, "write"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, stall(tt.read))
			c := &Client{Addr: f.path, Timeout: 50 * time.Millisecond}
			_, err := c.ScanBytes(context.Background(), make([]byte, tt.size))
			var e *Error
			if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) ||
				!errors.As(err, &e) || e.Stage != tt.stage {
				t.Fatalf("err = %v, want a %s timeout", err, tt.stage)
			}
			if want := "clamd unix:" + f.path + ": INSTREAM: " + tt.stage + ": timeout after 50ms"; err.Error() != want {
				t.Fatalf("err = %q, want %q", err, want)
			}
		})
	}
	t.Run("ctx deadline", func(t *testing.T) {
		f := startFake(t, stall(true))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := (&Client{Addr: f.path, Timeout: time.Hour}).ScanBytes(ctx, []byte("x"))
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestScanBytesCancel(t *testing.T) {
	for _, tt := range []struct {
		name string
		read bool
		size int
	}{
		{"blocked in read", true, 1000},
		{"blocked in write", false, big},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, stall(tt.read))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := (&Client{Addr: f.path, Timeout: time.Hour}).ScanBytes(ctx, make([]byte, tt.size))
				done <- err
			}()
			<-f.arrived
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		})
	}
}

// TestScanBytesDropsData checks that nothing holds the buffer after return.
func TestScanBytesDropsData(t *testing.T) {
	f := startFake(t, clamdLike(-1, markerVerdict("X")))
	c := &Client{Addr: f.path}
	data := make([]byte, 3*ChunkSize)
	wp := weak.Make(&data[0])
	if _, err := c.ScanBytes(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	data = nil
	runtime.GC()
	runtime.GC()
	if wp.Value() != nil {
		t.Fatal("ScanBytes retained the buffer")
	}
}
