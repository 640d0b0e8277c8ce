package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/postfixtest"
	"github.com/spamgear/spamgear/remediate"
	"github.com/spamgear/spamgear/remediate/mailer/mailtest"
)

const testReport = `During the last 1 hour the following senders have made at least 90 SMTP connections.

812 (31 nets/40 unknowns/77 IPs/0 webmail) -- Nov 27 10:00:01 mx postfix/smtpd[11]: AAB: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=alice
`

// emergencyFixture is a settings file, a fake sendmail that keeps what it
// is given, an audit log and a state file, all in a temporary directory.
type emergencyFixture struct {
	t        *testing.T
	dir      string
	settings string
	sendmail string
	audit    string
	state    string
}

func newEmergencyFixture(t *testing.T) *emergencyFixture {
	t.Helper()
	dir := t.TempDir()
	f := &emergencyFixture{
		t:        t,
		dir:      dir,
		settings: filepath.Join(dir, "emergency.toml"), // missing until written
		audit:    filepath.Join(dir, "log", "actions.log"),
		state:    filepath.Join(dir, "lib", "spamgear", "emergency-mail.state"),
	}
	if err := os.Mkdir(filepath.Join(dir, "sent"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Each run keeps its arguments and message in sent/PID.args and .msg.
	f.sendmail = fakeProgram(t, "sendmail", `out=`+filepath.Join(dir, "sent")+`/$$
echo "$*" > "$out.args"
cat > "$out.msg"
`)
	return f
}

// writeSettings writes the settings file, mode 0600.
func (f *emergencyFixture) writeSettings(content string) {
	f.t.Helper()
	if err := os.WriteFile(f.settings, []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// run runs emergency-mail with the fixture's files and args.
func (f *emergencyFixture) run(stdin string, args ...string) result {
	f.t.Helper()
	return runCLI(f.t, stdin, append([]string{"emergency-mail", "--settings", f.settings, "--sendmail", f.sendmail,
		"--audit-log", f.audit, "--state", f.state}, args...)...)
}

// sent returns the messages the fake sendmail was given.
func (f *emergencyFixture) sent() []*mail.Message {
	f.t.Helper()
	files, _ := filepath.Glob(filepath.Join(f.dir, "sent", "*.msg"))
	var msgs []*mail.Message
	for _, file := range files {
		args, err := os.ReadFile(strings.TrimSuffix(file, ".msg") + ".args")
		if err != nil || strings.TrimSpace(string(args)) != "-t -i" {
			f.t.Errorf("sendmail arguments %q, %v; want -t -i", args, err)
		}
		msgs = append(msgs, readMessage(f.t, file))
	}
	return msgs
}

// auditEntries returns the audit log's entries.
func (f *emergencyFixture) auditEntries() []remediate.Entry {
	f.t.Helper()
	b, err := os.ReadFile(f.audit)
	if err != nil {
		f.t.Fatalf("audit log: %v", err)
	}
	var entries []remediate.Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e remediate.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			f.t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	return entries
}

func readMessage(t *testing.T, path string) *mail.Message {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseMessage(t, b)
}

func parseMessage(t *testing.T, data []byte) *mail.Message {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, data)
	}
	return m
}

// subject returns the decoded Subject of m.
func subject(t *testing.T, m *mail.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", m.Header.Get("Subject"), err)
	}
	return s
}

func body(t *testing.T, m *mail.Message) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := b.ReadFrom(m.Body); err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(b.String(), "\r\n", "\n")
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// caFile writes the certificate of a mailtest server with TLS to a PEM
// file, fetched over STARTTLS and verified with the server's CertPool.
func caFile(t *testing.T, srv *mailtest.Server) string {
	t.Helper()
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{RootCAs: srv.CertPool(), ServerName: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	st, _ := c.TLSConnectionState()
	_ = c.Quit()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: st.PeerCertificates[0].Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEmergencyNothingToSend(t *testing.T) {
	for _, stdin := range []string{"", " \n\t\r\n\n"} {
		f := newEmergencyFixture(t)
		ran := filepath.Join(f.dir, "queue-command-ran")
		queue := fakeProgram(t, "queue", "touch "+ran+"\necho 99999\n")
		r := f.run(stdin, "--queue-command", queue, "1")
		if r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("stdin %q: exit %d, stdout %q, stderr %q; want 0 and nothing", stdin, r.code, r.stdout, r.stderr)
		}
		if len(f.sent()) != 0 {
			t.Errorf("stdin %q: something was sent", stdin)
		}
		for _, p := range []string{ran, f.audit, f.state} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("stdin %q: %s exists", stdin, p)
			}
		}
	}
}

