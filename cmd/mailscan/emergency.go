package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spamgear/spamgear/mailqueue"
	"github.com/spamgear/spamgear/remediate"
	"github.com/spamgear/spamgear/remediate/mailer"
)

// Defaults of emergency-mail.
const (
	defaultEmergencySettings = "/etc/spamgear/emergency.toml"
	defaultEmergencyState    = "/var/lib/spamgear/emergency-mail.state"
	defaultThreshold         = 3000
	defaultSubjectPrefix     = "EMERGENCY MAIL ABUSE REPORT"
	defaultRelayTimeout      = 30 * time.Second
	// maxReport bounds the report kept for the mail; all of stdin is
	// still echoed.
	maxReport = 10 << 20
	// maxSubjectText bounds, in characters, the report line and the
	// server name in the subject.
	maxSubjectText = 120
	// maxStateEntries bounds the cooldown state file.
	maxStateEntries = 1000
)

// exitNotSent is emergency-mail's exit status when no relay took the
// report.
const exitNotSent = 1

// emergencyOptions are `mailscan emergency-mail`'s options.
type emergencyOptions struct {
	settings string
	sendmail string
	queueCmd string
	to       []string
	quiet    bool
	cooldown time.Duration
	state    string
	auditLog string
	relayCA  string
}

const emergencyLong = `emergency-mail mails the report it reads on stdin (the output of mailscan
or shellscan) to the administrators, through outside relays when the local
mail queue is flooded: a queue full of spam would hold the alert too.

It counts the messages in the local queue (postqueue -j, else postqueue -p,
exim -bpc or mailq; or --queue-command). Over THRESHOLD (default: threshold
in the settings, else 3000), the report goes to the [[relay]] servers of the
settings file, tried in order until one takes it; at or under THRESHOLD, to
the local MTA (--sendmail PATH -t -i). A queue that cannot be counted is
taken as flooded, and said so on stderr. THRESHOLD counts messages:
spam-gear counted the lines of mailq (about three per message), so divide an
old threshold by three.

When every relay fails, the report is handed to the local sendmail anyway
and the exit status is 1, with every relay's error on stderr.

The report is echoed to stdout unchanged (--quiet: not), so that cron's own
mail still carries it. Empty or blank input sends nothing and prints nothing.
The subject is "SUBJECT_PREFIX - SERVER_NAME - FIRST REPORT LINE". Reports
over 10 MiB are cut, with a note, in the mail. With --cooldown, a report
identical to one sent within that time is not sent again (-v says so); a
failed send does not count. Every send, through a relay or locally, sent or
not, is appended to the audit log.

The settings file (TOML, default ` + defaultEmergencySettings + `; see
docs/emergency.toml.example) holds server_name, threshold, from, to,
subject_prefix and the [[relay]] tables (host, port, security, username,
password_file, timeout, to, ca_file). It may be missing while the queue is
under the threshold: the report then goes to root@<this host>, or --to.

Exit status: 0 sent, or nothing to send, or held back by --cooldown; 1 not
sent through any relay (even when the local sendmail took it) or not sent at
all; 2 usage or settings error (the report is still handed to the local
sendmail when it can be).`

const emergencyExample = `  mailscan postfix -p 1hour -m 90 | mailscan emergency-mail 3000
  find /home -mtime -1 -iname '*.php' | shellscan | mailscan emergency-mail 2000
  mailscan exim -m 200 | mailscan emergency-mail --cooldown 6h --quiet
  mailscan postfix | mailscan emergency-mail --queue-command "/usr/sbin/exim -bpc" --to noc@example.net`

func newEmergencyCommand(e *env, co *commonOptions) *cobra.Command {
	o := &emergencyOptions{}
	cmd := &cobra.Command{
		Use:     "emergency-mail [THRESHOLD] < REPORT",
		Short:   "Mail a report, through outside relays when the local mail queue is flooded",
		Long:    emergencyLong,
		Example: emergencyExample,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEmergency(cmd.Context(), e, co, o, args)
		},
	}
	o.AddFlags(cmd.Flags(), e)
	return cmd
}

