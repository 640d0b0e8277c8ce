// Package clamdtest starts a real clamd for tests, with a tiny signature
// database of the test's own making, and skips the test when no clamd binary
// is installed (Debian: apt-get install clamav-daemon; the test needs no
// freshclam and no network).
//
// The configuration it writes (clamd 1.4.6; only the first three lines are
// required, the rest keep the test isolated and the limits testable):
//
//	LocalSocket <dir>/clamd.sock     # no TCPSocket: no network listener
//	DatabaseDirectory <dir>/db       # holds only test.ndb
//	Foreground yes                   # no fork; without LogFile the log goes to stdout
//	TemporaryDirectory <dir>
//	StreamMaxLength 1M               # WithStreamMaxLength
//	MaxThreads 4                     # WithMaxThreads
//
// clamd 1.4.6 runs as root without User or AllowSupplementaryGroups, and
// needs no PidFile. Start keeps its output in <dir>/clamd.out and prints it
// when the test fails. With this tiny database clamd answers PING about
// 70 ms after exec. Unsigned custom signatures are reported with
// ".UNOFFICIAL" appended: "stream: Spamgear.Test.Marker.UNOFFICIAL FOUND".
package clamdtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spamgear/spamgear/clamav"
)

// DefaultSigs is used when Start is given no signatures.
var DefaultSigs = map[string]string{"Spamgear.Test.Marker": "spamgear-clamd-test-marker-1"}

// ReportedName is the name clamd reports for the custom signature name.
func ReportedName(name string) string { return name + ".UNOFFICIAL" }

// startTimeout bounds the wait for clamd's first PONG (~0.1 s with a tiny
// database on a 2-core machine).
const startTimeout = 30 * time.Second

// Binary returns the clamd executable, /usr/sbin/clamd or the first in
// PATH, or "" if there is none.
func Binary() string {
	if fi, err := os.Stat("/usr/sbin/clamd"); err == nil && !fi.IsDir() {
		return "/usr/sbin/clamd"
	}
	p, err := exec.LookPath("clamd")
	if err != nil {
		return ""
	}
	return p
}

// Available reports whether a clamd binary is installed.
func Available() bool { return Binary() != "" }

type config struct {
	streamMax  string
	maxThreads int
	extra      []string
}

// Option changes the clamd configuration Start writes.
type Option func(*config)

// WithStreamMaxLength sets StreamMaxLength (clamd syntax: "1M", "512K",
// "0" for no limit). The default is 1M.
func WithStreamMaxLength(size string) Option { return func(c *config) { c.streamMax = size } }

// WithMaxThreads sets MaxThreads. The default is 4.
func WithMaxThreads(n int) Option { return func(c *config) { c.maxThreads = n } }

// WithConfigLine appends a raw line to clamd.conf.
func WithConfigLine(line string) Option {
	return func(c *config) { c.extra = append(c.extra, line) }
}

// Server is a running clamd.
type Server struct {
	cmd      *exec.Cmd
	dir      string
	sock     string
	conf     string
	started  time.Duration
	exited   chan struct{} // closed when clamd has exited and been waited for
	exitErr  error         // cmd.Wait's result, once exited is closed
	killOnce sync.Once
}

// Addr returns clamd's address for clamav.Client.Addr (the socket path).
func (s *Server) Addr() string { return s.sock }

// ConfPath returns the clamd.conf the server runs with.
func (s *Server) ConfPath() string { return s.conf }

// StartupTime returns how long clamd took from exec to its first PONG.
func (s *Server) StartupTime() time.Duration { return s.started }

// Kill stops clamd with SIGKILL and waits for it. The socket file stays, so
// later connections are refused. Kill is idempotent and also runs at cleanup.
func (s *Server) Kill() {
	s.killOnce.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
}

// Start writes a signature database with one ndb signature per entry of
// sigs (name → ASCII marker; nil means DefaultSigs) and a clamd.conf into a
// temporary directory, starts clamd on a unix socket there and waits until it
// answers PING. The test is skipped when clamd is not installed and fails
// when clamd does not start. clamd is killed at cleanup.
func Start(t testing.TB, sigs map[string]string, opts ...Option) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Skip("clamd not installed (apt-get install clamav-daemon); skipping real-clamd test")
	}
	cfg := config{streamMax: "1M", maxThreads: 4}
	for _, o := range opts {
		o(&cfg)
	}
	dir := shortTempDir(t)
	s := &Server{dir: dir, sock: filepath.Join(dir, "clamd.sock"), conf: filepath.Join(dir, "clamd.conf")}
	writeFile(t, filepath.Join(dir, "db", "test.ndb"), ndb(t, sigs))
	writeFile(t, s.conf, confText(s, cfg))

	out, err := os.Create(filepath.Join(dir, "clamd.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child has its own copy
	s.cmd = exec.Command(bin, "--config-file="+s.conf)
	s.cmd.Stdout, s.cmd.Stderr = out, out // *os.File: no copying goroutines
	setDeathSignal(s.cmd)
	begin := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("clamdtest: start %s: %v", bin, err)
	}
	s.exited = make(chan struct{})
	go func() { // the only waiter; ends when clamd exits, at the latest at Kill
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			log, _ := os.ReadFile(out.Name())
			t.Logf("clamd output:\n%s", log)
		}
	})
	if err := waitReady(s); err != nil {
		s.Kill()
		log, _ := os.ReadFile(out.Name())
		t.Fatalf("clamdtest: clamd did not start: %v\nconfig:\n%s\noutput:\n%s",
			err, confText(s, cfg), log)
	}
	s.started = time.Since(begin)
	return s
}

// waitReady polls PING until clamd answers, exits, or startTimeout passes.
func waitReady(s *Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c := &clamav.Client{Addr: s.sock, Timeout: time.Second, DialTimeout: time.Second}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := c.Ping(ctx); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("clamd exited: %v", s.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("no PONG on %s within %v", s.sock, startTimeout)
		case <-tick.C:
		}
	}
}
