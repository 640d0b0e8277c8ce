package maillog

import (
	"strings"
	"time"
)

// ParseLine parses one log line (without its newline) in any form
// TimeParser knows. tp resolves the timestamp; nil means a fresh
// TimeParser (relative to time.Now(), in time.Local).
//
// For the syslog forms (FormatSyslog, FormatRFC3339) it fills Host, then
// Program and PID from a tag "prog[pid]: " or "prog: " (a line with no tag
// keeps Program "" and the rest in Msg). rsyslog's repeated-message
// reduction writes
//
//	Dec  4 19:48:08 host postfix/smtpd[123]: message repeated 3 times: [ client=...]
//
// (the original tag stays, its message is wrapped): Repeat is then 3 and
// Msg the message inside the brackets. A tagless "host message repeated 3
// times: [ prog[pid]: msg]" takes Program and PID from inside the brackets.
// For FormatExim, Msg is the rest of the line, after an optional "[pid] "
// (log_selector +pid) which fills PID. For FormatPHP, Msg is the rest.
//
// ok is false for a line with no recognised timestamp, or a syslog
// timestamp not followed by a host; Raw, Msg (the whole line), Repeat (1)
// and Time (zero if no timestamp was recognised) are still set then. The Line's strings are substrings of raw.
func ParseLine(raw string, tp *TimeParser) (Line, bool) {
	if tp == nil {
		tp = new(TimeParser)
	}
	t, rest, f := tp.Parse(raw)
	var l Line
	ok := fillLine(&l, raw, t, rest, f)
	return l, ok
}

// fillLine sets l from raw whose timestamp Parse already read.
func fillLine(l *Line, raw string, t time.Time, rest string, f Format) bool {
	*l = Line{Time: t, Raw: raw, Msg: rest, Repeat: 1}
	switch f {
	case FormatNone:
		return false
	case FormatExim:
		if pid, n := bracketPID(rest); n > 0 && n < len(rest) && rest[n] == ' ' {
			l.PID, l.Msg = pid, rest[n+1:]
		}
		return true
	case FormatPHP:
		return true
	}
	host, msg, _ := strings.Cut(rest, " ")
	if host == "" {
		l.Msg = raw
		return false
	}
	l.Host, l.Msg = host, msg
	if prog, pid, m, ok := splitTag(msg); ok {
		l.Program, l.PID, l.Msg = prog, pid, m
	}
	if n, inner, ok := repeated(l.Msg); ok {
		l.Repeat, l.Msg = n, inner
		if l.Program == "" {
			if prog, pid, m, ok := splitTag(inner); ok {
				l.Program, l.PID, l.Msg = prog, pid, m
			}
		}
	}
	return true
}

// splitTag splits "prog[pid]: msg" or "prog: msg": the tag is the first
// word, ending with a colon followed by a space or the end of the line.
func splitTag(s string) (prog string, pid int, msg string, ok bool) {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c == ' ' {
			return "", 0, "", false
		} else if c == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			break
		}
	}
	if i == 0 || i == len(s) {
		return "", 0, "", false
	}
	tag := s[:i]
	msg = ""
	if i+2 <= len(s) {
		msg = s[i+2:]
	}
	if tag[len(tag)-1] == ']' {
		if j := strings.LastIndexByte(tag, '['); j >= 0 {
			p, n := bracketPID(tag[j:])
			if n == len(tag)-j {
				pid = p
			}
			tag = tag[:j]
		}
	}
	return tag, pid, msg, true
}

// bracketPID reads "[digits]" at the start of s: the number (0 if it does
// not fit in 9 digits) and the length read, 0 if s does not start so.
func bracketPID(s string) (pid, n int) {
	if len(s) < 3 || s[0] != '[' {
		return 0, 0
	}
	i := 1
	for i < len(s) && isDigit(s[i]) {
		if i <= 9 {
			pid = pid*10 + int(s[i]-'0')
		}
		i++
	}
	if i == 1 || i >= len(s) || s[i] != ']' {
		return 0, 0
	}
	if i > 10 {
		pid = 0
	}
	return pid, i + 1
}

const (
	repeatedPrefix = "message repeated "
	repeatedInfix  = " times: ["
)

// repeated recognises rsyslog's "message repeated N times: [ MSG]",
// returning N and MSG (one leading space and the closing bracket removed).
func repeated(msg string) (n int, inner string, ok bool) {
	if !strings.HasPrefix(msg, repeatedPrefix) {
		return 0, "", false
	}
	s := msg[len(repeatedPrefix):]
	n, i := leadingNumber(s)
	if i == 0 || n < 1 || !strings.HasPrefix(s[i:], repeatedInfix) {
		return 0, "", false
	}
	inner = s[i+len(repeatedInfix):]
	inner = strings.TrimSuffix(inner, "]")
	inner = strings.TrimPrefix(inner, " ")
	return n, inner, true
}

// lastRepeated recognises sysklogd's (and old rsyslog's) "last message
// repeated N times", which repeats the line before it.
func lastRepeated(msg string) (int, bool) {
	const prefix, suffix = "last message repeated ", " times"
	if !strings.HasPrefix(msg, prefix) {
		return 0, false
	}
	s := msg[len(prefix):]
	n, i := leadingNumber(s)
	if i == 0 || n < 1 || s[i:] != suffix {
		return 0, false
	}
	return n, true
}

// leadingNumber reads up to 9 digits at the start of s; i is how many
// (0: none, or too many).
func leadingNumber(s string) (n, i int) {
	for i < len(s) && isDigit(s[i]) {
		if i == 9 {
			return 0, 0
		}
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, i
}
