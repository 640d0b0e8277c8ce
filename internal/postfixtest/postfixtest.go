// Package postfixtest runs a real Postfix with Dovecot SASL on loopback, so
// that log parsers can be tested against the log a real smtpd writes. It
// needs root and the Debian packages postfix, dovecot-core and swaks; Start
// skips the test when any of them is missing:
//
//	echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
//	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix dovecot-core swaks
//
// (where /usr/sbin/policy-rc.d does not exist, create one that exits 101
// for the install, so that the packages' own system daemons do not start).
// Measured with Debian 12's postfix 3.7.11, dovecot-core 2.3.19.1 and swaks
// 20201014.0 on a busy 2-core machine: Start takes 0.2-0.5 s, one message
// 0.2-0.4 s (mostly swaks' Perl start-up), the cleanup well under a second.
//
// # What Start runs
//
// Everything lives in one temporary directory (t.TempDir, or a shorter one
// under os.TempDir when a unix socket path there would be too long; the
// directory and its parent are made searchable for the postfix and dovecot
// users):
//
//	conf/main.cf, conf/master.cf   the Postfix configuration directory
//	queue/, data/                  queue_directory and data_directory
//	mail.log                       maillog_file, written by postlogd
//	dovecot.conf, passwd           Dovecot's configuration and passwd-file
//	dovecot/                       Dovecot's base_dir; auth-postfix is the SASL socket
//	dovecot.log, dovecot.out       Dovecot's log_path and its stdout/stderr
//
// Dovecot runs in the foreground (dovecot -F -c dovecot.conf) with no mail
// protocols, only the auth service; its passdb is a passwd-file of
// "user:{PLAIN}password" lines and its userdb is static (see dovecotConf).
// Postfix's smtpd reaches it through a unix socket given by absolute path
// (smtpd_sasl_type = dovecot, smtpd_sasl_path = <dir>/dovecot/auth-postfix,
// mode 0666 so the unprivileged smtpd may connect): no port to pick, no
// port race.
//
// Postfix's master daemon runs as a direct child of the test (master -c
// conf) rather than through "postfix start", which would detach it: as a
// child it can be waited for, and the kernel kills it when the test binary
// dies without running its cleanups (go test -timeout); Postfix's own
// children exit when their master dies. The queue directories are made as
// Postfix's postfix-files lists them, which is what "postfix check" would do
// in ten times the time; postfix check runs only to explain a master that
// would not start. main.cf (see defaultMainCF) makes smtpd listen on
// 127.0.0.1:<free port>, IPv4 only, offer AUTH PLAIN and LOGIN without TLS
// (smtpd_tls_security_level = none), relay only for authenticated clients
// (permit_sasl_authenticated, reject_unauth_destination: others, even from
// 127.0.0.1, get "Relay access denied"), and discard everything it accepts
// (mydestination empty, default, relay and local transport discard).
// smtpd_peername_lookup = no, so clients appear as unknown[127.x.y.z]
// without any DNS; WithMainCF overrides such settings. The free port is
// found by listening on port 0 and closing; should master then die because
// someone else took the port, Start retries with a new one.
//
// Cleanup sends SIGTERM to master (what "postfix stop" does) and to Dovecot,
// waits for both, and kills whatever is left in their process groups.
//
// # The log
//
// maillog_file (Postfix ≥ 3.4, with the postlog service in master.cf) writes
// lines with this prefix: local time (the test's TZ) as strftime
// "%b %d %H:%M:%S", so the day is zero-padded ("Nov 07", where syslog
// writes "Nov  7"), no year, no sub-seconds; then the first label of
// myhostname (mail.example.test); then "postfix/<daemon>[pid]: ". The line
// for an authenticated message:
//
//	Nov 27 02:20:34 mail postfix/smtpd[11717]: BDBF5986504: client=unknown[127.0.0.23], sasl_method=PLAIN, sasl_username=alice
//
// A failed login also carries sasl_username, in a warning:
//
//	Nov 27 02:28:35 mail postfix/smtpd[20890]: warning: unknown[127.0.0.5]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=carol
//
// What a Postfix process logs before postlogd runs (a master that cannot
// bind its port, say) goes to syslog, which a container usually lacks.
//
// # Concurrency
//
// Each Start makes an independent instance (its own directory, port, socket,
// master and Dovecot), so tests that each Start their own may run in
// parallel. Env's methods are safe for concurrent use; as they may fail a
// test, Send and WaitLogged must run in the goroutine of the test they are
// given, AddUser in that of the test given to Start.
package postfixtest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// startTimeout bounds the wait for Dovecot's socket and for master's
	// "daemon started" line (0.1-0.3 s on a 2-core machine, idle or busy).
	startTimeout = 60 * time.Second
	// logTimeout bounds WaitLogged.
	logTimeout = 30 * time.Second
	// stopTimeout bounds the wait for a daemon to exit after SIGTERM before
	// it and its process group are killed.
	stopTimeout = 10 * time.Second
	// portAttempts is how often Start picks a new port when master died
	// because its port was taken in the meantime.
	portAttempts = 3
	// pollInterval is how often the helpers look at sockets and logs.
	pollInterval = 20 * time.Millisecond

	// Domain is the domain of the envelope addresses Send uses.
	Domain = "example.test"
	// Recipient is the envelope recipient of every message Send sends.
	Recipient = "rcpt@" + Domain
)

