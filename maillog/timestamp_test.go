package maillog

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // hermetic zones for the tests
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestTimeParserParse(t *testing.T) {
	utc := time.UTC
	madrid := mustZone(t, "Europe/Madrid")
	plus1 := time.FixedZone("", 3600)
	date := func(y int, mo time.Month, d, h, mi, s, ns int, loc *time.Location) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, loc)
	}
	now := date(2026, time.December, 5, 12, 0, 0, 0, utc)
	tests := []struct {
		name   string
		now    time.Time
		loc    *time.Location
		raw    string
		want   time.Time
		rest   string
		format Format
	}{
		{"syslog space-padded day", now, utc, "Dec  4 19:48:08 host prog[1]: msg",
			date(2026, 12, 4, 19, 48, 8, 0, utc), "host prog[1]: msg", FormatSyslog},
		{"syslog two-digit day", now, utc, "Nov 14 01:02:03 host x: y",
			date(2026, 11, 14, 1, 2, 3, 0, utc), "host x: y", FormatSyslog},
		{"syslog zero-padded day", now, utc, "Dec 04 19:48:08 h m",
			date(2026, 12, 4, 19, 48, 8, 0, utc), "h m", FormatSyslog},
		{"syslog one-digit day", now, utc, "Dec 4 19:48:08 h m",
			date(2026, 12, 4, 19, 48, 8, 0, utc), "h m", FormatSyslog},
		{"syslog at end of line", now, utc, "Dec  4 19:48:08",
			date(2026, 12, 4, 19, 48, 8, 0, utc), "", FormatSyslog},
		{"syslog in Loc", now, madrid, "Jul  1 10:00:00 h m",
			date(2026, 7, 1, 8, 0, 0, 0, utc), "h m", FormatSyslog},
		{"new year: December seen in January", date(2027, 1, 2, 0, 0, 0, 0, utc), utc, "Dec 31 23:59:59 h m",
			date(2026, 12, 31, 23, 59, 59, 0, utc), "h m", FormatSyslog},
		{"new year: January seen in January", date(2027, 1, 2, 0, 0, 0, 0, utc), utc, "Jan  1 00:00:01 h m",
			date(2027, 1, 1, 0, 0, 1, 0, utc), "h m", FormatSyslog},
		{"same month, a day ahead (clock skew)", now, utc, "Dec  6 00:00:00 h m",
			date(2026, 12, 6, 0, 0, 0, 0, utc), "h m", FormatSyslog},
		{"Feb 29 seen in 2027 January", date(2027, 1, 2, 0, 0, 0, 0, utc), utc, "Feb 29 10:00:00 h m",
			date(2024, 2, 29, 10, 0, 0, 0, utc), "h m", FormatSyslog},
		{"Feb 29 seen in 2027 June", date(2027, 6, 1, 0, 0, 0, 0, utc), utc, "Feb 29 10:00:00 h m",
			date(2024, 2, 29, 10, 0, 0, 0, utc), "h m", FormatSyslog},
		{"Feb 29 seen in a leap year", date(2028, 3, 1, 0, 0, 0, 0, utc), utc, "Feb 29 23:00:00 h m",
			date(2028, 2, 29, 23, 0, 0, 0, utc), "h m", FormatSyslog},
		{"Feb 29 seen on Feb 28 of a leap year", date(2028, 2, 28, 23, 0, 0, 0, utc), utc, "Feb 29 00:00:05 h m",
			date(2028, 2, 29, 0, 0, 5, 0, utc), "h m", FormatSyslog},
		{"Feb 29 seen in 2029 February", date(2029, 2, 28, 0, 0, 0, 0, utc), utc, "Feb 29 10:00:00 h m",
			date(2028, 2, 29, 10, 0, 0, 0, utc), "h m", FormatSyslog},
		{"Feb 29 seen in 2101 (2100 is not leap)", date(2101, 1, 5, 0, 0, 0, 0, utc), utc, "Feb 29 10:00:00 h m",
			date(2096, 2, 29, 10, 0, 0, 0, utc), "h m", FormatSyslog},

		{"rfc3339 no fraction Z", now, utc, "2026-11-27T01:02:03Z host p: m",
			date(2026, 11, 27, 1, 2, 3, 0, utc), "host p: m", FormatRFC3339},
		{"rfc3339 1 digit", now, utc, "2026-11-27T01:02:03.1+01:00 h m",
			date(2026, 11, 27, 1, 2, 3, 100000000, plus1), "h m", FormatRFC3339},
		{"rfc3339 3 digits", now, utc, "2026-11-27T01:02:03.123+01:00 h m",
			date(2026, 11, 27, 1, 2, 3, 123000000, plus1), "h m", FormatRFC3339},
		{"rfc3339 6 digits", now, utc, "2026-11-27T01:02:03.123456+01:00 host prog[pid]: msg",
			date(2026, 11, 27, 1, 2, 3, 123456000, plus1), "host prog[pid]: msg", FormatRFC3339},
		{"rfc3339 9 digits", now, utc, "2026-11-27T01:02:03.123456789Z h m",
			date(2026, 11, 27, 1, 2, 3, 123456789, utc), "h m", FormatRFC3339},
		{"rfc3339 negative half-hour offset", now, utc, "2026-11-27T01:02:03-03:30 h m",
			date(2026, 11, 27, 4, 32, 3, 0, utc), "h m", FormatRFC3339},
		{"rfc3339 offset without colon", now, utc, "2026-11-27T01:02:03.5+0100 h m",
			date(2026, 11, 27, 0, 2, 3, 500000000, utc), "h m", FormatRFC3339},
		{"rfc3339 no zone: Loc", now, madrid, "2026-11-27T01:02:03 h m",
			date(2026, 11, 27, 0, 2, 3, 0, utc), "h m", FormatRFC3339},
		{"rfc3339 leap-year date", now, utc, "2024-02-29T00:00:00Z h",
			date(2024, 2, 29, 0, 0, 0, 0, utc), "h", FormatRFC3339},

		{"exim", now, madrid, "2014-12-04 22:56:50 1XwbjS-0005zB-Pb <= a@b",
			date(2014, 12, 4, 21, 56, 50, 0, utc), "1XwbjS-0005zB-Pb <= a@b", FormatExim},
		{"exim with offset", now, utc, "2014-12-04 22:56:50 +0100 1XwbjS-0005zB-Pb <= a@b",
			date(2014, 12, 4, 21, 56, 50, 0, utc), "1XwbjS-0005zB-Pb <= a@b", FormatExim},
		{"exim with negative offset and pid", now, utc, "2014-12-04 22:56:50 -0500 [123] x",
			date(2014, 12, 5, 3, 56, 50, 0, utc), "[123] x", FormatExim},
		{"exim with millisec", now, utc, "2014-12-04 22:56:50.123 x",
			date(2014, 12, 4, 22, 56, 50, 123000000, utc), "x", FormatExim},
		{"exim offset-like text is not an offset", now, utc, "2014-12-04 22:56:50 +01000 x",
			date(2014, 12, 4, 22, 56, 50, 0, utc), "+01000 x", FormatExim},

		{"php IANA zone", now, utc, "[04-Dec-2014 22:56:50 Europe/Madrid] mail() on [/x.php:2]: To: a",
			date(2014, 12, 4, 21, 56, 50, 0, utc), "mail() on [/x.php:2]: To: a", FormatPHP},
		{"php UTC", now, madrid, "[04-Dec-2014 22:56:50 UTC] mail()",
			date(2014, 12, 4, 22, 56, 50, 0, utc), "mail()", FormatPHP},
		{"php offset zone", now, utc, "[04-Dec-2014 22:56:50 +01:00] m",
			date(2014, 12, 4, 21, 56, 50, 0, utc), "m", FormatPHP},
		{"php unknown zone: Loc", now, madrid, "[04-Dec-2014 22:56:50 Mars/Olympus_Mons] m",
			date(2014, 12, 4, 21, 56, 50, 0, utc), "m", FormatPHP},
		{"php zone with dot-dot: Loc", now, madrid, "[04-Dec-2014 22:56:50 ../../etc/passwd] m",
			date(2014, 12, 4, 21, 56, 50, 0, utc), "m", FormatPHP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &TimeParser{Now: tc.now, Loc: tc.loc}
			got, rest, f := p.Parse(tc.raw)
			if f != tc.format || rest != tc.rest || !got.Equal(tc.want) {
				t.Errorf("Parse(%q) = %v, %q, %v; want %v, %q, %v", tc.raw, got, rest, f, tc.want, tc.rest, tc.format)
			}
			if got.Location() != tc.loc {
				t.Errorf("location %v, want Loc %v", got.Location(), tc.loc)
			}
		})
	}
}

