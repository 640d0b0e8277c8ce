package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/maillog"
	"github.com/spamgear/spamgear/tally"
)

// postfixOptions are `mailscan postfix`'s options (spam-gear's letters).
type postfixOptions struct {
	period    string
	max       int
	disable   string // "MAX_NETS,MAX_UNKNOWNS"
	nisMaster string
	webmail   []string
	overrides string
	dis       disableOptions
}

const postfixLong = `postfix counts, per SASL user, the messages that Postfix's smtpd accepted
in the last PERIOD (lines "client=NAME[IP], sasl_method=..., sasl_username=USER"),
with the distinct client addresses, networks (IPv4 /24, IPv6 /64), clients
without reverse DNS (unknown[IP]) and messages from the webmail addresses given
with -w, and reports the users at or over MAX with the first log line:

  COUNT (N nets/N unknowns/N IPs/N webmail) -- FIRST LOG LINE [DISABLED]

Nothing is printed when nobody is over MAX.

With -d MAX_NETS,MAX_UNKNOWNS, a user over MAX whose networks exceed MAX_NETS
and whose unknown clients exceed MAX_UNKNOWNS is disabled (--disable-with,
default passwd -l; -n MASTER locks the user on the NIS master instead) and an
alert is mailed to --alert-to. A user already disabled is neither disabled nor
alerted again. Every disable goes to the audit log; --dry-run only says.`

const postfixExample = `  mailscan postfix                                   # last hour, 90 messages
  mailscan postfix -p 30minutes -m 200 -w 192.0.2.10,192.0.2.11
  mailscan postfix -p 1hour -m 90 -d 5,3 | mailscan emergency-mail 3000
  mailscan postfix -d 5,3 --disable-with postfix-sasl-access --dry-run`

func newPostfixCommand(e *env, co *commonOptions) *cobra.Command {
	o := &postfixOptions{}
	cmd := &cobra.Command{
		Use:     "postfix [-p PERIOD] [-m MAX] [-d MAX_NETS,MAX_UNKNOWNS] [-n [NIS_MASTER]] [-w IP,IP...]",
		Short:   "SASL users sending too much through Postfix",
		Long:    postfixLong,
		Example: postfixExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPostfix(cmd.Context(), e, co, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.period, "period", "p", "1hour", "look at the last `PERIOD` (1hour, 30minutes, 2days, or a Go duration such as 90m)")
	fs.IntVarP(&o.max, "max", "m", 90, "report users with at least `MAX` messages")
	fs.StringVarP(&o.disable, "disable", "d", "", "disable users over MAX with more than MAX_NETS networks and MAX_UNKNOWNS unknown clients (`MAX_NETS,MAX_UNKNOWNS`)")
	fs.StringVarP(&o.nisMaster, "nis", "n", "", "disable on the NIS master `HOST` (over ssh) instead of locally")
	fs.Lookup("nis").NoOptDefVal = "localhost"
	fs.StringSliceVarP(&o.webmail, "webmail", "w", nil, "`IP`s of the webmail servers (comma-separated): their messages are counted apart")
	fs.StringVar(&o.overrides, "overrides", defaultOverrides, "per-user thresholds `FILE`: \"USER MAX\" lines (spam-gear's postfix-spam-scan.overrides); used when it exists")
	o.dis.AddFlags(fs, e)
	return cmd
}

func runPostfix(ctx context.Context, e *env, co *commonOptions, o *postfixOptions) error {
	now, since, err := co.window(o.period)
	if err != nil {
		return err
	}
	webmail := map[netip.Addr]bool{}
	for _, s := range o.webmail {
		ip, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return usageErrorf("-w %q: not an IP address", s)
		}
		webmail[ip.Unmap()] = true
	}
	var maxNets, maxUnknowns int
	if o.disable != "" {
		a, b, ok := strings.Cut(o.disable, ",")
		var e1, e2 error
		maxNets, e1 = strconv.Atoi(strings.TrimSpace(a))
		maxUnknowns, e2 = strconv.Atoi(strings.TrimSpace(b))
		if !ok || e1 != nil || e2 != nil || maxNets < 0 || maxUnknowns < 0 {
			return usageErrorf("-d %q: want MAX_NETS,MAX_UNKNOWNS (two numbers)", o.disable)
		}
	}
	limit, err := thresholds(o.max, optionalFile(o.overrides, defaultOverrides))
	if err != nil {
		return err
	}
	var dis *disabler
	if o.disable != "" {
		if o.nisMaster != "" {
			o.dis.backend, o.dis.nisMaster = "nis", o.nisMaster
		}
		if dis, err = o.dis.open(e); err != nil {
			return err
		}
		defer dis.close()
	}

	// Each part of a big log is counted apart, on its own core, then merged.
	var (
		mu     sync.Mutex
		tables []*tally.Table
	)
	if _, err := co.readParallel(ctx, e, "postfix", since, now, runtime.GOMAXPROCS(0), func() func(*maillog.Line) {
		t := tally.New()
		mu.Lock()
		tables = append(tables, t)
		mu.Unlock()
		return func(l *maillog.Line) {
			if !maillog.IsPostfixSMTPD(l.Program) {
				return
			}
			s, ok := maillog.ParsePostfixSASL(l.Msg)
			if !ok {
				return
			}
			ip := s.ClientIP.Unmap()
			t.Add(tally.Hit{Name: s.User, N: l.Repeat, IP: ip, Unknown: s.ClientName == "unknown",
				Webmail: webmail[ip], Raw: l.Raw, Time: l.Time})
		}
	}, "sasl_username=", "last message repeated"); err != nil {
		return err
	}
	users := tables[0]
	for _, t := range tables[1:] {
		users.Merge(t)
	}

	var fs []finding
	for _, u := range users.Over(limit) {
		f := newFinding("postfix", "sasl_user", u, limit(u.Name))
		if dis != nil && u.Nets() > maxNets && u.Unknowns() > maxUnknowns {
			dis.disable(ctx, &f, fmt.Sprintf("%d messages in the last %s from %d networks, %d unknown clients, %d addresses",
				u.Messages, o.period, u.Nets(), u.Unknowns(), u.IPs()))
		}
		fs = append(fs, f)
	}
	// spam-gear's header sentence, word for word.
	header := fmt.Sprintf("During the last %s the following senders have made at least %d SMTP connections.\n",
		spacedPeriod(o.period), o.max)
	if err := co.write(e.stdout, section{header: header, findings: fs}); err != nil {
		return err
	}
	if dis != nil {
		dis.alert(ctx, "Postfix SASL", fs)
	}
	return co.found(len(fs))
}

// defaultOverrides is read when it exists.
const defaultOverrides = "/etc/spamgear/postfix-spam-scan.overrides"

// optionalFile is path, or "" when path is the default and does not exist.
func optionalFile(path, def string) string {
	if path == def {
		if _, err := os.Stat(path); err != nil {
			return ""
		}
	}
	return path
}

// spacedPeriod writes "1hour" as spam-gear did: "1 hour".
func spacedPeriod(p string) string {
	i := 0
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		i++
	}
	if i == 0 || i == len(p) || p[i] == ' ' {
		return p
	}
	return p[:i] + " " + p[i:]
}
