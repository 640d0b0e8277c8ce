package maillog

import (
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	tp := &TimeParser{Now: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), Loc: time.UTC}
	syslogTime := time.Date(2026, 12, 4, 19, 48, 8, 0, time.UTC)
	tests := []struct {
		name string
		raw  string
		want Line // Raw and Time are checked separately
		ok   bool
	}{
		{"postfix", "Dec  4 19:48:08 mail postfix/smtpd[123]: 4B1C2: client=x[192.0.2.1], sasl_method=PLAIN, sasl_username=u@example.com",
			Line{Host: "mail", Program: "postfix/smtpd", PID: 123, Msg: "4B1C2: client=x[192.0.2.1], sasl_method=PLAIN, sasl_username=u@example.com", Repeat: 1}, true},
		{"rfc3339", "2026-12-04T19:48:08.000000+00:00 mail postfix/submission/smtpd[9]: connect from x",
			Line{Host: "mail", Program: "postfix/submission/smtpd", PID: 9, Msg: "connect from x", Repeat: 1}, true},
		{"tag without pid", "Dec  4 19:48:08 mail kernel: [123.456] eth0 up",
			Line{Host: "mail", Program: "kernel", Msg: "[123.456] eth0 up", Repeat: 1}, true},
		{"tag with empty message", "Dec  4 19:48:08 mail prog:",
			Line{Host: "mail", Program: "prog", Msg: "", Repeat: 1}, true},
		{"tag with non-numeric pid", "Dec  4 19:48:08 mail prog[abc]: x",
			Line{Host: "mail", Program: "prog", Msg: "x", Repeat: 1}, true},
		{"pid too large", "Dec  4 19:48:08 mail prog[12345678901]: x",
			Line{Host: "mail", Program: "prog", Msg: "x", Repeat: 1}, true},
		{"colon inside the first word is not a tag end", "Dec  4 19:48:08 mail a:b c: d",
			Line{Host: "mail", Msg: "a:b c: d", Repeat: 1}, true},
		{"no tag", "Dec  4 19:48:08 mail last message repeated 3 times",
			Line{Host: "mail", Msg: "last message repeated 3 times", Repeat: 1}, true},
		{"host only", "Dec  4 19:48:08 mail",
			Line{Host: "mail", Msg: "", Repeat: 1}, true},
		{"rsyslog repeated (real form: tag outside)", "Dec  4 19:48:08 mail postfix/smtpd[123]: message repeated 3 times: [ warning: hostname x does not resolve]",
			Line{Host: "mail", Program: "postfix/smtpd", PID: 123, Msg: "warning: hostname x does not resolve", Repeat: 3}, true},
		{"rsyslog repeated without leading space", "Dec  4 19:48:08 mail php: message repeated 2 times: [mail() on [/x.php:3]: To: a]",
			Line{Host: "mail", Program: "php", Msg: "mail() on [/x.php:3]: To: a", Repeat: 2}, true},
		{"rsyslog repeated, tag inside", "Dec  4 19:48:08 mail message repeated 12 times: [ postfix/smtpd[77]: client=y]",
			Line{Host: "mail", Program: "postfix/smtpd", PID: 77, Msg: "client=y", Repeat: 12}, true},
		{"rsyslog repeated, no tag anywhere", "Dec  4 19:48:08 mail message repeated 2 times: [ hello world]",
			Line{Host: "mail", Msg: "hello world", Repeat: 2}, true},
		{"rsyslog repeated, cut (no closing bracket)", "Dec  4 19:48:08 mail p[1]: message repeated 4 times: [ abc",
			Line{Host: "mail", Program: "p", PID: 1, Msg: "abc", Repeat: 4}, true},
		{"rsyslog repeated, brackets inside", "Dec  4 19:48:08 mail p[1]: message repeated 4 times: [ a]b]",
			Line{Host: "mail", Program: "p", PID: 1, Msg: "a]b", Repeat: 4}, true},
		{"repeated 0 times is a plain message", "Dec  4 19:48:08 mail p: message repeated 0 times: [ x]",
			Line{Host: "mail", Program: "p", Msg: "message repeated 0 times: [ x]", Repeat: 1}, true},
		{"repeated with a huge count is a plain message", "Dec  4 19:48:08 mail p: message repeated 1234567890 times: [ x]",
			Line{Host: "mail", Program: "p", Msg: "message repeated 1234567890 times: [ x]", Repeat: 1}, true},
		{"repeated without brackets is a plain message", "Dec  4 19:48:08 mail p: message repeated 3 times",
			Line{Host: "mail", Program: "p", Msg: "message repeated 3 times", Repeat: 1}, true},
		{"exim", "2026-12-04 19:48:08 1XwbjS-0005zB-Pb <= a@b H=x [192.0.2.1] P=esmtpa A=login:u S=123",
			Line{Msg: "1XwbjS-0005zB-Pb <= a@b H=x [192.0.2.1] P=esmtpa A=login:u S=123", Repeat: 1}, true},
		{"exim with pid", "2026-12-04 19:48:08 [4711] 1XwbjS-0005zB-Pb <= a@b",
			Line{PID: 4711, Msg: "1XwbjS-0005zB-Pb <= a@b", Repeat: 1}, true},
		{"exim with offset and pid", "2026-12-04 20:48:08 +0100 [4711] x",
			Line{PID: 4711, Msg: "x", Repeat: 1}, true},
		{"exim bracket that is not a pid", "2026-12-04 19:48:08 [a] x",
			Line{Msg: "[a] x", Repeat: 1}, true},
		{"php", "[04-Dec-2026 19:48:08 UTC] mail() on [/home/u/x.php:3]: To: a@b -- Headers: From: c",
			Line{Msg: "mail() on [/home/u/x.php:3]: To: a@b -- Headers: From: c", Repeat: 1}, true},

		{"empty", "", Line{Repeat: 1}, false},
		{"undated php", "mail() on [/home/u/x.php:3]: To: a@b",
			Line{Msg: "mail() on [/home/u/x.php:3]: To: a@b", Repeat: 1}, false},
		{"timestamp only", "Dec  4 19:48:08",
			Line{Msg: "Dec  4 19:48:08", Repeat: 1}, false},
		{"no host", "Dec  4 19:48:08  prog: x",
			Line{Msg: "Dec  4 19:48:08  prog: x", Repeat: 1}, false},
		{"binary", "\x00\xff\xfe garbage", Line{Msg: "\x00\xff\xfe garbage", Repeat: 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseLine(tc.raw, tp)
			if ok != tc.ok {
				t.Errorf("ok = %v, want %v", ok, tc.ok)
			}
			if got.Raw != tc.raw {
				t.Errorf("Raw = %q, want the line", got.Raw)
			}
			if ok && !got.Time.Equal(syslogTime) {
				t.Errorf("Time = %v", got.Time)
			}
			got.Raw, got.Time = "", time.Time{}
			if got != tc.want {
				t.Errorf("ParseLine(%q)\n got %+v\nwant %+v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestParseLineNilTimeParser(t *testing.T) {
	l, ok := ParseLine("2026-12-04T19:48:08Z mail p[1]: x", nil)
	if !ok || l.Program != "p" || !l.Time.Equal(time.Date(2026, 12, 4, 19, 48, 8, 0, time.UTC)) {
		t.Errorf("got %+v, %v", l, ok)
	}
}

func TestLastRepeated(t *testing.T) {
	for msg, want := range map[string]int{
		"last message repeated 3 times":    3,
		"last message repeated 1 times":    1,
		"last message repeated 0 times":    0,
		"last message repeated 3 times x":  0,
		"last message repeated times":      0,
		"last message repeated 3":          0,
		"message repeated 3 times: [ x]":   0,
		"last message repeated 9999999999": 0,
	} {
		n, ok := lastRepeated(msg)
		if ok != (want > 0) || n != want && ok {
			t.Errorf("lastRepeated(%q) = %d, %v; want %d", msg, n, ok, want)
		}
	}
}
