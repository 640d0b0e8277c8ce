// Package maillog reads mail logs: syslog-style files (classic and RFC 3339
// timestamps), Exim's mainlog, PHP's mail.log, rotated copies (.1, .gz),
// within a time window, and parses the lines each mailscan subcommand
// counts. Parsers are hand-written scanners, not a regexp per line.
package maillog

import "time"

// Line is one log line, its timestamp resolved.
type Line struct {
	Time    time.Time
	Host    string // syslog host ("" when the format has none)
	Program string // syslog tag without the PID ("postfix/smtpd"); "" when none
	PID     int    // 0 when none
	Msg     string // the message after "program[pid]: " (or the whole line after the timestamp)
	Raw     string // the line as read, without its newline
	// Repeat is how many times the line counts: rsyslog's
	// "message repeated N times: [ MSG ]" gives N (and Msg is MSG); 1 otherwise.
	Repeat int
}
