package maillog

import (
	"net/netip"
	"strings"
)

// EximArrival is an Exim mainlog "<=" line: a message was received and
// queued (receive.c). After the timestamp (and the optional "[PID]") it reads
//
//	ID <= SENDER [R=ref] [DS] H=HOST [I=[ip]:port] [U=ident] P=PROTO ... [X=..] [A=AUTH:ID] ... S=SIZE [id=..] [T="subject"] [for ...]
//
// Strings are substrings of the parsed text.
type EximArrival struct {
	ID            string     // "1XwBXa-0001Hc-Ik", or "1rFzhE-00000000Ab5-0aMK" (Exim 4.97+)
	Sender        string     // envelope sender as logged; "<>" for bounces
	LocalUser     string     // U=: the calling login for local submissions (RFC 1413 ident for remote ones)
	Protocol      string     // P=: "local", "esmtpsa", ...
	HostIP        netip.Addr // the [ip] of H=; zero when the line has no (parsable) H=
	HostName      string     // H='s verified host name; "" when none
	Helo          string     // H='s "(helo)"; "" when none
	Authenticator string     // A='s driver name ("dovecot_plain"); "" when not authenticated
	AuthID        string     // A='s id after the first ":" (may itself hold ":")
	Size          int64      // S=; -1 when absent or malformed
}

// ParseEximArrival parses the text of an Exim mainlog line after its
// timestamp (the caller strips "2014-12-04 22:56:50 [+0100]"; a leading
// "[PID] " is skipped here). It returns ok=false for every line that is not
// a message arrival ("<="), including "(=" fake-rejects.
//
// Several fields are written by the client, so the line is read
// defensively:
//   - Only the fields up to S= are read: the message-id header, subject and
//     recipients after it could imitate fields.
//   - A quoted sender ("a b"@x) and quoted values (DN="..", SNI="..") are
//     skipped as units; the host address comes from H='s structure
//     ("name (helo) [ip]:port"), so a HELO that is itself an address literal
//     ("([10.0.0.1]) [192.0.2.1]") is not taken for it.
//   - Exim writes H=, U=, P=, the TLS fields and A= in that order: a field
//     seen after a later one, or a second time, is ignored, so a peer
//     certificate name or SNI (logged unescaped with +tls_peerdn, +tls_sni)
//     cannot set U= or P=.
//   - A= counts only when P= names an authenticated protocol (esmtpa,
//     esmtpsa, local-esmtpa, utf8esmtpsa, ...), which Exim sets on successful
//     AUTH, so an unauthenticated client cannot pose as an account through
//     those TLS fields.
//
// What remains possible: a client that authenticated as one account can
// make a forged A= for another precede the real one when +tls_sni or
// +tls_peerdn is logged, and a HELO accepted through helo_accept_junk_hosts
// can forge every field after H=. Neither happens with Exim's defaults.
func ParseEximArrival(s string) (r EximArrival, ok bool) {
	if len(s) > 0 && s[0] == '[' { // log_selector = +pid
		n := countLeadingDigits(s[1:])
		if n == 0 || len(s) < n+3 || s[1+n] != ']' || s[2+n] != ' ' {
			return EximArrival{}, false
		}
		s = s[n+3:]
	}
	sp := strings.IndexByte(s, ' ')
	if sp < 0 || !isEximID(s[:sp]) || !strings.HasPrefix(s[sp:], " <= ") {
		return EximArrival{}, false
	}
	r.ID = s[:sp]
	s = s[sp+len(" <= "):]
	end := eximValueEnd(s, true)
	if end == 0 {
		return EximArrival{}, false
	}
	r.Sender, s = s[:end], s[end:]
	r.Size = -1

	// stage is the last group of fields seen, in Exim's order.
	const (
		stageNone = iota
		stageHost // H=, I=
		stageIdent
		stageProto
		stageTLS // X=, CV=, DN=, SNI=
		stageAuth
	)
	stage := stageNone
	for len(s) > 0 {
		if s[0] == ' ' {
			s = s[1:]
			continue
		}
		k := 0
		for k < len(s) && s[k] != ' ' && s[k] != '=' {
			k++
		}
		if k == len(s) || s[k] == ' ' { // a flag such as DS, K, L, PRDR, TFO
			if s[:k] == "for" || s[:k] == "from" {
				return r, true
			}
			s = s[k:]
			continue
		}
		key, v := s[:k], s[k+1:]
		switch key {
		case "S":
			n := countLeadingDigits(v)
			if size, ok := parseDecimalInt64(v[:n]); ok && (n == len(v) || v[n] == ' ') {
				r.Size = size
			}
			return r, true
		case "id", "T":
			return r, true
		case "H":
			n, name, helo, ip := parseEximHost(v)
			if stage < stageHost {
				r.HostName, r.Helo, r.HostIP = name, helo, ip
			}
			stage = max(stage, stageHost)
			s = v[n:]
		case "A":
			n := eximAuthEnd(v)
			if stage < stageAuth && eximAuthenticatedProtocol(r.Protocol) {
				a := v[:n]
				if c := strings.IndexByte(a, ':'); c >= 0 {
					r.Authenticator, r.AuthID = a[:c], a[c+1:]
				} else {
					r.Authenticator = a
				}
			}
			stage = max(stage, stageAuth)
			s = v[n:]
		default:
			n := eximValueEnd(v, false)
			switch key {
			case "I":
				stage = max(stage, stageHost)
			case "U":
				if stage < stageIdent {
					r.LocalUser = v[:n]
				}
				stage = max(stage, stageIdent)
			case "P":
				if stage < stageProto {
					r.Protocol = v[:n]
				}
				stage = max(stage, stageProto)
			case "X", "CV", "DN", "SNI":
				stage = max(stage, stageTLS)
			}
			s = v[n:]
		}
	}
	return r, true
}

