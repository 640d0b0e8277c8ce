package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/maillog"
	"github.com/spamgear/spamgear/tally"
)

type webmailOptions struct {
	period    string
	max       int
	overrides string
}

func (o *webmailOptions) addFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVarP(&o.period, "period", "p", "1hour", "look at the last `PERIOD`")
	fs.IntVarP(&o.max, "max", "m", 90, "report users with at least `MAX` messages")
	fs.StringVar(&o.overrides, "overrides", "", "per-user thresholds `FILE` (\"USER MAX\" lines)")
}

func newRoundcubeCommand(e *env, co *commonOptions) *cobra.Command {
	o := &webmailOptions{}
	cmd := &cobra.Command{
		Use:   "roundcube [-p PERIOD] [-m MAX]",
		Short: "Webmail users sending too much through Roundcube",
		Long: `roundcube reads Roundcube's sendmail log (both the format before 1.4 and the
one after) and reports, per user, the messages, recipients and distinct client
addresses in the last PERIOD, for users at or over MAX messages.`,
		Example: "  mailscan roundcube --log /var/log/roundcube/sendmail -m 50",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWebmail(cmd.Context(), e, co, o, "roundcube", func(l *maillog.Line, t *tally.Table) {
				if s, ok := maillog.ParseRoundcubeSend(l.Msg); ok {
					t.Add(tally.Hit{Name: s.User, N: l.Repeat, IP: s.IP, Recipients: s.RecipientCount(), Raw: l.Raw, Time: l.Time})
				}
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newIMPCommand(e *env, co *commonOptions) *cobra.Command {
	o := &webmailOptions{}
	cmd := &cobra.Command{
		Use:   "imp [-p PERIOD] [-m MAX]",
		Short: "Webmail users sending too much through Horde IMP",
		Long: `imp reads Horde IMP's "Message sent to ... from USER (IP)" log lines and
reports, per user, the messages, recipients and distinct client addresses in
the last PERIOD, for users at or over MAX messages.`,
		Example: "  mailscan imp --log /var/log/horde/horde.log",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWebmail(cmd.Context(), e, co, o, "imp", func(l *maillog.Line, t *tally.Table) {
				if s, ok := maillog.ParseIMPSend(l.Msg); ok {
					t.Add(tally.Hit{Name: s.User, N: l.Repeat, IP: s.IP, Recipients: s.RecipientCount(), Raw: l.Raw, Time: l.Time})
				}
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}

func runWebmail(ctx context.Context, e *env, co *commonOptions, o *webmailOptions, kind string, add func(*maillog.Line, *tally.Table)) error {
	now, since, err := co.window(o.period)
	if err != nil {
		return err
	}
	limit, err := thresholds(o.max, o.overrides)
	if err != nil {
		return err
	}
	users := tally.New()
	if _, err := co.read(ctx, e, kind, since, now, func(l *maillog.Line) { add(l, users) }); err != nil {
		return err
	}
	var fs []finding
	for _, u := range users.Over(limit) {
		fs = append(fs, newFinding(kind, "webmail_user", u, limit(u.Name)))
	}
	header := fmt.Sprintf("Webmail (%s) users that sent %d or more messages in the last %s (since %s):", kind, o.max, o.period, since.Format(time.DateTime))
	if err := co.write(e.stdout, section{header: header, findings: fs}); err != nil {
		return err
	}
	return co.found(len(fs))
}
