package maillog

import (
	"net/netip"
	"strings"
	"time"
)

// RoundcubeSend is a line of Roundcube's "sendmail" log (smtp_log = true),
// written by rcube::deliver_message / rcmail_sendmail after a message was
// accepted by the SMTP server:
//
//	User alice [192.0.2.1]; Message for a@b.c, c@d.e; 250: 2.0.0 Ok: queued as ABC                 before 1.4
//	<8charsid> User alice [192.0.2.1]; Message <id@host> for a@b.c, c@d.e; 250: 2.0.0 Ok: ...      1.4+
//
// The "<sessid> " prefix is log_session_id (1.1+, when a session exists).
// In the log file the line follows "[04-Dec-2014 22:56:50 +0100]: "
// (see ParseRoundcubeTime); with log_driver = syslog it is the message.
// Strings are substrings of the parsed message.
type RoundcubeSend struct {
	SessionID string     // the first log_session_id characters of the PHP session ID; "" when absent
	User      string     // the IMAP login (never empty)
	RawIP     string     // the client address as logged (REMOTE_ADDR, or the proxied client)
	IP        netip.Addr // RawIP parsed; zero when it is not an address
	MessageID string     // "<...@...>" (1.4+); "" when not logged
	To        string     // recipients (envelope, addresses only) as logged, ", "-separated
	Response  string     // the SMTP server's replies as logged, "; "-separated
}

// Recipients splits To into addresses (see RecipientCount).
func (r RoundcubeSend) Recipients() []string { return splitRecipientList(r.To) }

// RecipientCount counts the addresses in To without allocating.
func (r RoundcubeSend) RecipientCount() int { return countRecipientList(r.To) }

// ParseRoundcubeSend parses a sendmail-log message, after the date prefix. It
// returns ok=false for other lines (other Roundcube logs share the format).
//
// The user ends at the last " [" before the first "]; Message "; the
// recipients end at the first "; " that is followed by an SMTP reply code
// (three digits) or ends the line, so a "; " inside a quoted local part
// does not cut the list short.
func ParseRoundcubeSend(msg string) (r RoundcubeSend, ok bool) {
	s := msg
	if len(s) > 0 && s[0] == '<' {
		k := strings.Index(s, "> ")
		if k < 0 {
			return RoundcubeSend{}, false
		}
		r.SessionID, s = s[1:k], s[k+2:]
	}
	const user, mark = "User ", "]; Message "
	if !strings.HasPrefix(s, user) {
		return RoundcubeSend{}, false
	}
	s = s[len(user):]
	m := strings.Index(s, mark)
	if m < 0 {
		return RoundcubeSend{}, false
	}
	lb := strings.LastIndex(s[:m], " [")
	if lb <= 0 {
		return RoundcubeSend{}, false
	}
	r.User, r.RawIP = s[:lb], s[lb+2:m]
	r.IP, _ = parseLoggedIP(r.RawIP)
	s = s[m+len(mark):]
	switch {
	case strings.HasPrefix(s, "for "): // before 1.4
		s = s[len("for "):]
	case strings.HasPrefix(s, " for "): // 1.4+ with an empty Message-ID
		s = s[len(" for "):]
	default:
		sp := strings.IndexByte(s, ' ')
		if sp <= 0 || !strings.HasPrefix(s[sp:], " for ") {
			return RoundcubeSend{}, false
		}
		r.MessageID, s = s[:sp], s[sp+len(" for "):]
	}
	r.To, r.Response = s, ""
	for off := 0; ; {
		k := strings.Index(s[off:], "; ")
		if k < 0 {
			break
		}
		k += off
		t := s[k+2:]
		if t == "" || len(t) >= 3 && countLeadingDigits(t[:3]) == 3 {
			r.To, r.Response = s[:k], t
			break
		}
		off = k + 2
	}
	if strings.HasSuffix(r.To, ";") && r.Response == "" { // "for a@b.c;" when the reply list was empty and trailing space trimmed
		r.To = r.To[:len(r.To)-1]
	}
	return r, true
}

// ParseRoundcubeTime parses the date Roundcube's file logs start with,
// "[04-Dec-2014 22:56:50 +0100]: " (PHP date "d-M-Y H:i:s O", the default
// log_date_format; fractional seconds "22:56:50.123456" are accepted too),
// and returns the instant in UTC and the rest of the line.
func ParseRoundcubeTime(line string) (t time.Time, rest string, ok bool) {
	// "[dd-Mon-yyyy HH:MM:SS +zzzz]: " at fixed offsets:
	//  0123456789012345678901234567890
	const minLen = len("[04-Dec-2014 22:56:50 +0100]:")
	if len(line) < minLen || line[0] != '[' || line[3] != '-' || line[7] != '-' || line[12] != ' ' ||
		line[15] != ':' || line[18] != ':' {
		return time.Time{}, "", false
	}
	day, ok1 := rcTwoDigits(line[1:3])
	year, ok2 := parseDecimalInt64(line[8:12])
	hour, ok3 := rcTwoDigits(line[13:15])
	minute, ok4 := rcTwoDigits(line[16:18])
	sec, ok5 := rcTwoDigits(line[19:21])
	month := monthOf(line[4:7])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || month == 0 ||
		day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, "", false
	}
	p := 21
	nsec := 0
	if line[p] == '.' {
		n := countLeadingDigits(line[p+1:])
		if n == 0 || n > 9 {
			return time.Time{}, "", false
		}
		f, _ := parseDecimalInt64(line[p+1 : p+1+n])
		for i := n; i < 9; i++ {
			f *= 10
		}
		nsec = int(f)
		p += 1 + n
	}
	// " +zzzz]:" then " " or the end of the line.
	if len(line) < p+len(" +0100]:") || line[p] != ' ' || line[p+1] != '+' && line[p+1] != '-' ||
		line[p+6] != ']' || line[p+7] != ':' {
		return time.Time{}, "", false
	}
	zh, okh := rcTwoDigits(line[p+2 : p+4])
	zm, okm := rcTwoDigits(line[p+4 : p+6])
	if !okh || !okm || zh > 23 || zm > 59 {
		return time.Time{}, "", false
	}
	offset := time.Duration(zh)*time.Hour + time.Duration(zm)*time.Minute
	if line[p+1] == '-' {
		offset = -offset
	}
	rest = line[p+8:]
	if rest != "" {
		if rest[0] != ' ' {
			return time.Time{}, "", false
		}
		rest = rest[1:]
	}
	t = time.Date(int(year), month, day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 31-Feb and the like
		return time.Time{}, "", false
	}
	return t.Add(-offset), rest, true
}

