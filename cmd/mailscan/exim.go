package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/maillog"
	"github.com/spamgear/spamgear/tally"
)

type eximOptions struct {
	period    string
	max       int
	overrides string
}

const eximLong = `exim counts the messages Exim accepted in the last PERIOD (mainlog "<=" lines)
three ways: per local user (U= on P=local submissions, e.g. PHP's mail()), per
sending SMTP host (by the IP in H=... [IP], never by the HELO text), and per
authenticated id (A=authenticator:id), and reports those at or over MAX.`

func newEximCommand(e *env, co *commonOptions) *cobra.Command {
	o := &eximOptions{}
	cmd := &cobra.Command{
		Use:     "exim [-p PERIOD] [-m MAX]",
		Short:   "Local users, hosts and authenticated ids sending too much through Exim",
		Long:    eximLong,
		Example: "  mailscan exim\n  mailscan exim -p 2hours -m 300 --log /var/log/exim4/mainlog",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExim(cmd.Context(), e, co, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.period, "period", "p", "1hour", "look at the last `PERIOD`")
	fs.IntVarP(&o.max, "max", "m", 90, "report senders with at least `MAX` messages")
	fs.StringVar(&o.overrides, "overrides", "", "per-sender thresholds `FILE` (\"NAME MAX\" lines)")
	return cmd
}

func runExim(ctx context.Context, e *env, co *commonOptions, o *eximOptions) error {
	now, since, err := co.window(o.period)
	if err != nil {
		return err
	}
	limit, err := thresholds(o.max, o.overrides)
	if err != nil {
		return err
	}
	local, hosts, auths := tally.New(), tally.New(), tally.New()
	if _, err := co.read(ctx, e, "exim", since, now, func(l *maillog.Line) {
		a, ok := maillog.ParseEximArrival(l.Msg)
		if !ok {
			return
		}
		h := tally.Hit{N: l.Repeat, IP: a.HostIP, Raw: l.Raw, Time: l.Time}
		if a.LocalUser != "" && a.Protocol == "local" {
			h.Name = a.LocalUser
			local.Add(h)
		}
		if a.HostIP.IsValid() {
			h.Name = a.HostIP.Unmap().String()
			hosts.Add(h)
		}
		if a.AuthID != "" {
			h.Name = a.AuthID
			auths.Add(h)
		}
	}); err != nil {
		return err
	}
	collect := func(t *tally.Table, kind string) []finding {
		var fs []finding
		for _, en := range t.Over(limit) {
			fs = append(fs, newFinding("exim", kind, en, limit(en.Name)))
		}
		return fs
	}
	when := fmt.Sprintf("%d or more messages through Exim in the last %s (since %s)", o.max, o.period, since.Format(time.DateTime))
	secs := []section{
		{"Local users that sent " + when + ":", collect(local, "local_user")},
		{"Hosts that sent " + when + ":", collect(hosts, "host")},
		{"Authenticated ids that sent " + when + ":", collect(auths, "auth_id")},
	}
	if err := co.write(e.stdout, secs...); err != nil {
		return err
	}
	return co.found(len(secs[0].findings) + len(secs[1].findings) + len(secs[2].findings))
}
