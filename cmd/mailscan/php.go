package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/maillog"
	"github.com/spamgear/spamgear/report"
	"github.com/spamgear/spamgear/tally"
)

const phpLong = `php counts, per script, the mail() calls PHP logged in the last day
(mail.log lines "mail() on [/path/script.php:LINE]: To: ...", every format from
PHP 5.3 to 8.x, with or without the date prefix; mail() from eval()'d code
counts for the script that ran eval) and prints the scripts with at least
MAX_DAILY_MAILS calls (default 500), one path per line, for shellscan:

  mailscan php 500 | shellscan -q`

func newPHPCommand(e *env, co *commonOptions) *cobra.Command {
	period := "1day"
	cmd := &cobra.Command{
		Use:     "php [MAX_DAILY_MAILS]",
		Short:   "PHP scripts calling mail() too often (PHP's mail.log)",
		Long:    phpLong,
		Example: "  mailscan php 500 | shellscan -q\n  mailscan php --log /var/log/php/mail.log 200",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			max, err := intArg(args, 0, 500, "MAX_DAILY_MAILS")
			if err != nil {
				return err
			}
			return runScripts(cmd.Context(), e, co, "php", period, max, func(l *maillog.Line, t *tally.Table) {
				if m, ok := maillog.ParsePHPMail(l.Msg); ok {
					t.Add(tally.Hit{Name: m.Script, N: l.Repeat, Raw: l.Raw, Time: l.Time})
				}
			})
		},
	}
	cmd.Flags().StringVarP(&period, "period", "p", period, "look at the last `PERIOD`")
	return cmd
}

const phpLegacyLong = `php-legacy reads the syslog lines of spam-gear's sendmail wrapper
("sendmail-php url=..., client=..., filename=/path/script.php, uid=..., user=...,
args=...") in the last MINUTES (default 10) and prints the scripts that sent at
least MAX_MAILS messages (default 10), one path per line, for shellscan.`

func newPHPLegacyCommand(e *env, co *commonOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "php-legacy [MINUTES] [MAX_MAILS]",
		Short:   "PHP scripts sending too much through spam-gear's sendmail wrapper",
		Long:    phpLegacyLong,
		Example: "  mailscan php-legacy 10 10 | shellscan -q",
		Args:    cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			minutes, err := intArg(args, 0, 10, "MINUTES")
			if err != nil {
				return err
			}
			max, err := intArg(args, 1, 10, "MAX_MAILS")
			if err != nil {
				return err
			}
			return runScripts(cmd.Context(), e, co, "syslog-php-legacy", strconv.Itoa(minutes)+"minutes", max, func(l *maillog.Line, t *tally.Table) {
				if m, ok := maillog.ParseWrapperMail(l.Msg); ok && m.Filename != "" {
					t.Add(tally.Hit{Name: m.Filename, N: l.Repeat, Raw: l.Raw, Time: l.Time})
				}
			})
		},
	}
}

// intArg reads positional argument i as a positive number, def when absent.
func intArg(args []string, i, def int, name string) (int, error) {
	if i >= len(args) {
		return def, nil
	}
	n, err := strconv.Atoi(args[i])
	if err != nil || n < 1 {
		return 0, usageErrorf("%s %q: want a positive number", name, args[i])
	}
	return n, nil
}

// runScripts counts per script and prints the paths over max.
func runScripts(ctx context.Context, e *env, co *commonOptions, kind, period string, max int, add func(*maillog.Line, *tally.Table)) error {
	now, since, err := co.window(period)
	if err != nil {
		return err
	}
	scripts := tally.New()
	if _, err := co.read(ctx, e, kind, since, now, func(l *maillog.Line) { add(l, scripts) }); err != nil {
		return err
	}
	over := scripts.Over(func(string) int { return max })
	enc := json.NewEncoder(e.stdout)
	for _, s := range over {
		if co.format == "json" {
			f := newFinding(kind, "script", s, max)
			if err := enc.Encode(f); err != nil {
				return err
			}
			continue
		}
		// One path per line, for "| shellscan": a path that could not
		// be given to shellscan on a line of its own is escaped, and
		// says so on stderr.
		p := report.EscapePath(s.Name)
		if p != s.Name {
			fmt.Fprintf(e.stderr, "mailscan: script path with unusual bytes, escaped: %s (%d mails since %s)\n", p, s.Messages, since.Format(time.DateTime))
			continue
		}
		fmt.Fprintln(e.stdout, s.Name)
	}
	return co.found(len(over))
}
