package maillog

import (
	"strings"
	"time"
)

// Format names the timestamp form a log line starts with.
type Format uint8

const (
	// FormatNone: no timestamp recognised. The time is unknown (zero). PHP's
	// mail.log as older PHP versions wrote it has no date at all; Source
	// delivers such lines, always inside the window, only when KeepUndated
	// is set, and counts them malformed otherwise.
	FormatNone Format = iota
	// FormatSyslog is RFC 3164's "Dec  4 19:48:08 " (also "Dec 14", "Dec 04"
	// and "Dec 4"), followed by a host. It has no year: see TimeParser.
	FormatSyslog
	// FormatRFC3339 is "2026-11-27T01:02:03.123456+01:00 " (rsyslog's
	// high-precision format, Debian 12+), followed by a host: 0 to 9
	// fraction digits, then "Z", "±hh:mm" or "±hhmm" (none: Loc).
	FormatRFC3339
	// FormatExim is Exim's "2014-12-04 22:56:50 ", optionally with
	// milliseconds (".123", log_selector +millisec) and an offset
	// (" +0100", log_timezone). No host or program follows.
	FormatExim
	// FormatPHP is PHP's mail.log prefix "[04-Dec-2014 22:56:50 Europe/Madrid] ";
	// the zone is an IANA name ("UTC" included) or an offset ("+01:00").
	FormatPHP
)

var formatNames = [...]string{"none", "syslog", "rfc3339", "exim", "php"}

// String returns a short lower-case name for f.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// minYear is the earliest year accepted in a dated timestamp: earlier is
// garbage, and would come close to time.Time's zero, which means "no time".
const minYear = 1970

// maxZones bounds TimeParser's cache of PHP zone names; names beyond it
// resolve to Loc, so hostile input cannot make it load zoneinfo per line.
const maxZones = 64

// TimeParser reads the timestamp at the start of a log line. Set Now and
// Loc, then call Parse; its zero value parses relative to time.Now() in
// time.Local.
//
// Classic syslog timestamps have no year. It is inferred from Now: a month
// after Now's month is in the previous year (a log crossing New Year), any
// other month in Now's year. A Feb 29 that would land in a non-leap year
// means that year is wrong: the date is put in the latest leap year not
// after Now's year that keeps it no later than Now plus one day (never
// turned into Mar 1).
//
// All returned times are in Loc (the instant is the one the line names: a
// line's own offset or zone wins over Loc). Loc is used for timestamps
// without a zone. A TimeParser caches (the last minute parsed, PHP zones
// loaded by name) and is not safe for concurrent use; give each goroutine
// its own.
type TimeParser struct {
	// Now is the reference for year inference; zero means time.Now() at
	// first use.
	Now time.Time
	// Loc is the zone of timestamps that carry none; nil means time.Local.
	Loc *time.Location

	ready  bool
	setNow time.Time // Now and Loc as last seen, to notice changes
	setLoc *time.Location

	loc      *time.Location
	now      time.Time
	nowYear  int
	nowMonth time.Month

	// One-entry cache: the start of the last minute computed, per zone.
	// Logs are in time order, so nearly every line hits it.
	key  minuteKey
	base time.Time

	zones map[string]*time.Location // nil value: unknown zone (use loc)
}

type minuteKey struct {
	loc                      *time.Location
	year                     int
	month, day, hour, minute int
}

func (p *TimeParser) setup() {
	if p.ready && p.Now == p.setNow && p.Loc == p.setLoc {
		return
	}
	p.ready, p.setNow, p.setLoc = true, p.Now, p.Loc
	p.loc = p.Loc
	if p.loc == nil {
		p.loc = time.Local
	}
	p.now = p.Now
	if p.now.IsZero() {
		p.now = time.Now()
	}
	p.now = p.now.In(p.loc)
	p.nowYear, p.nowMonth = p.now.Year(), p.now.Month()
	p.key = minuteKey{}
}

// Parse reads the timestamp at the start of raw. It returns the time, the
// rest of the line after the timestamp and the one space that follows it
// (for FormatPHP after "] "; for FormatExim also after an offset), and the
// form found. When no form is recognised, f is FormatNone, t is zero and
// rest is raw. Parse does not allocate except to load a PHP zone the first
// time it is named, and does not keep raw.
func (p *TimeParser) Parse(raw string) (t time.Time, rest string, f Format) {
	if len(raw) == 0 {
		return time.Time{}, raw, FormatNone
	}
	p.setup()
	var ok bool
	switch c := raw[0]; {
	case c >= 'A' && c <= 'S':
		t, rest, ok = p.parseSyslog(raw)
		f = FormatSyslog
	case isDigit(c):
		t, rest, f, ok = p.parseISO(raw)
	case c == '[':
		t, rest, ok = p.parsePHP(raw)
		f = FormatPHP
	}
	if !ok {
		return time.Time{}, raw, FormatNone
	}
	return t, rest, f
}

