package maillog

import (
	"net/netip"
	"strings"
)

// SASLLogin is what Postfix's smtpd logs when it accepts the MAIL FROM of a
// SASL-authenticated client (smtpd_sasl_proto.c, smtpd_sasl_mail_log):
//
//	QUEUEID: client=NAME[ADDR], sasl_method=PLAIN, sasl_username=USER
//
// optionally with ":PORT" after "]" (smtpd_client_port_logging) and
// ", sasl_sender=", ", orig_queue_id=", ", orig_client=" after the user.
// Strings are substrings of the parsed message.
type SASLLogin struct {
	QueueID    string     // "3F2A81C0A2B", a long queue ID, or "NOQUEUE" (proxy mode)
	ClientName string     // verified reverse name, or "unknown"
	ClientIP   netip.Addr // always valid; IPv4-mapped IPv6 is unmapped
	Method     string     // "PLAIN", "LOGIN", ...; "" when the record has none
	User       string     // sasl_username as logged (never empty): validate before use
}

// IsPostfixSMTPD reports whether a syslog program name (without PID) is a
// Postfix SMTP server: "postfix/smtpd", "postfix/submission/smtpd",
// "postfix/smtps/smtpd" or another instance's "postfix-out/smtpd".
func IsPostfixSMTPD(program string) bool {
	return strings.HasPrefix(program, "postfix") && strings.HasSuffix(program, "/smtpd")
}

// The record's field names, in the order smtpd writes them.
const (
	postfixClient  = ": client="
	postfixMethod  = ", sasl_method="
	postfixUser    = ", sasl_username="
	postfixSender  = "sasl_sender="
	postfixOrigQID = "orig_queue_id="
	postfixOrigCli = "orig_client="
)

// ParsePostfixSASL parses the message part of a Postfix smtpd log line (after
// "postfix/smtpd[PID]: ") that records a SASL-authenticated submission. It
// returns ok=false for every other message, including "client=" records
// without sasl_username and clients whose address is not an IP ("unknown").
//
// The client name comes before "[" (Postfix only logs valid host names
// there) and the address is everything up to the next "]". The user name
// ends at the first ", sasl_sender=", ", orig_queue_id=" or ", orig_client="
// that follows it, or at the end of the message: the authenticated name
// belongs to a real account, while the AUTH= sender after it is whatever the
// client sent, so a hostile sender cannot change the user.
func ParsePostfixSASL(msg string) (r SASLLogin, ok bool) {
	i := 0
	for i < len(msg) && isASCIIAlnumByte(msg[i]) {
		i++
	}
	if i == 0 || !strings.HasPrefix(msg[i:], postfixClient) {
		return SASLLogin{}, false
	}
	qid := msg[:i]
	rest := msg[i+len(postfixClient):]

	lb := strings.IndexByte(rest, '[')
	if lb < 0 {
		return SASLLogin{}, false
	}
	name := rest[:lb]
	rest = rest[lb+1:]
	rb := strings.IndexByte(rest, ']')
	if rb < 0 {
		return SASLLogin{}, false
	}
	ip, ok := parseLoggedIP(rest[:rb])
	if !ok {
		return SASLLogin{}, false
	}
	rest = rest[rb+1:]
	if len(rest) > 0 && rest[0] == ':' { // smtpd_client_port_logging = yes
		n := countLeadingDigits(rest[1:])
		if n == 0 {
			return SASLLogin{}, false
		}
		rest = rest[1+n:]
	}

	var method string
	if strings.HasPrefix(rest, postfixMethod) {
		rest = rest[len(postfixMethod):]
		k := strings.Index(rest, postfixUser)
		if k < 0 {
			return SASLLogin{}, false
		}
		method, rest = rest[:k], rest[k:]
	}
	if !strings.HasPrefix(rest, postfixUser) {
		return SASLLogin{}, false
	}
	rest = rest[len(postfixUser):]
	user := rest[:postfixUserEnd(rest)]
	if user == "" {
		return SASLLogin{}, false
	}
	return SASLLogin{QueueID: qid, ClientName: name, ClientIP: ip, Method: method, User: user}, true
}

// postfixUserEnd returns where the sasl_username value in s ends: at the
// first ", " that starts one of the fields smtpd logs after it.
func postfixUserEnd(s string) int {
	for off := 0; ; {
		k := strings.Index(s[off:], ", ")
		if k < 0 {
			return len(s)
		}
		k += off
		t := s[k+2:]
		if strings.HasPrefix(t, postfixSender) || strings.HasPrefix(t, postfixOrigQID) || strings.HasPrefix(t, postfixOrigCli) {
			return k
		}
		off = k + 2
	}
}

// Network returns the network a client address is counted in when many
// addresses act together: the /24 of an IPv4 address, the /64 of an IPv6
// one (the usual size of one customer's allocation). IPv4-mapped IPv6
// addresses count as IPv4 and zones are dropped. The zero Addr gives the
// zero Prefix.
func Network(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap().WithZone("")
	bits := 64
	switch {
	case ip.Is4():
		bits = 24
	case !ip.Is6():
		return netip.Prefix{}
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// parseLoggedIP parses an address as mail software logs it between
// brackets: IPv4, IPv6 (optionally with an "IPv6:" prefix or a zone).
// IPv4-mapped IPv6 addresses are unmapped so that one host has one key.
func parseLoggedIP(s string) (netip.Addr, bool) {
	if len(s) > 5 && (s[0] == 'I' || s[0] == 'i') && strings.EqualFold(s[:5], "IPv6:") {
		s = s[5:]
	}
	if s == "" || len(s) > 80 { // longest IPv6 text is 45 bytes; leave room for a zone
		return netip.Addr{}, false
	}
	if ip, ok := parseDottedQuad(s); ok {
		return ip, true
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// parseDottedQuad parses the common case of parseLoggedIP quickly: four
// decimal octets ("192.0.2.1") as netip.ParseAddr reads them (no leading
// zeros). ok is false for anything else, which ParseAddr then judges.
func parseDottedQuad(s string) (ip netip.Addr, ok bool) {
	var b [4]byte
	f, v, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			if digits == 1 && v == 0 { // a leading zero
				return netip.Addr{}, false
			}
			v = v*10 + int(c-'0')
			digits++
			if v > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && digits > 0 && f < 3:
			b[f] = byte(v)
			f, v, digits = f+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if f != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	b[3] = byte(v)
	return netip.AddrFrom4(b), true
}

// isASCIIAlnumByte reports whether c is an ASCII letter or digit.
func isASCIIAlnumByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// countLeadingDigits returns how many ASCII digits s starts with.
func countLeadingDigits(s string) int {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// parseDecimalInt64 parses s, which must be 1 to 18 ASCII digits (so it
// cannot overflow).
func parseDecimalInt64(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