// eximAuthenticatedProtocol reports whether an Exim received_protocol says
// the client authenticated: smtp_in.c names those with a final "a" ("esmtpa",
// "esmtpsa", "local-esmtpa", "utf8esmtpsa").
func eximAuthenticatedProtocol(p string) bool {
	return len(p) > 1 && p[len(p)-1] == 'a' && strings.Contains(p, "smtp")
}

// isEximID reports whether s is an Exim message ID: base-62 groups of 6-6-2
// characters, or 6-11-4 since Exim 4.97.
func isEximID(s string) bool {
	var dash2 int
	switch len(s) {
	case 16:
		dash2 = 13
	case 23:
		dash2 = 18
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		if i == 6 || i == dash2 {
			if s[i] != '-' {
				return false
			}
		} else if !isASCIIAlnumByte(s[i]) {
			return false
		}
	}
	return true
}

// eximValueEnd returns where the value at the start of v ends: at the next
// space, after first skipping a double-quoted prefix. With escapes (quoted
// local parts such as "a\"b c"@example.com) a backslash escapes the next
// byte; without (DN="..", SNI="..", which Exim writes with string_printing
// and does not escape) the quote ends at the first '"' followed by a space
// or the end. An unterminated quote is not special.
func eximValueEnd(v string, escapes bool) int {
	i := 0
	if len(v) > 0 && v[0] == '"' {
		for j := 1; j < len(v); j++ {
			if escapes && v[j] == '\\' {
				j++
				continue
			}
			if v[j] == '"' && (escapes || j+1 == len(v) || v[j+1] == ' ') {
				i = j + 1
				break
			}
		}
	}
	if k := strings.IndexByte(v[i:], ' '); k >= 0 {
		return i + k
	}
	return len(v)
}

// eximAuthEnd returns where the value of A= ends. The authenticated id may
// hold spaces, so it runs to the first space followed by one of the items
// Exim logs between A= and S= (PRDR, PRX=, K, S=), or else to the first space.
func eximAuthEnd(v string) int {
	first := -1
	for off := 0; off < len(v); {
		k := strings.IndexByte(v[off:], ' ')
		if k < 0 {
			break
		}
		k += off
		if first < 0 {
			first = k
		}
		t := v[k+1:]
		if len(t) > 2 && t[0] == 'S' && t[1] == '=' && '0' <= t[2] && t[2] <= '9' ||
			strings.HasPrefix(t, "PRDR") || strings.HasPrefix(t, "PRX=") ||
			t == "K" || strings.HasPrefix(t, "K ") {
			return k
		}
		off = k + 1
	}
	if first >= 0 {
		return first
	}
	return len(v)
}

// parseEximHost parses the value of H=, which host.c builds as "[ip]",
// "name [ip]", "(helo) [ip]" or "name (helo) [ip]", the address followed by
// ":port" (or ".port" inside the brackets before Exim 4.50) when
// incoming_port is logged. It returns how much of v it used; when the value
// does not have that shape it uses up to the next space and returns a zero
// address.
func parseEximHost(v string) (n int, name, helo string, ip netip.Addr) {
	p := 0
	if len(v) > 0 && v[0] != '[' && v[0] != '(' {
		sp := strings.IndexByte(v, ' ')
		if sp <= 0 {
			return len(v), "", "", netip.Addr{}
		}
		name, p = v[:sp], sp+1
	}
	switch {
	case p < len(v) && v[p] == '[':
		if m, a, ok := parseEximBracket(v[p:]); ok {
			return p + m, name, "", a
		}
	case p < len(v) && v[p] == '(':
		// The HELO name is the client's: take the first ") [ip]" after it
		// that is a well-formed address ending the value.
		for off := p + 1; off < len(v); {
			k := strings.Index(v[off:], ") [")
			if k < 0 {
				break
			}
			k += off
			if m, a, ok := parseEximBracket(v[k+2:]); ok {
				return k + 2 + m, name, v[p+1 : k], a
			}
			off = k + 1
		}
	}
	if sp := strings.IndexByte(v, ' '); sp >= 0 {
		return sp, "", "", netip.Addr{}
	}
	return len(v), "", "", netip.Addr{}
}

// parseEximBracket parses "[ip]", "[ip]:port" or "[ip.port]" at the start of
// s, which must be followed by a space or the end of s.
func parseEximBracket(s string) (n int, ip netip.Addr, ok bool) {
	if len(s) < 3 || s[0] != '[' {
		return 0, netip.Addr{}, false
	}
	rb := strings.IndexByte(s, ']')
	if rb < 0 {
		return 0, netip.Addr{}, false
	}
	n = rb + 1
	if n < len(s) && s[n] == ':' {
		d := countLeadingDigits(s[n+1:])
		if d == 0 {
			return 0, netip.Addr{}, false
		}
		n += 1 + d
	}
	if n < len(s) && s[n] != ' ' {
		return 0, netip.Addr{}, false
	}
	inner := s[1:rb]
	if ip, ok = parseLoggedIP(inner); ok {
		return n, ip, true
	}
	if dot := strings.LastIndexByte(inner, '.'); dot > 0 && dot+1 < len(inner) && countLeadingDigits(inner[dot+1:]) == len(inner)-dot-1 {
		if ip, ok = parseLoggedIP(inner[:dot]); ok {
			return n, ip, true
		}
	}
	return 0, netip.Addr{}, false
}