// AddFlags registers emergency-mail's options.
func (o *emergencyOptions) AddFlags(fs *pflag.FlagSet, e *env) {
	fs.StringVar(&o.settings, "settings", defaultEmergencySettings, "read the relays, recipients and sender from `FILE` (TOML)")
	fs.StringVar(&o.sendmail, "sendmail", mailer.DefaultSendmailPath, "the local MTA's sendmail `PATH`, run as PATH -t -i")
	fs.StringVar(&o.queueCmd, "queue-command", "", "count the queue with `\"CMD ARG...\"` (split at spaces, no shell) printing a number or a postqueue -j/-p, mailq or exim -bp listing")
	fs.StringArrayVar(&o.to, "to", nil, "mail the report to `ADDRESS` (repeatable; overrides the settings' to)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "do not echo the report to stdout")
	fs.DurationVar(&o.cooldown, "cooldown", 0, "do not send a report identical to one sent within `DURATION` (e.g. 6h; 0: always send)")
	fs.StringVar(&o.state, "state", defaultEmergencyState, "remember sent reports for --cooldown in `FILE`")
	fs.StringVar(&o.auditLog, "audit-log", cmp.Or(e.auditLog, remediate.DefaultAuditLog), "append every send to `FILE` (JSON lines)")
	fs.StringVar(&o.relayCA, "relay-ca", "", "trust the CA certificates in `FILE` (PEM) for relays without a ca_file")
	_ = fs.MarkHidden("relay-ca")
}

// emergencyRun is one emergency-mail run's state.
type emergencyRun struct {
	e       *env
	o       *emergencyOptions
	verbose bool
	audit   *remediate.Audit
	from    string
	subject string
	body    string
	localTo []string
	hash    string // of the trimmed report, hex
	queue   string // what the queue measure said, for the audit log
}

// warnf prints a warning on stderr.
func (r *emergencyRun) warnf(format string, args ...any) {
	fmt.Fprintf(r.e.stderr, "mailscan: emergency-mail: "+format+"\n", args...)
}

func runEmergency(ctx context.Context, e *env, co *commonOptions, o *emergencyOptions, args []string) error {
	threshold, queueCmd, err := o.validate(args)
	if err != nil {
		return err
	}
	var echo io.Writer
	if !o.quiet {
		echo = e.stdout
	}
	rep, err := readReport(e.stdin, echo, maxReport)
	if rep.echoErr != nil {
		fmt.Fprintf(e.stderr, "mailscan: emergency-mail: echoing the report: %v\n", rep.echoErr)
	}
	if !rep.nonBlank {
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("emergency-mail: reading the report: %w", err)}
		}
		return nil // nothing to report: cron runs this every hour
	}
	body := string(rep.data)
	if rep.truncated {
		body = strings.TrimRight(body, "\n") + fmt.Sprintf("\n\n[mailscan: report cut: these are the first %d of its %d bytes; all of it was echoed to stdout]\n", len(rep.data), rep.total)
	}
	if err != nil {
		body = strings.TrimRight(body, "\n") + fmt.Sprintf("\n\n[mailscan: report incomplete: %v]\n", err)
	}
	r := &emergencyRun{e: e, o: o, verbose: co.verbose, body: body}
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(rep.data))))
	r.hash = hex.EncodeToString(sum[:])

	// An identical report sent within --cooldown: nothing to do.
	var state *cooldownState
	if o.cooldown > 0 {
		if state, err = loadCooldown(o.state); err != nil {
			r.warnf("%v (--cooldown ignored this time)", err)
		}
		// (A time in the future, after the clock was set back, is
		// not trusted.)
		if last, ok := state.Sent[r.hash]; ok && time.Since(last) < o.cooldown && time.Since(last) > -time.Minute {
			if r.verbose {
				r.warnf("not sent: the same report was sent at %s, less than --cooldown %v ago", last.Format(time.RFC3339), o.cooldown)
			}
			return nil
		}
	}

	s, settingsErr := loadEmergencySettings(o.settings)
	if settingsErr != nil {
		s = &emergencySettings{path: o.settings}
	}
	if threshold < 0 {
		threshold = defaultThreshold
		if s.Threshold != nil {
			threshold = *s.Threshold
		}
	}
	flooded := r.measure(ctx, queueCmd, threshold)

	if a, err := remediate.OpenAudit(o.auditLog, "mailscan"); err != nil {
		r.warnf("warning: %v; sending without an audit log", err)
	} else {
		r.audit = a
		defer a.Close()
	}
	host := hostName()
	r.subject = emergencySubject(cmp.Or(s.SubjectPrefix, defaultSubjectPrefix), cmp.Or(s.ServerName, host), body)
	r.from = cmp.Or(s.From, "root@"+host)
	r.localTo = firstNonEmpty(o.to, s.To, []string{"root@" + host})

	if settingsErr == nil && flooded {
		settingsErr = s.checkRelays(len(o.to) > 0)
	}
	if settingsErr != nil {
		// The alert must get out: hand it to the local MTA anyway.
		if err := r.sendLocal(ctx); err != nil {
			r.warnf("the local sendmail failed too: %v", err)
		} else {
			r.warnf("the report was handed to the local sendmail for %s instead", strings.Join(r.localTo, ", "))
		}
		return &exitError{code: exitUsage, err: fmt.Errorf("emergency-mail: %w", settingsErr)}
	}
	if !flooded {
		if err := r.sendLocal(ctx); err != nil {
			return &exitError{code: exitNotSent, err: fmt.Errorf("emergency-mail: report not sent: %w", err)}
		}
		r.remember(state)
		return nil
	}
	if err := r.sendRelays(ctx, s); err != nil {
		return err
	}
	r.remember(state)
	return nil
}

