package maillog

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

var fuzzLineSeeds = []string{
	"Dec  4 19:48:08 mail postfix/smtpd[123]: 4B1C2: client=x[192.0.2.1], sasl_method=PLAIN, sasl_username=u@example.com",
	"Feb 29 10:00:00 h m",
	"2026-11-27T01:02:03.123456+01:00 host prog[pid]: msg",
	"2026-11-27T01:02:03.1234567890Z h",
	"2014-12-04 22:56:50 +0100 [123] 1XwbjS-0005zB-Pb <= a@b",
	"[04-Dec-2014 22:56:50 Europe/Madrid] mail() on [/x.php:2]: To: a",
	"[04-Dec-2014 22:56:50 +01:00] m",
	"Dec  4 19:48:08 mail p[1]: message repeated 3 times: [ client=x]",
	"Dec  4 19:48:08 mail message repeated 12 times: [ postfix/smtpd[77]: client=y]",
	"Dec  4 19:48:08 mail message repeated 2 times: [",
	"Dec  4 19:48:08 mail p[99999999999999999999]: x",
	"Dec  4 19:48:08 mail :",
	"Dec  4 19:48:08 mail [1]: x",
	"mail() on [/home/u/x.php:3]: To: a@b",
	"\x00\xff",
}

func FuzzParseLine(f *testing.F) {
	for _, s := range fuzzLineSeeds {
		f.Add(s)
	}
	tp := &TimeParser{Now: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), Loc: time.UTC}
	f.Fuzz(func(t *testing.T, raw string) {
		l, ok := ParseLine(raw, tp)
		if l.Raw != raw || l.Repeat < 1 || l.PID < 0 || !strings.Contains(raw, l.Msg) {
			t.Fatalf("ParseLine(%q) = %+v", raw, l)
		}
		_, rest, f := tp.Parse(raw)
		if !strings.HasSuffix(raw, rest) || (f == FormatNone) != (rest == raw) && raw != "" {
			t.Fatalf("Parse(%q): rest %q, format %v", raw, rest, f)
		}
		if !ok {
			return
		}
		if l.Time.IsZero() || l.Time.Year() < 1 || l.Time.Year() > 9999 {
			t.Fatalf("ParseLine(%q): time %v", raw, l.Time)
		}
		if strings.ContainsRune(l.Host, ' ') || strings.ContainsRune(l.Program, ' ') {
			t.Fatalf("ParseLine(%q): host %q, program %q", raw, l.Host, l.Program)
		}
		if (f == FormatSyslog || f == FormatRFC3339) && l.Host == "" {
			t.Fatalf("ParseLine(%q): syslog line without a host", raw)
		}
	})
}

// FuzzSourceStdin feeds arbitrary bytes through Source: it must never fail
// on content, and its counts must add up.
func FuzzSourceStdin(f *testing.F) {
	f.Add([]byte(strings.Join(fuzzLineSeeds, "\n")), uint8(0))
	f.Add([]byte("Dec  4 19:48:08 mail p: a\r\n\n\nDec  4 19:48:08 mail last message repeated 2 times\n"+strings.Repeat("x", 300)), uint8(64))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, maxLine uint8) {
		s := &Source{
			Paths:       []string{"-"},
			Stdin:       bytes.NewReader(data),
			Since:       time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			Now:         time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC),
			Loc:         time.UTC,
			MaxLine:     int(maxLine),
			KeepUndated: maxLine%2 == 1,
		}
		var delivered int64
		st, err := s.Lines(context.Background(), func(l *Line) error {
			delivered++
			if l.Repeat < 1 {
				t.Fatalf("line %+v", l)
			}
			return nil
		})
		gz := bytes.HasPrefix(data, []byte(gzipMagic))
		if err != nil && !gz {
			t.Fatalf("plain input: %v", err)
		}
		if delivered != st.InWindow || st.InWindow+st.Malformed > st.Lines || st.Truncated > st.Lines {
			t.Fatalf("delivered %d, stats %+v", delivered, st)
		}
		if !gz && st.Bytes != int64(len(data)) {
			t.Fatalf("read %d bytes of %d", st.Bytes, len(data))
		}
	})
}