// binaries are the programs Start needs, found by Available.
type binaries struct {
	postfix, postconf, dovecot, swaks string
}

// findBinary returns /usr/sbin/NAME if it exists, else NAME from PATH, or "".
func findBinary(name string) string {
	p := filepath.Join("/usr/sbin", name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// lookup finds the binaries, users and groups Start needs, and says what is
// missing.
func lookup() (binaries, string) {
	var b binaries
	if !supported {
		return b, "postfixtest runs on Linux only"
	}
	var missing []string
	for _, f := range []struct {
		dst  *string
		name string
	}{{&b.postfix, "postfix"}, {&b.postconf, "postconf"}, {&b.dovecot, "dovecot"}, {&b.swaks, "swaks"}} {
		if *f.dst = findBinary(f.name); *f.dst == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return b, fmt.Sprintf("%s not installed (apt-get install postfix dovecot-core swaks)",
			strings.Join(missing, ", "))
	}
	for _, u := range []string{"postfix", "dovecot", "dovenull"} {
		if _, err := user.Lookup(u); err != nil {
			return b, fmt.Sprintf("user %s missing (reinstall postfix / dovecot-core): %v", u, err)
		}
	}
	if _, err := user.LookupGroup("postdrop"); err != nil {
		return b, fmt.Sprintf("group postdrop missing (reinstall postfix): %v", err)
	}
	if os.Geteuid() != 0 {
		return b, "postfix's master and dovecot must run as root"
	}
	return b, ""
}

// Available reports whether Start can run here: the postfix, postconf,
// dovecot and swaks binaries, the postfix, dovecot and dovenull users and the
// postdrop group exist, and the process runs as root. If not, it says why.
func Available() (bool, string) {
	_, why := lookup()
	return why == "", why
}

type config struct {
	users  map[string]string
	mainCF map[string]string
}

// Option changes what Start sets up.
type Option func(*config)

// WithUsers adds SASL users (name → password) before Dovecot starts. Names
// and passwords must not contain ':' or line breaks.
func WithUsers(users map[string]string) Option {
	return func(c *config) { maps.Copy(c.users, users) }
}

// WithMainCF sets a main.cf parameter, replacing Start's value if it has one
// (e.g. WithMainCF("smtpd_peername_lookup", "yes")). The directories,
// inet_interfaces, inet_protocols, smtpd_sasl_path, mail_owner and
// setgid_group that Start sets cannot be overridden this way.
func WithMainCF(param, value string) Option {
	return func(c *config) { c.mainCF[param] = value }
}

// Env is a running Postfix and Dovecot pair. Start stops both at cleanup.
type Env struct {
	t       testing.TB
	bin     binaries
	dir     string
	confDir string
	port    int
	started time.Duration
	master  *daemon
	dovecot *daemon

	mu          sync.Mutex
	users       map[string]string
	passwdStamp time.Time // mtime given to the passwd-file last written
	usersReady  time.Time // Send waits for this after AddUser (see AddUser)
}

// Addr returns smtpd's address, 127.0.0.1:PORT.
func (e *Env) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port)) }