// validate checks the options and returns THRESHOLD (-1 when not given)
// and the --queue-command words.
func (o *emergencyOptions) validate(args []string) (threshold int, queueCmd []string, err error) {
	threshold = -1
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 {
			return 0, nil, usageErrorf("THRESHOLD %q: want a number of messages, 0 or more", args[0])
		}
		threshold = n
	}
	if o.cooldown < 0 {
		return 0, nil, usageErrorf("--cooldown %v: must not be negative", o.cooldown)
	}
	for _, t := range o.to {
		if err := mailer.ValidAddress(t); err != nil {
			return 0, nil, usageErrorf("--to: %v", err)
		}
	}
	if o.queueCmd != "" {
		if queueCmd = strings.Fields(o.queueCmd); len(queueCmd) == 0 {
			return 0, nil, usageErrorf("--queue-command %q: no command", o.queueCmd)
		}
	}
	if !filepath.IsAbs(o.sendmail) {
		return 0, nil, usageErrorf("--sendmail %q: want an absolute path", o.sendmail)
	}
	return threshold, queueCmd, nil
}

// measure counts the local queue and reports whether it holds more than
// threshold messages. A queue that cannot be counted is flooded: the
// alert must get out.
func (r *emergencyRun) measure(ctx context.Context, queueCmd []string, threshold int) bool {
	var (
		n   int
		how string
		err error
	)
	if queueCmd != nil {
		how = strings.Join(queueCmd, " ")
		n, err = mailqueue.Size(ctx, queueCmd)
	} else {
		n, how, err = mailqueue.Detect(ctx)
	}
	if err != nil {
		r.warnf("cannot count the mail queue, taking it as flooded: %v", strings.ReplaceAll(err.Error(), "\n", "; "))
		r.queue = fmt.Sprintf("queue not counted (threshold %d)", threshold)
		return true
	}
	r.queue = fmt.Sprintf("queue %d (%s), threshold %d", n, how, threshold)
	if r.verbose {
		r.warnf("%d messages in the queue (%s), threshold %d", n, how, threshold)
	}
	return n > threshold
}

// checkRelays says why the settings cannot send through relays, if they
// cannot. toFlag is whether --to gives the recipients.
func (s *emergencySettings) checkRelays(toFlag bool) error {
	if s.missing {
		return fmt.Errorf("settings %s: missing, and the queue is over the threshold: the report must leave through a [[relay]] set there", s.path)
	}
	if len(s.relays) == 0 {
		return fmt.Errorf("settings %s: no [[relay]], and the queue is over the threshold: the report must leave through a relay", s.path)
	}
	for i, rl := range s.relays {
		if !toFlag && len(rl.to) == 0 && len(s.To) == 0 {
			return fmt.Errorf("settings %s: relay %d (%s): no recipients: set to, at the top or in the [[relay]]", s.path, i+1, rl.name)
		}
	}
	return nil
}

// sendLocal hands the report to the local sendmail.
func (r *emergencyRun) sendLocal(ctx context.Context) error {
	via := "local sendmail " + r.o.sendmail
	err := r.send(ctx, via, &mailer.Sendmail{Path: r.o.sendmail}, r.localTo)
	if err == nil && r.verbose {
		r.warnf("sent through the %s to %s", via, strings.Join(r.localTo, ", "))
	}
	return err
}