// rcTwoDigits parses exactly two ASCII digits.
func rcTwoDigits(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// IMPSend is Horde IMP's record of a sent message, logged through Horde's
// logger at INFO level with the application tag and the caller's location:
//
//	[imp] Message sent to a@b.c, d@e.f from alice (192.0.2.1) [pid 1234 on line 1101 of "/var/www/horde/imp/lib/Compose.php"]   IMP 6 (Horde 5)
//	[imp] 192.0.2.1 Message sent to a@b.c from alice [pid 1234 on line 2012 of "/var/www/horde/imp/lib/Compose.php"]              IMP 4/5 (Horde 3/4)
//	[imp] 192.0.2.1 Redirected message sent to a@b.c from alice [pid ...]                                                          IMP 4/5 redirect
//
// In syslog the message follows "HORDE: " or "HORDE[pid]: "; in horde.log a
// date and "INFO: HORDE " precede it (an optional conf[log][ident] may too).
// Strings are substrings of the parsed message.
type IMPSend struct {
	Redirect bool       // a message redirected (bounced) rather than composed
	To       string     // recipients as Horde_Mail_Rfc822_List prints them, ", "-separated, display names possible
	User     string     // the Horde login (never empty)
	RawIP    string     // the client address as logged
	IP       netip.Addr // RawIP parsed; zero when it is not an address (IMP 6 logs "()" without one)
}

// Recipients splits To into addresses (see RecipientCount).
func (r IMPSend) Recipients() []string { return splitRecipientList(r.To) }

// RecipientCount counts the addresses in To without allocating.
func (r IMPSend) RecipientCount() int { return countRecipientList(r.To) }

// ParseIMPSend finds an IMP "Message sent to" record in a log message (it
// must carry the "[imp] " tag) and parses it; ok=false for anything else.
//
// Recipients may carry display names, so the user is taken after the last
// " from ", and in IMP 6 the address from the last " (...)".
func ParseIMPSend(msg string) (r IMPSend, ok bool) {
	const tag = "[imp] "
	k := strings.Index(msg, tag)
	if k < 0 {
		return IMPSend{}, false
	}
	s := msg[k+len(tag):]
	if p := strings.LastIndex(s, " [pid "); p >= 0 && strings.HasSuffix(s, `"]`) {
		t := s[p+len(" [pid "):]
		if n := countLeadingDigits(t); n > 0 && strings.HasPrefix(t[n:], " on line ") {
			s = s[:p]
		}
	}
	const sent, redirected = "Message sent to ", "Redirected message sent to "
	oldStyle := false
	switch {
	case strings.HasPrefix(s, sent):
		s = s[len(sent):]
	case strings.HasPrefix(s, redirected):
		r.Redirect, s = true, s[len(redirected):]
	default: // "IP Message sent to ..."
		sp := strings.IndexByte(s, ' ')
		if sp <= 0 {
			return IMPSend{}, false
		}
		r.RawIP, oldStyle = s[:sp], true
		switch t := s[sp+1:]; {
		case strings.HasPrefix(t, sent):
			s = t[len(sent):]
		case strings.HasPrefix(t, redirected):
			r.Redirect, s = true, t[len(redirected):]
		default:
			return IMPSend{}, false
		}
	}
	if !oldStyle {
		lp := strings.LastIndex(s, " (")
		if lp < 0 || !strings.HasSuffix(s, ")") {
			return IMPSend{}, false
		}
		r.RawIP, s = s[lp+2:len(s)-1], s[:lp]
	}
	f := strings.LastIndex(s, " from ")
	if f < 0 {
		return IMPSend{}, false
	}
	r.To, r.User = s[:f], s[f+len(" from "):]
	if r.User == "" {
		return IMPSend{}, false
	}
	r.IP, _ = parseLoggedIP(r.RawIP)
	return r, true
}

// splitRecipientList splits a logged recipient list on commas outside
// double quotes and angle brackets, trimming the spaces around each item
// and dropping empty ones. The items are substrings of s.
func splitRecipientList(s string) []string {
	var out []string
	forEachRecipient(s, func(a string) { out = append(out, a) })
	return out
}

// countRecipientList counts the items splitRecipientList returns.
func countRecipientList(s string) int {
	n := 0
	forEachRecipient(s, func(string) { n++ })
	return n
}

// forEachRecipient calls f with each item of a recipient list.
func forEachRecipient(s string, f func(string)) {
	emit := func(a string) {
		if a = strings.Trim(a, " \t"); a != "" {
			f(a)
		}
	}
	quoted, angle, start := false, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted:
			if c == '\\' {
				i++
			} else if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == '<':
			angle++
		case c == '>':
			if angle > 0 {
				angle--
			}
		case c == ',' && angle == 0:
			emit(s[start:i])
			start = i + 1
		}
	}
	emit(s[start:])
}
