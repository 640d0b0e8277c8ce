package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/spamgear/spamgear/internal/mailflags"
	"github.com/spamgear/spamgear/remediate"
	"github.com/spamgear/spamgear/remediate/disable"
	"github.com/spamgear/spamgear/remediate/mailer"
	"github.com/spamgear/spamgear/remediate/notify"
	"github.com/spamgear/spamgear/report"
)

// defaultAuditLog is where disables are logged unless --audit-log says.
const defaultAuditLog = remediate.DefaultAuditLog

// disableOptions choose how -d disables accounts and who hears of it.
type disableOptions struct {
	backend     string
	nisMaster   string
	saslMap     string
	saslMapType string
	dovecotDeny string
	command     string
	checkCmd    string
	dryRun      bool
	auditLog    string
	alertTo     string
	mail        mailflags.Options
}

// AddFlags registers the disable options.
func (o *disableOptions) AddFlags(fs *pflag.FlagSet, e *env) {
	fs.StringVar(&o.backend, "disable-with", "passwd", "how -d disables an account: `BACKEND` passwd (passwd -l), nis (-n), postfix-sasl-access, dovecot-deny or command")
	fs.StringVar(&o.saslMap, "sasl-access-map", disable.DefaultSASLAccessMap, "check_sasl_access map `FILE` for --disable-with postfix-sasl-access (postmap is run on it)")
	fs.StringVar(&o.saslMapType, "sasl-access-map-type", "", "map `TYPE` for postmap (hash, lmdb...; default: Postfix's default_database_type)")
	fs.StringVar(&o.dovecotDeny, "dovecot-deny-file", disable.DefaultDovecotDenyFile, "deny passdb `FILE` for --disable-with dovecot-deny (then doveadm kick)")
	fs.StringVar(&o.command, "disable-command", "", "`PROGRAM` run with the user as its last argument for --disable-with command (exit 0: disabled)")
	fs.StringVar(&o.checkCmd, "disable-check-command", "", "`PROGRAM` telling whether a user is disabled already (exit 0: yes, 1: no)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "say whom -d would disable, change nothing, mail nothing")
	fs.StringVar(&o.auditLog, "audit-log", cmp.Or(e.auditLog, defaultAuditLog), "append every disable to `FILE` (JSON lines)")
	fs.StringVar(&o.alertTo, "alert-to", "", "mail disable alerts to `ADDRESS` (default root@<this host's domain>)")
	o.mail.AddFlags(fs)
}

// disabler disables accounts for one run.
type disabler struct {
	o      *disableOptions
	d      disable.Disabler
	audit  *remediate.Audit
	mail   mailer.Mailer
	e      *env
	events []string // alert lines
}

// open checks the options and opens the backend and the audit log.
func (o *disableOptions) open(e *env) (*disabler, error) {
	var (
		d   disable.Disabler
		err error
	)
	switch o.backend {
	case "passwd":
		d, err = disable.NewPasswd(disable.PasswdOptions{})
	case "nis":
		d, err = disable.NewNIS(disable.NISOptions{Master: cmp.Or(o.nisMaster, "localhost")})
	case "postfix-sasl-access":
		d, err = disable.NewPostfix(disable.PostfixOptions{MapFile: o.saslMap, MapType: o.saslMapType})
	case "dovecot-deny":
		d, err = disable.NewDovecot(disable.DovecotOptions{DenyFile: o.dovecotDeny})
	case "command":
		if o.command == "" {
			return nil, usageErrorf("--disable-with command needs --disable-command PROGRAM")
		}
		d, err = disable.NewCommand(disable.CommandOptions{Program: o.command, Check: o.checkCmd})
	default:
		return nil, usageErrorf("--disable-with %q: want passwd, nis, postfix-sasl-access, dovecot-deny or command", o.backend)
	}
	if err != nil {
		return nil, usageErrorf("--disable-with %s: %v", o.backend, err)
	}
	dis := &disabler{o: o, d: d, e: e}
	if !o.dryRun {
		if dis.audit, err = remediate.OpenAudit(o.auditLog, "mailscan"); err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("%w (disables must be logged: choose a file with --audit-log)", err)}
		}
		if dis.mail, err = o.mail.Mailer(); err != nil {
			return nil, usageErrorf("%v", err)
		}
	}
	return dis, nil
}

func (dis *disabler) close() { _ = dis.audit.Close() }

// disable disables f's user (once: one already disabled is left alone and
// not alerted again) and marks the finding.
func (dis *disabler) disable(ctx context.Context, f *finding, why string) {
	res, err := disable.Run(ctx, dis.d, f.Name, dis.audit, dis.o.dryRun)
	switch {
	case err != nil:
		f.DisableError = err.Error()
		fmt.Fprintf(dis.e.stderr, "mailscan: could not disable %s: %s\n", report.EscapePath(f.Name), report.EscapePath(err.Error()))
		// Names and lines from the log are escaped: a \r in them must not
		// make a line of its own in root's mail.
		dis.events = append(dis.events, fmt.Sprintf("FAILED to disable %s (%s): %s", report.EscapePath(f.Name), why, report.EscapePath(err.Error())))
	case res.Already:
		f.AlreadyDisabled = true
	case res.DryRun:
		fmt.Fprintf(dis.e.stderr, "mailscan: dry run: would disable %s: %s\n", report.EscapePath(f.Name), report.EscapePath(res.Detail))
	case res.Disabled:
		f.Disabled = true
		dis.events = append(dis.events, fmt.Sprintf("disabled %s with %s: %s\n  first line: %s", report.EscapePath(f.Name), dis.d.Name(), why, report.EscapePath(f.First)))
	}
}

// alert mails root about what was disabled (or failed to be), apart from
// the report, so that it is not missed. A mail that cannot be sent is a
// warning.
func (dis *disabler) alert(ctx context.Context, what string, fs []finding) {
	if len(dis.events) == 0 || dis.mail == nil {
		return
	}
	host, _ := os.Hostname()
	domain := cmp.Or(dis.o.mail.Domain, notify.HostDomain())
	to := cmp.Or(dis.o.alertTo, "root@"+domain)
	from, err := dis.o.mail.Sender()
	if err != nil {
		from = "root@" + domain
	}
	body := fmt.Sprintf("mailscan on %s disabled %s accounts that were sending spam:\n\n%s\n\nReport:\n",
		host, what, strings.Join(dis.events, "\n"))
	for _, f := range fs {
		body += f.textLine() + "\n"
	}
	data, err := mailer.Build(mailer.Header{From: from, To: []string{to},
		Subject: "SPAMMER DETECTED AT " + host + " [USER DISABLED]"}, body)
	if err == nil {
		err = dis.mail.Send(ctx, &mailer.Message{From: from, To: []string{to}, Data: data})
	}
	entry := remediate.Entry{Action: "alert", Target: remediate.Path(to), Detail: fmt.Sprintf("%d disable event(s)", len(dis.events))}
	if err != nil {
		entry.Error = err.Error()
		fmt.Fprintf(dis.e.stderr, "mailscan: disable alert to %s not sent: %v\n", to, err)
	}
	_ = dis.audit.Log(entry)
}