// Port returns smtpd's port on 127.0.0.1.
func (e *Env) Port() int { return e.port }

// Dir returns the directory holding the whole instance.
func (e *Env) Dir() string { return e.dir }

// ConfigDir returns Postfix's configuration directory (for postfix -c or
// postconf -c).
func (e *Env) ConfigDir() string { return e.confDir }

// LogPath returns Postfix's maillog_file.
func (e *Env) LogPath() string { return filepath.Join(e.dir, "mail.log") }

// DovecotLogPath returns Dovecot's log_path.
func (e *Env) DovecotLogPath() string { return filepath.Join(e.dir, "dovecot.log") }

// StartupTime returns how long Start took from creating its directory until
// smtpd listened and Dovecot's auth socket answered.
func (e *Env) StartupTime() time.Duration { return e.started }

func (e *Env) passwdPath() string  { return filepath.Join(e.dir, "passwd") }
func (e *Env) dovecotConf() string { return filepath.Join(e.dir, "dovecot.conf") }
func (e *Env) authSocket() string  { return filepath.Join(e.dir, "dovecot", "auth-postfix") }

// Start sets up and starts Dovecot and Postfix in a temporary directory and
// returns when smtpd is listening. It skips the test when Available reports
// false and fails it, with the logs it has, when a daemon does not start.
// Both daemons are stopped at cleanup.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	bin, why := lookup()
	if why != "" {
		t.Skipf("postfixtest: %s; skipping real-Postfix test", why)
	}
	cfg := config{users: map[string]string{}, mainCF: map[string]string{}}
	for _, o := range opts {
		o(&cfg)
	}
	for u, p := range cfg.users {
		if err := checkCredentials(u, p); err != nil {
			t.Fatalf("postfixtest: WithUsers: %v", err)
		}
	}
	begin := time.Now()
	dir := workDir(t)
	e := &Env{t: t, bin: bin, dir: dir, confDir: filepath.Join(dir, "conf"), users: cfg.users}
	t.Cleanup(func() { // Start's own failures carry the logs already
		if t.Failed() && e.started > 0 {
			t.Logf("postfixtest: logs of %s:\n%s", dir, e.diagnostics())
		}
	})
	if err := e.writePasswd(); err != nil {
		t.Fatalf("postfixtest: %v", err)
	}
	// Dovecot starts while Postfix is prepared: smtpd needs it only when a
	// client authenticates.
	if err := e.startDovecot(); err != nil {
		t.Fatalf("postfixtest: dovecot: %v\n%s", err, e.diagnostics())
	}
	daemonDir, metaDir, err := e.postfixDirectories()
	if err != nil {
		t.Fatalf("postfixtest: %v", err)
	}
	if err := os.Mkdir(e.confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var prepared time.Duration
	for attempt := 1; ; attempt++ {
		if e.port, err = freePort(); err != nil {
			t.Fatalf("postfixtest: %v", err)
		}
		if err := e.writePostfixConf(cfg.mainCF); err != nil {
			t.Fatalf("postfixtest: %v", err)
		}
		if attempt == 1 {
			if err := e.makeQueueDirs(metaDir); err != nil {
				t.Fatalf("postfixtest: %v\n%s", err, e.diagnostics())
			}
			prepared = time.Since(begin)
		}
		err = e.startMaster(daemonDir)
		if err == nil {
			break
		}
		if attempt < portAttempts && portTaken(e.port) {
			t.Logf("postfixtest: port %d was taken before master bound it; retrying", e.port)
			continue
		}
		// master's own complaints went to syslog; postfix check writes its
		// findings about the configuration to maillog_file.
		if cerr := e.postfixCheck(); cerr != nil {
			err = fmt.Errorf("%w; %v", err, cerr)
		}
		t.Fatalf("postfixtest: postfix: %v\nmain.cf:\n%s\n%s", err, readFile(filepath.Join(e.confDir, "main.cf")), e.diagnostics())
	}
	masterUp := time.Since(begin)
	if err := e.waitDovecot(); err != nil {
		t.Fatalf("postfixtest: dovecot: %v\n%s", err, e.diagnostics())
	}
	e.started = time.Since(begin)
	t.Logf("postfixtest: up in %v (configuration and queue %v, master %v, dovecot %v more); smtpd on %s, log %s",
		e.started.Round(time.Millisecond), prepared.Round(time.Millisecond),
		(masterUp - prepared).Round(time.Millisecond), (e.started - masterUp).Round(time.Millisecond),
		e.Addr(), e.LogPath())
	return e
}