// parseSyslog reads "Mmm dd hh:mm:ss" (dd space- or zero-padded, or a
// single digit) followed by a space or the end of the line.
func (p *TimeParser) parseSyslog(s string) (time.Time, string, bool) {
	if len(s) < 14 || s[3] != ' ' {
		return time.Time{}, "", false
	}
	month := monthOf(s[:3])
	if month == 0 {
		return time.Time{}, "", false
	}
	var day, i int
	switch {
	case s[4] == ' ' && isDigit(s[5]) && s[6] == ' ':
		day, i = int(s[5]-'0'), 7
	case isDigit(s[4]) && isDigit(s[5]) && s[6] == ' ':
		day, i = int(s[4]-'0')*10+int(s[5]-'0'), 7
	case isDigit(s[4]) && s[5] == ' ':
		day, i = int(s[4]-'0'), 6
	default:
		return time.Time{}, "", false
	}
	h, m, sec, ok := clock(s[i:])
	if !ok {
		return time.Time{}, "", false
	}
	i += 8
	rest, ok := afterSpace(s, i)
	if !ok || day < 1 || day > daysIn(month, 2000) {
		return time.Time{}, "", false
	}
	year := p.nowYear
	if month > p.nowMonth {
		year--
	}
	if month == time.February && day == 29 && !isLeap(year) {
		year = p.leapYearFor(h, m, sec)
	}
	return p.local(year, month, day, h, m, sec, 0, p.loc), rest, true
}

// leapYearFor returns the latest leap year not after Now's year whose
// Feb 29 at h:m:s is no later than Now plus one day.
func (p *TimeParser) leapYearFor(h, m, s int) int {
	limit := p.now.Add(24 * time.Hour)
	for y := p.nowYear; ; y-- {
		if isLeap(y) && !time.Date(y, time.February, 29, h, m, s, 0, p.loc).After(limit) {
			return y
		}
	}
}

// parseISO reads "YYYY-MM-DD" then "Thh:mm:ss[.frac][zone]" (RFC 3339) or
// " hh:mm:ss[.frac][ ±hhmm]" (Exim).
func (p *TimeParser) parseISO(s string) (time.Time, string, Format, bool) {
	if len(s) < 19 {
		return time.Time{}, "", FormatNone, false
	}
	year, month, day, ok := isoDate(s)
	if !ok {
		return time.Time{}, "", FormatNone, false
	}
	h, m, sec, ok := clock(s[11:])
	if !ok {
		return time.Time{}, "", FormatNone, false
	}
	i := 19
	ns, i, ok := fraction(s, i)
	if !ok {
		return time.Time{}, "", FormatNone, false
	}
	switch s[10] {
	case 'T':
		off, hasZone := 0, false
		if i < len(s) {
			switch c := s[i]; {
			case c == 'Z' || c == 'z':
				hasZone = true
				i++
			case c == '+' || c == '-':
				n := 0
				if off, n, ok = offset(s[i:], true); !ok {
					return time.Time{}, "", FormatNone, false
				}
				hasZone = true
				i += n
			}
		}
		rest, ok := afterSpace(s, i)
		if !ok {
			return time.Time{}, "", FormatNone, false
		}
		if !hasZone {
			return p.local(year, month, day, h, m, sec, ns, p.loc), rest, FormatRFC3339, true
		}
		return p.instant(year, month, day, h, m, sec, ns, off), rest, FormatRFC3339, true
	case ' ':
		rest, ok := afterSpace(s, i)
		if !ok {
			return time.Time{}, "", FormatNone, false
		}
		// An optional " +0100" (log_timezone) follows the time.
		if len(rest) >= 5 && (rest[0] == '+' || rest[0] == '-') && (len(rest) == 5 || rest[5] == ' ') {
			if off, n, ok := offset(rest, false); ok && n == 5 {
				r, _ := afterSpace(rest, 5)
				return p.instant(year, month, day, h, m, sec, ns, off), r, FormatExim, true
			}
		}
		return p.local(year, month, day, h, m, sec, ns, p.loc), rest, FormatExim, true
	}
	return time.Time{}, "", FormatNone, false
}

// parsePHP reads "[dd-Mon-yyyy hh:mm:ss ZONE]" (PHP's mail.log) or
// "[dd-Mon-yyyy hh:mm:ss ZONE]:" (Roundcube's logs) followed by a space or
// the end of the line.
func (p *TimeParser) parsePHP(s string) (time.Time, string, bool) {
	// [04-Dec-2014 22:56:50 Z]
	if len(s) < 24 || s[3] != '-' || s[7] != '-' || s[12] != ' ' || s[21] != ' ' {
		return time.Time{}, "", false
	}
	day, ok1 := num2(s[1:])
	month := monthOf(s[4:7])
	year, ok2 := num4(s[8:])
	h, m, sec, ok3 := clock(s[13:])
	if !ok1 || !ok2 || !ok3 || month == 0 || year < minYear || day < 1 || day > daysIn(month, year) {
		return time.Time{}, "", false
	}
	end := strings.IndexByte(s[22:], ']')
	if end <= 0 || end > 64 {
		return time.Time{}, "", false
	}
	zone := s[22 : 22+end]
	after := 22 + end + 1
	if after < len(s) && s[after] == ':' {
		after++ // Roundcube's logs: "[04-Dec-2014 22:56:50 +0100]: "
	}
	rest, ok := afterSpace(s, after)
	if !ok {
		return time.Time{}, "", false
	}
	return p.local(year, month, day, h, m, sec, 0, p.zone(zone)), rest, true
}