// sendRelays sends the report through the first relay that takes it. When
// none does, it lists their errors, hands the report to the local sendmail
// and returns an exit status 1.
func (r *emergencyRun) sendRelays(ctx context.Context, s *emergencySettings) error {
	var errs []string
	for i, rl := range s.relays {
		to := firstNonEmpty(r.o.to, rl.to, s.To)
		via := fmt.Sprintf("relay %d (%s)", i+1, rl.name)
		m, err := rl.mailer(r.o.relayCA)
		if err == nil {
			err = r.send(ctx, via, m, to)
		} else {
			r.log(via, to, err)
		}
		if err == nil {
			if r.verbose {
				r.warnf("sent through %s to %s", via, strings.Join(to, ", "))
			}
			if len(errs) > 0 {
				// Sent, but some relay is broken: say so (cron mails it).
				for _, e := range errs {
					r.warnf("%s", e)
				}
				r.warnf("sent through %s after the failures above", via)
			}
			return nil
		}
		errs = append(errs, fmt.Sprintf("%s: %v", via, err))
		if ctx.Err() != nil {
			break
		}
	}
	for _, e := range errs {
		r.warnf("%s", e)
	}
	if ctx.Err() != nil {
		return &exitError{code: exitInterrupted}
	}
	if err := r.sendLocal(ctx); err != nil {
		r.warnf("local sendmail %s: %v", r.o.sendmail, err)
		return &exitError{code: exitNotSent, err: errors.New("emergency-mail: the report was not sent: every relay and the local sendmail failed")}
	}
	return &exitError{code: exitNotSent, err: fmt.Errorf("emergency-mail: no relay took the report; it was handed to the local sendmail %s for %s instead, behind the flooded queue",
		r.o.sendmail, strings.Join(r.localTo, ", "))}
}

// send builds the message for to and sends it with m, and logs the
// attempt in the audit log.
func (r *emergencyRun) send(ctx context.Context, via string, m mailer.Mailer, to []string) error {
	data, err := mailer.Build(mailer.Header{From: r.from, To: to, Subject: r.subject}, r.body)
	if err == nil {
		err = m.Send(ctx, &mailer.Message{From: r.from, To: to, Data: data})
	}
	r.log(via, to, err)
	return err
}

// log appends one send to the audit log; a log that cannot be written is
// a warning.
func (r *emergencyRun) log(via string, to []string, err error) {
	entry := remediate.Entry{
		Action: "alert",
		Target: remediate.Path(strings.Join(to, ", ")),
		SHA256: r.hash,
		Detail: "emergency-mail via " + via + "; " + r.queue,
	}
	if err != nil {
		entry.Error = err.Error()
	}
	if lerr := r.audit.Log(entry); lerr != nil {
		r.warnf("warning: %v", lerr)
	}
}

// remember starts the cooldown of the report just sent.
func (r *emergencyRun) remember(state *cooldownState) {
	if r.o.cooldown <= 0 {
		return
	}
	if state == nil {
		state = &cooldownState{}
	}
	if err := state.save(r.o.state, r.hash, time.Now(), r.o.cooldown); err != nil {
		r.warnf("warning: %v (the next identical report will be sent again)", err)
	}
}

// firstNonEmpty returns the first list that is not empty.
func firstNonEmpty(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

// hostName is this host's name, or "localhost" when it is not a plain
// host name.
func hostName() string {
	if h, err := os.Hostname(); err == nil && mailer.ValidHostName(h) {
		return h
	}
	return "localhost"
}

// stdinReport is what readReport read.
type stdinReport struct {
	data      []byte // the first max bytes
	total     int64  // bytes read in all
	truncated bool   // more than max bytes
	nonBlank  bool   // some byte was not white space
	echoErr   error  // the first error writing the echo
}

// readReport reads all of r, copying it to echo (when not nil), and keeps
// its first max bytes. Leading white space is echoed only once something
// else follows, so that blank input prints nothing.
func readReport(r io.Reader, echo io.Writer, max int) (stdinReport, error) {
	var (
		rep     stdinReport
		pending []byte // leading white space not yet echoed
		buf     = make([]byte, 32<<10)
	)
	for {
		n, err := r.Read(buf)
		chunk := buf[:n]
		rep.total += int64(n)
		if room := max - len(rep.data); room > 0 {
			rep.data = append(rep.data, chunk[:min(room, n)]...)
		}
		switch {
		case rep.nonBlank:
			rep.echo(echo, chunk)
		case bytes.IndexFunc(chunk, func(r rune) bool { return !isSpaceRune(r) }) >= 0:
			rep.nonBlank = true
			rep.echo(echo, pending)
			rep.echo(echo, chunk)
			pending = nil
		case len(pending) < max:
			pending = append(pending, chunk...)
		}
		if err != nil {
			rep.truncated = int64(len(rep.data)) < rep.total
			if err == io.EOF {
				return rep, nil
			}
			return rep, err
		}
	}
}

// echo writes p to w (when not nil) until a write fails.
func (rep *stdinReport) echo(w io.Writer, p []byte) {
	if w == nil || rep.echoErr != nil || len(p) == 0 {
		return
	}
	if _, err := w.Write(p); err != nil {
		rep.echoErr = err
	}
}

func isSpaceRune(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// emergencySubject is "PREFIX - SERVER - FIRST REPORT LINE", every part
// made safe for a header.
func emergencySubject(prefix, server, report string) string {
	parts := []string{subjectText(prefix, maxSubjectText), subjectText(server, maxSubjectText)}
	for rest := report; rest != ""; {
		var line string
		if i := strings.IndexAny(rest, "\r\n"); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, ""
		}
		if t := subjectText(line, maxSubjectText); t != "" {
			parts = append(parts, t)
			break
		}
	}
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
	return strings.Join(parts, " - ")
}

// subjectText makes s fit for a header: invalid UTF-8 becomes U+FFFD,
// control characters spaces, runs of white space one space, and the result
// is cut to max characters.
func subjectText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}

