// Package mailflags holds the command-line options that choose how spamgear
// sends mail (sendmail or SMTP), shared by shellscan and mailscan.
package mailflags

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/spamgear/spamgear/remediate/mailer"
)

// Options choose how mail is sent.
type Options struct {
	Domain       string
	from         string
	sendmail     string
	smtp         string
	smtpSecurity string
	smtpUser     string
	smtpPassFile string
}

// AddFlags registers the mail options.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Domain, "mail-domain", "", "users are mailed at USER@`DOMAIN` (default: this host's domain)")
	fs.StringVar(&o.from, "mail-from", "", "sender `ADDRESS` of notifications (default root@<this host's name>)")
	fs.StringVar(&o.sendmail, "sendmail", mailer.DefaultSendmailPath, "send mail by running `PATH` -t -i")
	fs.StringVar(&o.smtp, "smtp", "", "send mail through the SMTP server `HOST:PORT` instead of sendmail")
	fs.StringVar(&o.smtpSecurity, "smtp-security", "opportunistic", "SMTP encryption: `MODE` opportunistic (STARTTLS when offered), starttls (required), implicit (TLS, port 465) or none")
	fs.StringVar(&o.smtpUser, "smtp-user", "", "authenticate to the SMTP server as `USER` (over TLS or loopback only)")
	fs.StringVar(&o.smtpPassFile, "smtp-password-file", "", "read the SMTP password from `FILE` (first line), never from the command line")
}

// Mailer makes the configured mailer.
func (o *Options) Mailer() (mailer.Mailer, error) {
	if o.smtp == "" {
		if o.smtpUser != "" || o.smtpPassFile != "" {
			return nil, fmt.Errorf("--smtp-user and --smtp-password-file need --smtp HOST:PORT")
		}
		return &mailer.Sendmail{Path: o.sendmail}, nil
	}
	s := &mailer.SMTP{Addr: o.smtp, Username: o.smtpUser}
	switch strings.ToLower(o.smtpSecurity) {
	case "opportunistic", "":
		s.Security = mailer.Opportunistic
	case "starttls":
		s.Security = mailer.StartTLS
	case "implicit", "tls", "ssl":
		s.Security = mailer.Implicit
	case "none":
		s.Security = mailer.None
	default:
		return nil, fmt.Errorf("--smtp-security %q: want opportunistic, starttls, implicit or none", o.smtpSecurity)
	}
	if o.smtpPassFile != "" {
		b, err := os.ReadFile(o.smtpPassFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-password-file: %w", err)
		}
		s.Password, _, _ = strings.Cut(string(b), "\n")
		s.Password = strings.TrimSuffix(s.Password, "\r")
	}
	return s, nil
}

// Sender is the From address of notifications.
func (o *Options) Sender() (string, error) {
	from := o.from
	if from == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "localhost"
		}
		from = "root@" + host
	}
	if err := mailer.ValidAddress(from); err != nil {
		return "", fmt.Errorf("--mail-from %q: %v", from, err)
	}
	return from, nil
}
