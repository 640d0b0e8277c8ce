package clamav

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeClamd is a clamd stand-in on a unix socket in a temporary directory.
// Each connection's command is read and passed to handle.
type fakeClamd struct {
	path   string
	ln     net.Listener
	handle func(f *fakeClamd, conn net.Conn, br *bufio.Reader, cmd string)

	active, maxActive atomic.Int64
	conns             atomic.Int64  // connections accepted
	arrived           chan struct{} // one token per INSTREAM fully read, if buffered room
	quit              chan struct{} // closed at cleanup; stalled handlers wait on it

	mu   sync.Mutex
	open map[net.Conn]struct{}
	wg   sync.WaitGroup
}

func sockDir(t testing.TB) string {
	dir := t.TempDir()
	if len(dir) > 80 { // sun_path is 108 bytes
		var err error
		if dir, err = os.MkdirTemp("", "clamav"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	return dir
}

func startFake(t testing.TB, handle func(f *fakeClamd, conn net.Conn, br *bufio.Reader, cmd string)) *fakeClamd {
	t.Helper()
	path := filepath.Join(sockDir(t), "clamd.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeClamd{path: path, ln: ln, handle: handle,
		arrived: make(chan struct{}, 1024), quit: make(chan struct{}), open: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(f.stop)
	return f
}

func (f *fakeClamd) serve() {
	defer f.wg.Done()
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.conns.Add(1)
		f.mu.Lock()
		f.open[conn] = struct{}{}
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serveConn(conn)
	}
}

func (f *fakeClamd) serveConn(conn net.Conn) {
	defer f.wg.Done()
	defer func() {
		conn.Close()
		f.mu.Lock()
		delete(f.open, conn)
		f.mu.Unlock()
		f.active.Add(-1)
	}()
	n := f.active.Add(1)
	for {
		m := f.maxActive.Load()
		if n <= m || f.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	br := bufio.NewReader(conn)
	cmd, err := br.ReadString(0)
	if err != nil {
		return
	}
	f.handle(f, conn, br, strings.TrimSuffix(strings.TrimPrefix(cmd, "z"), "\x00"))
}

// stop closes the listener and all connections and waits for the handlers.
func (f *fakeClamd) stop() {
	f.ln.Close()
	close(f.quit)
	f.mu.Lock()
	for c := range f.open {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fakeClamd) signalArrived() {
	select {
	case f.arrived <- struct{}{}:
	default:
	}
}

func reply(conn net.Conn, s string) { conn.Write([]byte(s + "\x00")) }

var errOverLimit = errors.New("over limit")

// readStream reads INSTREAM chunks up to the zero-length terminator. It stops
// with errOverLimit, without reading the chunk, once the total would pass
// limit (limit < 0: none).
func readStream(br *bufio.Reader, limit int) ([]byte, error) {
	var data []byte
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return data, err
		}
		n := int(binary.BigEndian.Uint32(hdr[:]))
		if n == 0 {
			return data, nil
		}
		if limit >= 0 && len(data)+n > limit {
			return data, errOverLimit
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return data, err
		}
		data = append(data, chunk...)
	}
}

const (
	fakeVersion = "ClamAV 1.4.6/27481/Tue Nov 26 09:32:01 2026"
	fakeStats   = "POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live 1  idle 0 max 7 idle-timeout 30\n" +
		"QUEUE: 0 items\n\tSTATS 0.000002 \n\nMEMSTATS: heap N/A mmap N/A used N/A free N/A " +
		"releasable N/A pools 1 pools_used 5.882M pools_total 5.964M\nEND"
)

// clamdLike answers like clamd: verdict maps a complete stream to the text
// after "stream: " ("OK", "Sig FOUND"); streams over limit get the size
// limit error and the connection is closed unread.
func clamdLike(limit int, verdict func([]byte) string) func(*fakeClamd, net.Conn, *bufio.Reader, string) {
	return func(f *fakeClamd, conn net.Conn, br *bufio.Reader, cmd string) {
		switch cmd {
		case "PING":
			reply(conn, "PONG")
		case "VERSION":
			reply(conn, fakeVersion)
		case "STATS":
			reply(conn, fakeStats)
		case "INSTREAM":
			data, err := readStream(br, limit)
			switch {
			case errors.Is(err, errOverLimit):
				reply(conn, "INSTREAM size limit exceeded. ERROR")
			case err != nil:
			default:
				f.signalArrived()
				reply(conn, "stream: "+verdict(data))
			}
		default:
			reply(conn, "UNKNOWN COMMAND")
		}
	}
}

// markerVerdict finds "EVIL" and names it sig.
func markerVerdict(sig string) func([]byte) string {
	return func(b []byte) string {
		if strings.Contains(string(b), "EVIL") {
			return sig + " FOUND"
		}
		return "OK"
	}
}