// workDir returns a directory for the instance whose unix socket paths fit
// the 108-byte sun_path limit, and makes it and its parent searchable by the
// postfix and dovecot users (t.TempDir's parent is mode 0700).
func workDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if len(filepath.Join(dir, "dovecot", "token-login", "tokenlogin")) > 100 {
		var err error
		if dir, err = os.MkdirTemp("", "postfixtest"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
			t.Fatal(err)
		}
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			t.Fatalf("postfixtest: %s is not searchable by the postfix and dovecot users; "+
				"set TMPDIR to a world-searchable directory", d)
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

// postfixDirectories asks postconf for the compiled-in daemon_directory
// and meta_directory (/usr/lib/postfix/sbin and /etc/postfix on Debian).
func (e *Env) postfixDirectories() (daemonDir, metaDir string, err error) {
	out, err := exec.Command(e.bin.postconf, "-d", "-h", "daemon_directory", "meta_directory").Output()
	if err != nil {
		return "", "", fmt.Errorf("postconf -d -h daemon_directory meta_directory: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return "", "", fmt.Errorf("postconf -d -h daemon_directory meta_directory: %q", out)
	}
	if _, err := os.Stat(filepath.Join(f[0], "master")); err != nil {
		return "", "", fmt.Errorf("postfix master: %w", err)
	}
	return f[0], f[1], nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portTaken reports whether something else listens on 127.0.0.1:port.
func portTaken(port int) bool {
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return errors.Is(err, syscall.EADDRINUSE)
	}
	l.Close()
	return false
}

// postfixCheck runs "postfix -c conf check", which validates the
// configuration, creates missing queue and data directories and fixes their
// permissions (it takes about 2 s, 20 s on a loaded machine, hence
// makeQueueDirs). postfix reports to stderr only when that is a terminal,
// otherwise to maillog_file, or to syslog when it fails before it could
// read main.cf; so when script(1) is installed, it is run on one, and what it
// says is part of the error.
func (e *Env) postfixCheck() error {
	cmd := exec.Command(e.bin.postfix, "-c", e.confDir, "check")
	if script, err := exec.LookPath("script"); err == nil {
		cmd = exec.Command(script, "-qec", shellQuote(e.bin.postfix)+" -c "+shellQuote(e.confDir)+" check", "/dev/null")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("postfix -c %s check: %w: %s", e.confDir, err,
			strings.TrimSpace(strings.ReplaceAll(string(out), "\r", "")))
	}
	return nil
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// startMaster runs Postfix's master as a child and waits for its "daemon
// started" line, which it logs after binding all listeners.
func (e *Env) startMaster(daemonDir string) error {
	cmd := exec.Command(filepath.Join(daemonDir, "master"), "-c", e.confDir)
	// master calls setsid itself, so its process group is its PID.
	cmd.SysProcAttr = deathSignalAttr(false)
	d, err := startDaemon("postfix master", cmd)
	if err != nil {
		return err
	}
	ready := fmt.Sprintf("postfix/master[%d]: daemon started", cmd.Process.Pid)
	err = pollUntil(startTimeout, d.exited, func() bool {
		return strings.Contains(readFile(e.LogPath()), ready)
	})
	if err != nil {
		d.stop(e.t)
		<-d.exited
		if d.err != nil {
			return fmt.Errorf("master exited before it was ready (%v); its early errors went to syslog, which may be absent", d.err)
		}
		return fmt.Errorf("no %q in %s: %w", ready, e.LogPath(), err)
	}
	e.master = d
	e.t.Cleanup(func() { d.stop(e.t) })
	return nil
}

// startDovecot runs Dovecot in the foreground; waitDovecot waits for it.
func (e *Env) startDovecot() error {
	if err := os.WriteFile(e.dovecotConf(), []byte(dovecotConf(e.dir, e.passwdPath())), 0o644); err != nil {
		return err
	}
	out, err := os.Create(filepath.Join(e.dir, "dovecot.out"))
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own copy
	cmd := exec.Command(e.bin.dovecot, "-F", "-c", e.dovecotConf())
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = deathSignalAttr(true)
	d, err := startDaemon("dovecot", cmd)
	if err != nil {
		return err
	}
	e.dovecot = d
	e.t.Cleanup(func() { d.stop(e.t) })
	return nil
}

// waitDovecot waits until Dovecot's auth socket accepts connections.
func (e *Env) waitDovecot() error {
	return pollUntil(startTimeout, e.dovecot.exited, func() bool {
		c, err := net.Dial("unix", e.authSocket())
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// pollUntil calls ready every pollInterval until it returns true, exited is
// closed, or timeout passes.
func pollUntil(timeout time.Duration, exited <-chan struct{}, ready func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if ready() {
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before it was ready")
		case <-deadline.C:
			return fmt.Errorf("not ready within %v", timeout)
		case <-tick.C:
		}
	}
}

// AddUser adds a SASL user, or changes the password of an existing one, by
// rewriting Dovecot's passwd-file. Dovecot notices the change by mtime and
// size, but looks at the file at most once a second, so Send waits until
// the second after the last AddUser has begun (AddUser before Start costs
// nothing). AddUser fails the test given to Start when user or pass contain
// ':' or line breaks; it must be called from that test's goroutine.
func (e *Env) AddUser(user, pass string) {
	e.t.Helper()
	if err := checkCredentials(user, pass); err != nil {
		e.t.Fatalf("postfixtest: AddUser: %v", err)
	}
	e.mu.Lock()
	e.users[user] = pass
	e.mu.Unlock()
	if err := e.writePasswd(); err != nil {
		e.t.Fatalf("postfixtest: AddUser: %v", err)
	}
}

// checkCredentials rejects what passwd-file or the SMTP dialogue cannot carry.
func checkCredentials(user, pass string) error {
	if user == "" || strings.ContainsAny(user, ":\r\n\x00 ") {
		return fmt.Errorf("bad user name %q", user)
	}
	if strings.ContainsAny(pass, ":\r\n\x00") {
		return fmt.Errorf("password for %s contains ':' or a line break", user)
	}
	return nil
}

// writePasswd replaces the passwd-file atomically. Its mtime always moves
// forward by at least a second, so that Dovecot, which compares mtime (in
// seconds) and size, notices even a same-length password change.
func (e *Env) writePasswd() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, u := range slices.Sorted(maps.Keys(e.users)) {
		fmt.Fprintf(&b, "%s:{PLAIN}%s\n", u, e.users[u])
	}
	tmp := e.passwdPath() + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	now := time.Now()
	stamp := now.Truncate(time.Second)
	if !e.passwdStamp.IsZero() && !stamp.After(e.passwdStamp) {
		stamp = e.passwdStamp.Add(time.Second)
	}
	if err := os.Chtimes(tmp, stamp, stamp); err != nil {
		return err
	}
	if err := os.Rename(tmp, e.passwdPath()); err != nil {
		return err
	}
	e.passwdStamp = stamp
	if e.dovecot != nil {
		e.usersReady = now.Truncate(time.Second).Add(time.Second)
	}
	return nil
}

// Send sends n messages, one swaks run each, from user@example.test (or
// user itself when it holds an '@') to Recipient, authenticating with AUTH
// PLAIN as user, from the local address srcIP, which must be in
// 127.0.0.0/8 (Linux routes the whole block to lo without configuration).
// It fails t, with swaks' transcript, when a message is not accepted.
func (e *Env) Send(t testing.TB, user, pass, srcIP string, n int) {
	t.Helper()
	ip := net.ParseIP(srcIP)
	if ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		t.Fatalf("postfixtest: Send: source %q is not an IPv4 loopback address (127.0.0.0/8)", srcIP)
	}
	if n < 0 {
		t.Fatalf("postfixtest: Send: negative count %d", n)
	}
	e.mu.Lock()
	ready := e.usersReady
	e.mu.Unlock()
	if wait := time.Until(ready); wait > 0 {
		time.Sleep(wait) // Dovecot re-reads passwd-file at most once a second
	}
	from := user
	if !strings.Contains(from, "@") {
		from += "@" + Domain
	}
	for i := 1; i <= n; i++ {
		cmd := exec.Command(e.bin.swaks,
			"--server", "127.0.0.1", "--port", strconv.Itoa(e.port),
			"--local-interface", ip.String(),
			"--helo", "client."+Domain,
			"--auth", "PLAIN", "--auth-user", user, "--auth-password", pass,
			"--from", from, "--to", Recipient,
			"--header", fmt.Sprintf("Subject: postfixtest %d/%d", i, n),
			"--timeout", "20",
		)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("postfixtest: Send %d/%d as %s from %s: swaks: %v\n%s\n%s",
				i, n, user, srcIP, err, out.Bytes(), e.diagnostics())
		}
	}
}

// WaitLogged waits, at most 30 s, until the log holds at least n smtpd
// lines for authenticated messages ("ID: client=..., sasl_method=...,
// sasl_username=..."; a failed login's warning also carries sasl_username=
// but is not counted) and has settled: every smtpd "connect from" has its
// "disconnect from", and every message the queue manager took ("ID: from=<")
// has been "removed". It returns LogPath, or fails t with the log tail.
func (e *Env) WaitLogged(t testing.TB, n int) string {
	t.Helper()
	var last logCounts
	err := pollUntil(logTimeout, nil, func() bool {
		last = countLog(readFile(e.LogPath()))
		return last.sasl >= n && last.settled()
	})
	if err != nil {
		t.Fatalf("postfixtest: WaitLogged(%d): %v: %d sasl_username lines, %d connects, %d disconnects, %d messages not yet removed\n%s",
			n, err, last.sasl, last.connects, last.disconnects, last.pending, e.diagnostics())
	}
	return e.LogPath()
}

// logCounts is what WaitLogged looks for in the log.
type logCounts struct {
	sasl, connects, disconnects, pending int
}

func (c logCounts) settled() bool { return c.connects == c.disconnects && c.pending == 0 }

// countLog counts sasl_username lines, smtpd connects and disconnects, and
// queue IDs taken by qmgr but not yet removed.
func countLog(log string) logCounts {
	var c logCounts
	active := map[string]bool{}
	for line := range strings.Lines(log) {
		if strings.Contains(line, "sasl_username=") && strings.Contains(line, ": client=") {
			c.sasl++
		}
		_, msg, ok := strings.Cut(line, "]: ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(msg, "connect from "):
			c.connects++
		case strings.HasPrefix(msg, "disconnect from "):
			c.disconnects++
		}
		id, rest, ok := strings.Cut(msg, ": ")
		if !ok || strings.ContainsAny(id, " =") {
			continue
		}
		switch {
		case strings.HasPrefix(rest, "from=<"):
			active[id] = true
		case strings.TrimSpace(rest) == "removed":
			delete(active, id)
		}
	}
	c.pending = len(active)
	return c
}

// readFile returns the file's content, or "" when it cannot be read.
func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// tail returns the last n lines of the file, or a note why there are none.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)\n", err)
	}
	if len(b) == 0 {
		return "(empty)\n"
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "") + "\n"
}

// diagnostics returns the tails of the instance's logs.
func (e *Env) diagnostics() string {
	var b strings.Builder
	for _, name := range []string{"mail.log", "dovecot.log", "dovecot.out"} {
		fmt.Fprintf(&b, "--- %s:\n%s", name, tail(filepath.Join(e.dir, name), 40))
	}
	return b.String()
}