// emergencySettings is the settings file.
type emergencySettings struct {
	ServerName    string          `toml:"server_name"`
	Threshold     *int            `toml:"threshold"`
	From          string          `toml:"from"`
	To            []string        `toml:"to"`
	SubjectPrefix string          `toml:"subject_prefix"`
	Relay         []relaySettings `toml:"relay"`

	path    string
	missing bool    // the file does not exist
	relays  []relay // Relay, checked
}

// relaySettings is one [[relay]] table.
type relaySettings struct {
	Name         string   `toml:"name"`
	Host         string   `toml:"host"`
	Port         int      `toml:"port"`
	Security     string   `toml:"security"`
	Username     string   `toml:"username"`
	Password     string   `toml:"password"`
	PasswordFile string   `toml:"password_file"`
	Timeout      string   `toml:"timeout"`
	To           []string `toml:"to"`
	CAFile       string   `toml:"ca_file"`
}

// relay is a checked [[relay]].
type relay struct {
	name         string
	smtp         mailer.SMTP // without a password from a file and CA
	passwordFile string
	caFile       string
	to           []string
}

// loadEmergencySettings reads and checks the settings file. A missing file
// is not an error: it gives empty settings with missing set.
func loadEmergencySettings(path string) (*emergencySettings, error) {
	s := &emergencySettings{path: path}
	if path == "" {
		s.missing = true
		return s, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		s.missing = true
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	md, err := toml.NewDecoder(f).Decode(s)
	if err != nil {
		return nil, fmt.Errorf("settings %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = strconv.Quote(k.String())
		}
		return nil, fmt.Errorf("settings %s: unknown key %s", path, strings.Join(keys, ", "))
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("settings %s: "+format, append([]any{path}, args...)...)
	}
	if s.Threshold != nil && *s.Threshold < 0 {
		return nil, bad("threshold %d: must not be negative", *s.Threshold)
	}
	if s.From != "" {
		if err := mailer.ValidAddress(s.From); err != nil {
			return nil, bad("from: %v", err)
		}
	}
	for _, t := range s.To {
		if err := mailer.ValidAddress(t); err != nil {
			return nil, bad("to: %v", err)
		}
	}
	inlinePassword := false
	for i, rs := range s.Relay {
		rl, err := rs.check()
		if err != nil {
			return nil, bad("relay %d: %v", i+1, err)
		}
		inlinePassword = inlinePassword || rs.Password != ""
		s.relays = append(s.relays, rl)
	}
	if inlinePassword && fi.Mode().Perm()&0o004 != 0 {
		return nil, bad("holds a password but everyone may read it (mode %04o): chmod o-r it, or use password_file", fi.Mode().Perm())
	}
	return s, nil
}

// check checks a [[relay]] table and fills in its defaults.
func (rs relaySettings) check() (relay, error) {
	if rs.Host == "" || strings.ContainsFunc(rs.Host, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '/' }) {
		return relay{}, fmt.Errorf("host %q: want a host name or IP address", rs.Host)
	}
	port := rs.Port
	if port == 0 {
		port = 25
	}
	if port < 1 || port > 65535 {
		return relay{}, fmt.Errorf("port %d: want 1 to 65535", rs.Port)
	}
	rl := relay{
		name:         rs.Name,
		passwordFile: rs.PasswordFile,
		caFile:       rs.CAFile,
		to:           rs.To,
	}
	rl.smtp.Addr = net.JoinHostPort(strings.Trim(rs.Host, "[]"), strconv.Itoa(port))
	if rl.name == "" {
		rl.name = rl.smtp.Addr
	}
	sec := rs.Security
	if sec == "" {
		sec = "starttls" // spam-gear's smtplib.starttls()
		if port == 465 {
			sec = "implicit"
		}
	}
	switch strings.ToLower(sec) {
	case "starttls":
		rl.smtp.Security = mailer.StartTLS
	case "implicit", "tls", "ssl":
		rl.smtp.Security = mailer.Implicit
	case "opportunistic":
		rl.smtp.Security = mailer.Opportunistic
	case "none":
		rl.smtp.Security = mailer.None
	default:
		return relay{}, fmt.Errorf("security %q: want starttls, implicit, opportunistic or none", rs.Security)
	}
	rl.smtp.Timeout = defaultRelayTimeout
	if rs.Timeout != "" {
		d, err := time.ParseDuration(rs.Timeout)
		if err != nil || d <= 0 {
			return relay{}, fmt.Errorf("timeout %q: want a positive duration such as 30s", rs.Timeout)
		}
		rl.smtp.Timeout = d
	}
	if rs.Password != "" && rs.PasswordFile != "" {
		return relay{}, errors.New("password and password_file: give one")
	}
	if (rs.Password != "" || rs.PasswordFile != "") && rs.Username == "" {
		return relay{}, errors.New("a password without a username")
	}
	if rs.Username != "" && rs.Password == "" && rs.PasswordFile == "" {
		return relay{}, errors.New("username without password_file")
	}
	rl.smtp.Username, rl.smtp.Password = rs.Username, rs.Password
	for _, t := range rs.To {
		if err := mailer.ValidAddress(t); err != nil {
			return relay{}, fmt.Errorf("to: %v", err)
		}
	}
	return rl, nil
}