func TestTimeParserNone(t *testing.T) {
	for _, raw := range []string{
		"",
		"mail() on [/home/u/x.php:12]: To: a@b -- Headers: From: x", // PHP without date
		"garbage",
		"Foo  4 19:48:08 h m",
		"dec  4 19:48:08 h m",
		"Feb 30 10:00:00 h m",
		"Apr 31 10:00:00 h m",
		"Dec  0 10:00:00 h m",
		"Dec 32 10:00:00 h m",
		"Dec  4 24:00:00 h m",
		"Dec  4 19:60:00 h m",
		"Dec  4 19:48:61 h m",
		"Dec  4 19:48:08x",
		"Dec  4 19:48",
		"Dec   4 19:48:08 h",
		"2026-02-29T00:00:00Z h",
		"2026-13-01T00:00:00Z h",
		"0000-01-01T00:00:00Z h",
		"0001-01-01T00:00:00 00",
		"1969-12-31T23:59:59Z h",
		"[04-Dec-1969 22:56:50 UTC] m",
		"2026-11-27T01:02:03. h",
		"2026-11-27T01:02:03.1234567890Z h",
		"2026-11-27T01:02:03+1:00 h",
		"2026-11-27T01:02:03+24:00 h",
		"2026-11-27T01:02:03Zh",
		"2026-11-27X01:02:03Z h",
		"2026-11-27 01:02:03x",
		"2026-11-27",
		"[04-Dec-2014 22:56:50 UTC]mail()",
		"[04-Dec-2014 22:56:50 ] m",
		"[04-Foo-2014 22:56:50 UTC] m",
		"[31-Nov-2014 22:56:50 UTC] m",
		"[04-Dec-2014 22:56:50 UTC",
		"[04-Dec-2014 22:56:50 " + string(make([]byte, 70)) + "] m",
		"[pid 12] x",
	} {
		p := &TimeParser{Now: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), Loc: time.UTC}
		got, rest, f := p.Parse(raw)
		if f != FormatNone || !got.IsZero() || rest != raw {
			t.Errorf("Parse(%q) = %v, %q, %v; want none", raw, got, rest, f)
		}
	}
}