// zone resolves a PHP zone name (IANA name or "+hh:mm"), caching the
// answer; unknown names resolve to Loc.
func (p *TimeParser) zone(name string) *time.Location {
	if name == "UTC" {
		return time.UTC
	}
	if loc, ok := p.zones[name]; ok {
		if loc == nil {
			return p.loc
		}
		return loc
	}
	if len(p.zones) >= maxZones {
		return p.loc
	}
	var loc *time.Location
	if off, n, ok := offset(name, true); ok && n == len(name) {
		loc = time.FixedZone(name, off)
	} else if zoneName(name) {
		if l, err := time.LoadLocation(name); err == nil {
			loc = l
		}
	}
	if p.zones == nil {
		p.zones = make(map[string]*time.Location)
	}
	p.zones[strings.Clone(name)] = loc
	if loc == nil {
		return p.loc
	}
	return loc
}

// zoneName reports whether name looks like an IANA zone name, so that
// nothing else reaches time.LoadLocation.
func zoneName(name string) bool {
	if name == "" || name[0] == '/' || strings.Contains(name, "..") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '/' || c == '_' || c == '-' || c == '+') {
			return false
		}
	}
	return true
}

// local returns the wall time in loc, converted to p.loc. The start of the
// minute is cached: a DST change never happens inside a minute.
func (p *TimeParser) local(year int, month time.Month, day, h, m, s, ns int, loc *time.Location) time.Time {
	k := minuteKey{loc, year, int(month), day, h, m}
	if k != p.key {
		p.key = k
		p.base = time.Date(year, month, day, h, m, 0, 0, loc).In(p.loc)
	}
	return p.base.Add(time.Duration(s)*time.Second + time.Duration(ns))
}

// instant returns the time at a fixed UTC offset (seconds east), in p.loc.
func (p *TimeParser) instant(year int, month time.Month, day, h, m, s, ns, off int) time.Time {
	secs := daysFromCivil(year, int(month), day)*86400 + int64(h*3600+m*60+s-off)
	return time.Unix(secs, int64(ns)).In(p.loc)
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d (y >= 1), after
// Howard Hinnant's algorithm.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// isoDate reads "YYYY-MM-DD", a valid date.
func isoDate(s string) (int, time.Month, int, bool) {
	if s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := num4(s)
	mo, ok2 := num2(s[5:])
	d, ok3 := num2(s[8:])
	if !ok1 || !ok2 || !ok3 || y < minYear || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return 0, 0, 0, false
	}
	return y, time.Month(mo), d, true
}

// clock reads "hh:mm:ss" (ss up to 60, a leap second).
func clock(s string) (h, m, sec int, ok bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, 0, 0, false
	}
	h, ok1 := num2(s)
	m, ok2 := num2(s[3:])
	sec, ok3 := num2(s[6:])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return 0, 0, 0, false
	}
	return h, m, sec, true
}

// fraction reads an optional ".ddd" (1 to 9 digits) at s[i:], returning
// nanoseconds and the index after it.
func fraction(s string, i int) (ns, j int, ok bool) {
	if i >= len(s) || s[i] != '.' {
		return 0, i, true
	}
	j = i + 1
	scale := 100000000
	for j < len(s) && isDigit(s[j]) {
		if j-i > 9 {
			return 0, 0, false
		}
		ns += int(s[j]-'0') * scale
		scale /= 10
		j++
	}
	if j == i+1 {
		return 0, 0, false
	}
	return ns, j, true
}

// offset reads "±hh:mm" (colon allowed) or "±hhmm" at the start of s,
// returning seconds east of UTC and its length.
func offset(s string, colon bool) (off, n int, ok bool) {
	if len(s) < 5 || (s[0] != '+' && s[0] != '-') {
		return 0, 0, false
	}
	h, ok1 := num2(s[1:])
	mi, n := 0, 5
	ok2 := false
	if colon && len(s) >= 6 && s[3] == ':' {
		mi, ok2 = num2(s[4:])
		n = 6
	} else {
		mi, ok2 = num2(s[3:])
	}
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return 0, 0, false
	}
	off = h*3600 + mi*60
	if s[0] == '-' {
		off = -off
	}
	return off, n, true
}

// afterSpace returns s[i+1:] when s[i] is a space, "" when i is the end.
func afterSpace(s string, i int) (string, bool) {
	switch {
	case i == len(s):
		return "", true
	case i < len(s) && s[i] == ' ':
		return s[i+1:], true
	}
	return "", false
}

func monthOf(s string) time.Month {
	switch s {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if isLeap(year) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func num2(s string) (int, bool) {
	if len(s) < 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func num4(s string) (int, bool) {
	if len(s) < 4 {
		return 0, false
	}
	a, ok1 := num2(s)
	b, ok2 := num2(s[2:])
	return a*100 + b, ok1 && ok2
}