// mailer returns the relay's mailer, with the password read from
// password_file and the CA from ca_file (else defaultCA, when set).
func (rl *relay) mailer(defaultCA string) (*mailer.SMTP, error) {
	m := rl.smtp
	if rl.passwordFile != "" {
		b, err := os.ReadFile(rl.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("password_file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		m.Password = strings.TrimSuffix(line, "\r")
	}
	if ca := cmp.Or(rl.caFile, defaultCA); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate", ca)
		}
		m.TLSConfig = &tls.Config{RootCAs: pool}
	}
	return &m, nil
}

// cooldownState is the --state file: when each report was last sent.
type cooldownState struct {
	// Sent maps the SHA-256 (hex) of a trimmed report to when it was
	// last sent.
	Sent map[string]time.Time `json:"sent"`
}

// loadCooldown reads the state file; a missing one is empty. It always
// returns a usable state.
func loadCooldown(path string) (*cooldownState, error) {
	st := &cooldownState{Sent: map[string]time.Time{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return &cooldownState{Sent: map[string]time.Time{}}, fmt.Errorf("state %s: %w", path, err)
	}
	if st.Sent == nil {
		st.Sent = map[string]time.Time{}
	}
	return st, nil
}

// save records that the report hash was sent at now, forgets reports sent
// longer than cooldown ago, and writes the state file atomically (a
// temporary file, mode 0600, renamed over it; the directory is created
// mode 0700).
func (st *cooldownState) save(path, hash string, now time.Time, cooldown time.Duration) error {
	if st.Sent == nil {
		st.Sent = map[string]time.Time{}
	}
	st.Sent[hash] = now
	for h, t := range st.Sent {
		if now.Sub(t) > cooldown {
			delete(st.Sent, h)
		}
	}
	if len(st.Sent) > maxStateEntries {
		hashes := slices.SortedFunc(func(yield func(string) bool) {
			for h := range st.Sent {
				if !yield(h) {
					return
				}
			}
		}, func(a, b string) int { return st.Sent[b].Compare(st.Sent[a]) })
		for _, h := range hashes[maxStateEntries:] {
			delete(st.Sent, h)
		}
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("state %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename: nothing
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("state %s: %w", path, err)
	}
	return nil
}
