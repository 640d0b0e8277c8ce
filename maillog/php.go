package maillog

import "strings"

// PHPMail is one line of PHP's mail.log (ext/standard/mail.c, php_mail()):
//
//	mail() on [/home/u/public_html/x.php:12]: To: a@b.c -- Headers: From: ...                      PHP 5.3–5.6
//	mail() on [/home/u/public_html/x.php:12]: To: a@b.c -- Headers: From: ... -- Subject: Hello   PHP 7.0+
//
// Code run by eval() and friends shows as
// "/home/u/x.php(12) : eval()'d code:1". Strings are substrings of the
// parsed text.
type PHPMail struct {
	Script string // the PHP file that called mail(), without eval()/create_function() wrappers
	Line   int    // the line in Script: for eval'd code, the line of the outermost eval()
	Eval   bool   // mail() ran in eval()'d, create_function(), assert() or preg /e code
	To     string // the To argument as logged (control characters already spaces)
}

// Compiled-string descriptions PHP appends as "FILE(LINE) : DESC"
// (zend_make_compiled_string_description).
var phpDynamicCode = [...]string{"eval()'d code", "runtime-created function", "assert code", "regexp code"}

// ParsePHPMail parses a mail.log line. The "[04-Dec-2014 22:56:50 Europe/Madrid] "
// date that PHP writes to files may be left on: it is skipped, as is any
// "[...] " prefix (PHP 5's mail.log = syslog sent the date too). It returns
// ok=false for lines that are not mail() records.
//
// Script paths may hold ":", "]" and spaces, so the script ends at the first
// "]: To: " that directly follows ":LINE"; a path that itself contains
// ":DIGITS]: To: " is cut there. To ends at the first " -- Headers: ", or at
// the end of a line that syslog truncated.
func ParsePHPMail(s string) (r PHPMail, ok bool) {
	const pre = "mail() on ["
	if !strings.HasPrefix(s, pre) {
		i := strings.Index(s, "] "+pre)
		if i < 0 || s[0] != '[' {
			return PHPMail{}, false
		}
		s = s[i+2:]
	}
	rest := s[len(pre):]
	const to = "]: To: "
	for off := 0; ; {
		k := strings.Index(rest[off:], to)
		if k < 0 {
			return PHPMail{}, false
		}
		k += off
		off = k + 1
		colon := strings.LastIndexByte(rest[:k], ':')
		if colon <= 0 || colon+1 == k || countLeadingDigits(rest[colon+1:k]) != k-colon-1 || k-colon-1 > 9 {
			continue
		}
		line, _ := parseDecimalInt64(rest[colon+1 : k])
		r = PHPMail{Script: rest[:colon], Line: int(line)}
		r.To = rest[k+len(to):]
		if h := strings.Index(r.To, " -- Headers: "); h >= 0 {
			r.To = r.To[:h]
		}
		r.Script, r.Line, r.Eval = phpUnwrapDynamic(r.Script, r.Line)
		return r, true
	}
}

// phpUnwrapDynamic removes "(LINE) : eval()'d code" suffixes (nested ones
// too) from a PHP file name, returning the real script and the line of the
// outermost call.
func phpUnwrapDynamic(script string, line int) (string, int, bool) {
	eval := false
	for {
		k := strings.LastIndex(script, ") : ")
		if k < 0 {
			break
		}
		desc := script[k+len(") : "):]
		known := false
		for _, d := range phpDynamicCode {
			if desc == d {
				known = true
				break
			}
		}
		open := strings.LastIndexByte(script[:k], '(')
		if !known || open <= 0 || open+1 == k || k-open-1 > 9 || countLeadingDigits(script[open+1:k]) != k-open-1 {
			break
		}
		n, _ := parseDecimalInt64(script[open+1 : k])
		script, line, eval = script[:open], int(n), true
	}
	return script, line, eval
}