// TestTimeParserAgainstTimeDate checks the minute cache and the fixed-offset
// arithmetic against package time on random instants, DST changes included.
func TestTimeParserAgainstTimeDate(t *testing.T) {
	madrid := mustZone(t, "Europe/Madrid")
	newYork := mustZone(t, "America/New_York")
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 12, 31, 23, 0, 0, 0, madrid)
	p := &TimeParser{Now: now, Loc: madrid}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, madrid).Unix()
	for range 20000 {
		// Runs of nearby times (cache hits) and jumps (misses).
		sec := start + rng.Int64N(now.Unix()-start)
		for range 1 + rng.IntN(5) {
			sec += rng.Int64N(90)
			tm := time.Unix(sec, int64(rng.IntN(1e6))*1000).In(madrid)
			if tm.After(now) {
				break
			}
			raw := tm.Format(time.Stamp) + " h m"
			got, _, f := p.Parse(raw)
			// The wall clock is what syslog wrote; in the autumn's repeated
			// hour it cannot tell which instant was meant.
			if f != FormatSyslog || got.Format(time.Stamp) != tm.Format(time.Stamp) || got.Year() != 2026 {
				t.Fatalf("syslog %q: got %v (%v)", raw, got, f)
			}
			raw = tm.Format("2006-01-02T15:04:05.000000Z07:00") + " h m"
			got, _, f = p.Parse(raw)
			if f != FormatRFC3339 || !got.Equal(tm) {
				t.Fatalf("rfc3339 %q: got %v, want %v", raw, got, tm)
			}
			ny := tm.In(newYork)
			raw = ny.Format("[02-Jan-2006 15:04:05 ") + "America/New_York] m"
			got, _, f = p.Parse(raw)
			// 01:xx is New York's repeated autumn hour.
			if want := tm.Truncate(time.Second); f != FormatPHP || !got.Equal(want) && ny.Hour() != 1 {
				t.Fatalf("php %q: got %v, want %v", raw, got, tm)
			}
		}
	}
}

func TestTimeParserAllocs(t *testing.T) {
	p := &TimeParser{Now: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), Loc: time.UTC}
	for _, raw := range []string{
		"Dec  4 19:48:08 mail postfix/smtpd[123]: connect from x",
		"2026-11-27T01:02:03.123456+01:00 mail postfix/smtpd[123]: connect from x",
		"2014-12-04 22:56:50 +0100 1XwbjS-0005zB-Pb <= a@b",
		"[04-Dec-2014 22:56:50 Europe/Madrid] mail() on [/x.php:2]: To: a",
	} {
		p.Parse(raw) // load the zone
		if n := testing.AllocsPerRun(100, func() { p.Parse(raw) }); n != 0 {
			t.Errorf("Parse(%q): %v allocations, want 0", raw, n)
		}
	}
}

func TestTimeParserNowChange(t *testing.T) {
	p := &TimeParser{Now: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), Loc: time.UTC}
	a, _, _ := p.Parse("Dec 31 23:59:59 h m")
	p.Now = time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	b, _, _ := p.Parse("Dec 31 23:59:59 h m")
	if a.Year() != 2026 || b.Year() != 2026 {
		t.Errorf("years %d, %d; want 2026, 2026", a.Year(), b.Year())
	}
	p.Now = time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC)
	c, _, _ := p.Parse("Dec 31 23:59:59 h m")
	if c.Year() != 2027 {
		t.Errorf("after changing Now: year %d, want 2027", c.Year())
	}
	if got := (&TimeParser{}).Now; !got.IsZero() {
		t.Fatal("zero TimeParser has a Now")
	}
	if _, _, f := new(TimeParser).Parse("Jan  1 00:00:00 h m"); f != FormatSyslog {
		t.Errorf("zero TimeParser: format %v", f)
	}
}

func TestFormatString(t *testing.T) {
	for f, want := range map[Format]string{FormatNone: "none", FormatSyslog: "syslog", FormatRFC3339: "rfc3339", FormatExim: "exim", FormatPHP: "php", 99: "unknown"} {
		if got := f.String(); got != want {
			t.Errorf("Format(%d).String() = %q, want %q", f, got, want)
		}
	}
}
