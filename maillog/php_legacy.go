package maillog

import "strings"

// WrapperMail is the syslog message of spam-gear's sendmail wrapper for PHP
// before 5.3 (README of php-spam-legacy), written with
//
//	logger -p mail.info "sendmail-php url=${HTTP_HOST}${REQUEST_URI}, client=${REMOTE_ADDR}, filename=${SCRIPT_FILENAME}, uid=${UID}, user=$(whoami), args=$*"
//
// Any value may be empty. Strings are substrings of the parsed message.
type WrapperMail struct {
	URL      string // host and request URI, without a scheme
	Client   string // REMOTE_ADDR, unparsed
	Filename string // SCRIPT_FILENAME
	UID      string // decimal UID of the PHP process, unparsed
	User     string // its login name
	Args     string // the wrapper's arguments (mail()'s fifth parameter); the rest of the line
}

// ParseWrapperMail parses the message part of a sendmail-php wrapper line
// (what follows the syslog tag). It returns ok=false for other messages.
//
// Values run to the next ", key=" of the fixed key order. The URL has no
// spaces (a request line cannot), the client is an address and the user a
// login, so those end at the first match; the file name may contain
// anything and ends at the first ", uid=" followed by digits and ", user=";
// args, also caller-controlled, is everything after ", args=".
func ParseWrapperMail(msg string) (r WrapperMail, ok bool) {
	const pre = "sendmail-php url="
	if !strings.HasPrefix(msg, pre) {
		return WrapperMail{}, false
	}
	rest := msg[len(pre):]
	var found bool
	if r.URL, rest, found = strings.Cut(rest, ", client="); !found {
		return WrapperMail{}, false
	}
	if r.Client, rest, found = strings.Cut(rest, ", filename="); !found {
		return WrapperMail{}, false
	}
	const uid, user = ", uid=", ", user="
	for off := 0; ; {
		k := strings.Index(rest[off:], uid)
		if k < 0 {
			return WrapperMail{}, false
		}
		k += off
		v := rest[k+len(uid):]
		n := countLeadingDigits(v)
		if strings.HasPrefix(v[n:], user) {
			r.Filename, r.UID, rest = rest[:k], v[:n], v[n+len(user):]
			break
		}
		off = k + 1
	}
	if r.User, r.Args, found = strings.Cut(rest, ", args="); !found {
		return WrapperMail{}, false
	}
	return r, true
}