func TestEmergencyLocal(t *testing.T) {
	f := newEmergencyFixture(t)
	relay := mailtest.NewServer(t, mailtest.Options{})
	f.writeSettings(`server_name = "mx1.example.test"
from = "spamgear <root@mx1.example.test>"
to = ["admin@example.org", "noc@example.net"]
threshold = 10

[[relay]]
host = "127.0.0.1"
port = ` + strconv.Itoa(portOf(t, relay.Addr())) + `
security = "none"
`)
	// The argument wins over the settings' threshold of 10.
	r := f.run(testReport, "--queue-command", "/bin/echo 2999", "3000")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stdout != testReport {
		t.Errorf("echo %q, want the report unchanged", r.stdout)
	}
	if n := len(relay.Messages()); n != 0 {
		t.Errorf("relay got %d messages under the threshold", n)
	}
	msgs := f.sent()
	if len(msgs) != 1 {
		t.Fatalf("sendmail got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if got, want := subject(t, m), "EMERGENCY MAIL ABUSE REPORT - mx1.example.test - During the last 1 hour the following senders have made at least 90 SMTP connections."; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if got := m.Header.Get("From"); got != `"spamgear" <root@mx1.example.test>` {
		t.Errorf("From %q", got)
	}
	if got := m.Header.Get("To"); got != "admin@example.org, noc@example.net" {
		t.Errorf("To %q", got)
	}
	if m.Header.Get("Date") == "" || m.Header.Get("Message-Id") == "" {
		t.Errorf("no Date or Message-ID: %v", m.Header)
	}
	if got := body(t, m); got != testReport {
		t.Errorf("body %q, want the report", got)
	}
	entries := f.auditEntries()
	if len(entries) != 1 || entries[0].Action != "alert" || entries[0].Tool != "mailscan" || entries[0].Error != "" ||
		!strings.Contains(entries[0].Detail, "local sendmail") || !strings.Contains(entries[0].Detail, "queue 2999") ||
		string(entries[0].Target) != "admin@example.org, noc@example.net" || len(entries[0].SHA256) != 64 {
		t.Errorf("audit %+v", entries)
	}

	// --quiet; --to overrides; no settings at all is fine under the
	// threshold; the default threshold is 3000.
	f.settings = filepath.Join(f.dir, "missing.toml")
	r = f.run(testReport, "--queue-command", "/bin/echo 3000", "--quiet", "--to", "ops@example.org", "--to", "b@example.org")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("quiet: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	msgs = f.sent()
	if len(msgs) != 2 {
		t.Fatalf("sendmail got %d messages, want 2", len(msgs))
	}
	var found bool
	for _, m := range msgs {
		if m.Header.Get("To") == "ops@example.org, b@example.org" {
			found = true
			host, _ := os.Hostname()
			if !strings.HasPrefix(subject(t, m), "EMERGENCY MAIL ABUSE REPORT - "+host+" - During") {
				t.Errorf("default subject %q", subject(t, m))
			}
		}
	}
	if !found {
		t.Error("no message to the --to addresses")
	}
}

func TestEmergencyRelays(t *testing.T) {
	f := newEmergencyFixture(t)
	relay := mailtest.NewServer(t, mailtest.Options{Auth: map[string]string{"alerts": "s3cret pass"}, TLS: true})
	pass := filepath.Join(f.dir, "relay.pass")
	if err := os.WriteFile(pass, []byte("s3cret pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	down := closedPort(t)
	f.writeSettings(`server_name = "mx1.example.test"
from = "root@mx1.example.test"
to = ["admin@example.org"]

[[relay]]
name = "primary"
host = "127.0.0.1"
port = ` + strconv.Itoa(down) + `
timeout = "5s"

[[relay]]
host = "127.0.0.1"
port = ` + strconv.Itoa(portOf(t, relay.Addr())) + `
username = "alerts"
password_file = "` + pass + `"
to = ["noc@example.net", "Pager <pager@example.net>"]
`)
	r := f.run(testReport, "--queue-command", "/bin/echo 5000", "--relay-ca", caFile(t, relay), "3000")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Sent, but the broken first relay is reported.
	if !strings.Contains(r.stderr, "relay 1 (primary): smtp 127.0.0.1:"+strconv.Itoa(down)+": connect:") {
		t.Errorf("stderr does not report relay 1: %q", r.stderr)
	}
	if len(f.sent()) != 0 {
		t.Error("the local sendmail was used although a relay took the report")
	}
	got := relay.Messages()
	if len(got) != 1 {
		t.Fatalf("relay 2 got %d messages, want 1", len(got))
	}
	if got[0].From != "root@mx1.example.test" || !slices.Equal(got[0].To, []string{"noc@example.net", "pager@example.net"}) {
		t.Errorf("envelope %q → %q", got[0].From, got[0].To)
	}
	m := parseMessage(t, got[0].Data)
	if s := subject(t, m); s != "EMERGENCY MAIL ABUSE REPORT - mx1.example.test - During the last 1 hour the following senders have made at least 90 SMTP connections." {
		t.Errorf("subject %q", s)
	}
	if m.Header.Get("From") != "root@mx1.example.test" || m.Header.Get("To") != `noc@example.net, "Pager" <pager@example.net>` {
		t.Errorf("From %q To %q", m.Header.Get("From"), m.Header.Get("To"))
	}
	if b := body(t, m); b != testReport {
		t.Errorf("body %q", b)
	}
	entries := f.auditEntries()
	if len(entries) != 2 || entries[0].Error == "" || !strings.Contains(entries[0].Detail, "relay 1 (primary)") ||
		entries[1].Error != "" || !strings.Contains(entries[1].Detail, "relay 2 (127.0.0.1:") || !strings.Contains(entries[1].Detail, "queue 5000") {
		t.Errorf("audit %+v", entries)
	}

	// Without the CA, the certificate is refused (STARTTLS is required
	// by default): no relay takes it.
	r = f.run(testReport, "--queue-command", "/bin/echo 5000", "3000")
	if r.code != 1 || !strings.Contains(r.stderr, "relay 2 (127.0.0.1:") || !strings.Contains(r.stderr, "STARTTLS") {
		t.Errorf("without the CA: exit %d %q", r.code, r.stderr)
	}
	if len(relay.Messages()) != 1 {
		t.Error("sent without a verified certificate")
	}
}

func TestEmergencyAllRelaysDown(t *testing.T) {
	f := newEmergencyFixture(t)
	p1, p2 := closedPort(t), closedPort(t)
	f.writeSettings(`to = ["admin@example.org"]
[[relay]]
host = "127.0.0.1"
port = ` + strconv.Itoa(p1) + `
[[relay]]
host = "127.0.0.1"
port = ` + strconv.Itoa(p2) + `
security = "none"
`)
	r := f.run(testReport, "--queue-command", "/bin/echo 5000")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	want := []string{
		"mailscan: emergency-mail: relay 1 (127.0.0.1:" + strconv.Itoa(p1) + "): smtp 127.0.0.1:" + strconv.Itoa(p1) + ": connect:",
		"mailscan: emergency-mail: relay 2 (127.0.0.1:" + strconv.Itoa(p2) + "): smtp 127.0.0.1:" + strconv.Itoa(p2) + ": connect:",
		"mailscan: emergency-mail: no relay took the report; it was handed to the local sendmail",
	}
	if len(lines) != len(want) {
		t.Fatalf("stderr:\n%s\nwant %d lines", r.stderr, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("stderr line %d %q, want %q...", i+1, lines[i], w)
		}
	}
	msgs := f.sent()
	if len(msgs) != 1 || msgs[0].Header.Get("To") != "admin@example.org" {
		t.Fatalf("local fallback: %d messages", len(msgs))
	}
	if entries := f.auditEntries(); len(entries) != 3 || entries[2].Error != "" || !strings.Contains(entries[2].Detail, "local sendmail") {
		t.Errorf("audit %+v", entries)
	}

	// The local sendmail fails too.
	f.sendmail = fakeProgram(t, "sendmail-down", "cat >/dev/null\necho 'postdrop: warning: unable to look up public/pickup' >&2\nexit 75\n")
	r = f.run(testReport, "--queue-command", "/bin/echo 5000")
	if r.code != 1 || !strings.Contains(r.stderr, "exit status 75: postdrop: warning") || !strings.Contains(r.stderr, "every relay and the local sendmail failed") {
		t.Errorf("exit %d %q", r.code, r.stderr)
	}
}

func TestEmergencyQueueUncounted(t *testing.T) {
	relay := mailtest.NewServer(t, mailtest.Options{})
	for _, cmd := range []string{"/bin/false", "/bin/echo postqueue: fatal: whatever", "/no/such/postqueue -j"} {
		t.Run(cmd, func(t *testing.T) {
			f := newEmergencyFixture(t)
			f.writeSettings(`to = ["admin@example.org"]
[[relay]]
host = "127.0.0.1"
port = ` + strconv.Itoa(portOf(t, relay.Addr())) + `
security = "none"
`)
			before := len(relay.Messages())
			r := f.run(testReport, "--queue-command", cmd, "--quiet", "100000")
			if r.code != 0 || !strings.Contains(r.stderr, "cannot count the mail queue, taking it as flooded") {
				t.Errorf("exit %d %q", r.code, r.stderr)
			}
			if len(relay.Messages()) != before+1 || len(f.sent()) != 0 {
				t.Errorf("not sent through the relay")
			}
		})
	}
}

func TestEmergencyCooldown(t *testing.T) {
	f := newEmergencyFixture(t)
	args := []string{"--queue-command", "/bin/echo 1", "--cooldown", "1h", "--quiet"}
	if r := f.run(testReport, args...); r.code != 0 || len(f.sent()) != 1 {
		t.Fatalf("first: exit %d %q, %d sent", r.code, r.stderr, len(f.sent()))
	}
	fi, err := os.Stat(f.state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v %v", fi, err)
	}
	if di, err := os.Stat(filepath.Dir(f.state)); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("state directory: %v %v", di, err)
	}
	// The same report (but for white space around it): not sent.
	if r := f.run("\n"+testReport+"\n\n", append(args, "-v")...); r.code != 0 || len(f.sent()) != 1 || !strings.Contains(r.stderr, "not sent: the same report was sent") {
		t.Errorf("identical: exit %d %q, %d sent", r.code, r.stderr, len(f.sent()))
	}
	// Without -v, silently.
	if r := f.run(testReport, args...); r.code != 0 || r.stderr != "" || len(f.sent()) != 1 {
		t.Errorf("identical, quiet: exit %d %q, %d sent", r.code, r.stderr, len(f.sent()))
	}
	// Another report is sent.
	other := testReport + "3 more\n"
	if r := f.run(other, args...); r.code != 0 || len(f.sent()) != 2 {
		t.Errorf("different: exit %d %q, %d sent", r.code, r.stderr, len(f.sent()))
	}
	// A failed send does not start the cooldown.
	third := "something else\n"
	good := f.sendmail
	f.sendmail = fakeProgram(t, "sendmail-down", "cat >/dev/null\nexit 75\n")
	if r := f.run(third, args...); r.code != 1 {
		t.Errorf("failing sendmail: exit %d %q", r.code, r.stderr)
	}
	f.sendmail = good
	if r := f.run(third, args...); r.code != 0 || len(f.sent()) != 3 {
		t.Errorf("after a failed send: exit %d %q, %d sent", r.code, r.stderr, len(f.sent()))
	}
	// Without --cooldown, always sent.
	if r := f.run(third, "--queue-command", "/bin/echo 1", "--quiet"); r.code != 0 || len(f.sent()) != 4 {
		t.Errorf("no cooldown: exit %d %q, %d sent", r.code, r.stderr, len(f.sent()))
	}
	// A corrupt state file is a warning; the report is sent.
	if err := os.WriteFile(f.state, []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := f.run(third, args...); r.code != 0 || len(f.sent()) != 5 || !strings.Contains(r.stderr, "state "+f.state) {
		t.Errorf("corrupt state: exit %d %q, %d sent", r.code, r.stderr, len(f.sent()))
	}
}

func TestEmergencyHeaderSafety(t *testing.T) {
	tests := []struct {
		name, report, wantSubject string
	}{
		{"CRLF", "Alert\r\nBcc: evil@x\r\nmore\n", "EMERGENCY MAIL ABUSE REPORT - mx - Alert"},
		{"lone CR", "Alert\rBcc: evil@x\n", "EMERGENCY MAIL ABUSE REPORT - mx - Alert"},
		{"control characters", "\x00\x1b[31mAlert\x1b[0m\tnow\u0085\u2028Bcc: evil@x\n", "EMERGENCY MAIL ABUSE REPORT - mx - [31mAlert [0m now Bcc: evil@x"},
		{"non-ASCII", "  Überlauf ☃ in der Warteschlange  \n", "EMERGENCY MAIL ABUSE REPORT - mx - Überlauf ☃ in der Warteschlange"},
		{"invalid UTF-8", "bad \xff\xfe bytes\nBcc: evil@x\n", "EMERGENCY MAIL ABUSE REPORT - mx - bad \uFFFD bytes"},
		{"blank first lines", "\n \t\n\nfirst\n", "EMERGENCY MAIL ABUSE REPORT - mx - first"},
		{"long", strings.Repeat("é", 300) + "\n", "EMERGENCY MAIL ABUSE REPORT - mx - " + strings.Repeat("é", 119) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEmergencyFixture(t)
			f.writeSettings("server_name = \"mx\"\nto = [\"admin@example.org\"]\n")
			r := f.run(tt.report, "--queue-command", "/bin/echo 0", "--quiet")
			if r.code != 0 {
				t.Fatalf("exit %d %q", r.code, r.stderr)
			}
			msgs := f.sent()
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0]
			if got := subject(t, m); got != tt.wantSubject {
				t.Errorf("subject %q, want %q", got, tt.wantSubject)
			}
			for _, h := range []string{"Bcc", "Cc"} {
				if v, ok := m.Header[h]; ok {
					t.Errorf("header %s: %q", h, v)
				}
			}
			if to := m.Header.Get("To"); to != "admin@example.org" {
				t.Errorf("To %q", to)
			}
		})
	}
	// The report's bytes reach the body (quoted-printable when they are
	// not UTF-8).
	f := newEmergencyFixture(t)
	if r := f.run("bad \xff\xfe bytes\nBcc: evil@x\n", "--queue-command", "/bin/echo 0", "--quiet", "--to", "a@example.org"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	m := f.sent()[0]
	if cte := m.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding %q", cte)
	}
	if b := body(t, m); !strings.Contains(b, "bad =FF=FE bytes") || !strings.Contains(b, "Bcc: evil@x") {
		t.Errorf("body %q", b)
	}
}

func TestEmergencySubjectText(t *testing.T) {
	tests := []struct{ prefix, server, report, want string }{
		{"P", "S", "line\n", "P - S - line"},
		{"P", "S", "\x01\x02\n\n", "P - S"},
		{"P\r\nBcc: x", "S\n", "a\n", "P Bcc: x - S - a"},
		{"", "", "a", "a"},
	}
	for _, tt := range tests {
		if got := emergencySubject(tt.prefix, tt.server, tt.report); got != tt.want {
			t.Errorf("emergencySubject(%q, %q, %q) = %q, want %q", tt.prefix, tt.server, tt.report, got, tt.want)
		}
	}
}

func TestEmergencyBigReport(t *testing.T) {
	f := newEmergencyFixture(t)
	line := strings.Repeat("x", 99) + "\n"
	big := strings.Repeat(line, maxReport/len(line)+1000)
	r := f.run(big, "--queue-command", "/bin/echo 0", "--to", "a@example.org")
	if r.code != 0 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	if r.stdout != big {
		t.Errorf("echo: %d bytes, want all %d", len(r.stdout), len(big))
	}
	b := body(t, f.sent()[0])
	if len(b) > maxReport+1000 || !strings.Contains(b, "[mailscan: report cut: these are the first 10485760 of its "+strconv.Itoa(len(big))+" bytes") {
		t.Errorf("body: %d bytes, ends %q", len(b), b[max(0, len(b)-200):])
	}
}

func TestEmergencySettingsErrors(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		mode     os.FileMode
		queue    string
		wantErr  []string
	}{
		{"unknown key", "to = [\"a@example.org\"]\nrelays = 1\n", 0o600, "0", []string{"emergency.toml", `unknown key "relays"`}},
		{"unknown relay key", "[[relay]]\nhost = \"x\"\npasword = \"y\"\n", 0o600, "0", []string{"emergency.toml", `"relay.pasword"`}},
		{"syntax", "to = [\n", 0o600, "0", []string{"emergency.toml", "line"}},
		{"bad security", "[[relay]]\nhost = \"x\"\nsecurity = \"tls1.0\"\n", 0o600, "0", []string{"relay 1", `security "tls1.0"`}},
		{"bad timeout", "[[relay]]\nhost = \"x\"\ntimeout = \"30\"\n", 0o600, "0", []string{"relay 1", `timeout "30"`}},
		{"bad to", "to = [\"not an address\"]\n", 0o600, "0", []string{"emergency.toml", "to:"}},
		{"world-readable password", "[[relay]]\nhost = \"x\"\nusername = \"u\"\npassword = \"p\"\n", 0o644, "0", []string{"emergency.toml", "everyone may read it", "password_file"}},
		{"username without password", "[[relay]]\nhost = \"x\"\nusername = \"u\"\n", 0o600, "0", []string{"relay 1", "username without password_file"}},
		{"no relay when flooded", "to = [\"a@example.org\"]\n", 0o600, "5000", []string{"emergency.toml", "no [[relay]]"}},
		{"no recipients for a relay", "[[relay]]\nhost = \"127.0.0.1\"\n", 0o600, "5000", []string{"relay 1", "no recipients"}},
		{"missing when flooded", "", 0, "5000", []string{"missing.toml: missing", "[[relay]]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEmergencyFixture(t)
			if tt.mode == 0 {
				f.settings = filepath.Join(f.dir, "missing.toml")
			} else {
				f.writeSettings(tt.settings)
				if err := os.Chmod(f.settings, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			r := f.run(testReport, "--queue-command", "/bin/echo "+tt.queue, "--quiet", "3000")
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2", r.code)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
			// The alert still gets out, locally: to the settings' to
			// when they could be read, else to root.
			wantTo := "root@"
			if tt.name == "no relay when flooded" {
				wantTo = "a@example.org"
			}
			if msgs := f.sent(); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Header.Get("To"), wantTo) {
				t.Errorf("local fallback: %d messages", len(msgs))
			} else if !strings.Contains(r.stderr, "handed to the local sendmail") {
				t.Errorf("stderr %q does not say where the report went", r.stderr)
			}
		})
	}
}

func TestEmergencyUsage(t *testing.T) {
	f := newEmergencyFixture(t)
	for _, args := range [][]string{
		{"-5"}, {"many"}, {"1", "2"}, {"--to", "not an address"}, {"--cooldown", "-1h"},
		{"--queue-command", "  "}, {"--sendmail", "sendmail"},
	} {
		r := f.run(testReport, args...)
		if r.code != exitUsage || r.stderr == "" {
			t.Errorf("%q: exit %d %q, want 2", args, r.code, r.stderr)
		}
		if r.stdout != "" || len(f.sent()) != 0 {
			t.Errorf("%q: printed or sent something", args)
		}
	}
}

func TestEmergencyAuditUnavailable(t *testing.T) {
	f := newEmergencyFixture(t)
	f.audit = filepath.Join(f.sendmail, "actions.log") // under a file
	r := f.run(testReport, "--queue-command", "/bin/echo 0", "--quiet", "--to", "a@example.org")
	if r.code != 0 || !strings.Contains(r.stderr, "sending without an audit log") || len(f.sent()) != 1 {
		t.Errorf("exit %d %q, %d sent", r.code, r.stderr, len(f.sent()))
	}
}

// TestEmergencyRealPostfix sends through a real Postfix with SASL as the
// relay (postfixtest's smtpd has no TLS; credentials go in clear text to
// loopback only).
func TestEmergencyRealPostfix(t *testing.T) {
	env := postfixtest.Start(t, postfixtest.WithUsers(map[string]string{"alerts": "relay-pass"}))
	f := newEmergencyFixture(t)
	pass := filepath.Join(f.dir, "relay.pass")
	if err := os.WriteFile(pass, []byte("relay-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.writeSettings(`server_name = "mx1.example.test"
from = "root@example.test"
to = ["admin@example.org"]

[[relay]]
name = "postfix"
host = "127.0.0.1"
port = ` + strconv.Itoa(env.Port()) + `
security = "none"
username = "alerts"
password_file = "` + pass + `"
`)
	r := f.run(testReport, "--queue-command", "/bin/echo 5000", "--quiet", "3000")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	log, err := os.ReadFile(env.WaitLogged(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	// (Only smtpd's line: WaitLogged may return before qmgr logs the
	// envelope sender.)
	if !strings.Contains(string(log), "client=unknown[127.0.0.1], sasl_method=PLAIN, sasl_username=alerts") {
		t.Errorf("Postfix log:\n%s", log)
	}
	if len(f.sent()) != 0 {
		t.Error("the local sendmail was used")
	}
	if entries := f.auditEntries(); len(entries) != 1 || entries[0].Error != "" || !strings.Contains(entries[0].Detail, "relay 1 (postfix)") {
		t.Errorf("audit %+v", entries)
	}
}

func TestEmergencySettingsFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "emergency-full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "emergency.toml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := loadEmergencySettings(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.ServerName != "mx9.example.test" || s.Threshold == nil || *s.Threshold != 250 || s.From != "Alerts <alerts@example.test>" ||
		!slices.Equal(s.To, []string{"a@example.test", "b@example.test"}) || s.SubjectPrefix != "QUEUE ALARM" {
		t.Errorf("settings %+v", s)
	}
	want := []struct {
		name, addr string
		sec        string
		timeout    string
		user, pass string
		passFile   string
		to         []string
		ca         string
	}{
		{"relay1.example.test:25", "relay1.example.test:25", "starttls", "30s", "", "", "", nil, ""},
		{"submission", "relay2.example.test:465", "implicit", "1m30s", "u", "inline, allowed in a file only root can read", "", []string{"c@example.test"}, "/etc/ssl/private-ca.pem"},
		{"[2001:db8::25]:2525", "[2001:db8::25]:2525", "opportunistic", "30s", "v", "", "/etc/spamgear/v.pass", nil, ""},
		{"192.0.2.25:25", "192.0.2.25:25", "none", "30s", "", "", "", nil, ""},
	}
	if len(s.relays) != len(want) {
		t.Fatalf("%d relays, want %d", len(s.relays), len(want))
	}
	for i, w := range want {
		rl := s.relays[i]
		if rl.name != w.name || rl.smtp.Addr != w.addr || rl.smtp.Security.String() != w.sec || rl.smtp.Timeout.String() != w.timeout ||
			rl.smtp.Username != w.user || rl.smtp.Password != w.pass || rl.passwordFile != w.passFile || !slices.Equal(rl.to, w.to) || rl.caFile != w.ca {
			t.Errorf("relay %d: %+v, want %+v", i+1, rl, w)
		}
	}
	// The same file readable by everyone holds a password: refused.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadEmergencySettings(path); err == nil || !strings.Contains(err.Error(), "everyone may read it") {
		t.Errorf("world-readable: %v", err)
	}
	// The documented example is valid.
	example := filepath.Join("..", "..", "docs", "emergency.toml.example")
	if _, err := os.Stat(example); err != nil {
		t.Skipf("no docs example: %v", err)
	}
	s, err = loadEmergencySettings(example)
	if err != nil || len(s.relays) != 2 || s.relays[1].smtp.Security.String() != "implicit" {
		t.Errorf("docs example: %+v, %v", s, err)
	}
}
