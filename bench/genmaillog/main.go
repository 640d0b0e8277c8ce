// Command genmaillog writes a synthetic Postfix mail.log for mailscan's
// benchmarks: smtpd SASL submissions (a few heavy senders among many
// quiet users, from many client addresses, some without reverse DNS) mixed
// with the other lines a real log holds (connect/disconnect, cleanup,
// qmgr, smtp deliveries), deterministic from -seed.
//
//	go run ./bench/genmaillog -size 1G -out /var/tmp/spamgear-bench/mail.log
//
// Timestamps are RFC 3339 (Debian 12+ rsyslog) spread over -span ending at
// -end (default 2026-11-27T12:00:00Z); -classic writes "Nov 27 11:59:59".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", "", "output `FILE`")
	size := flag.String("size", "100M", "approximate size (K, M, G)")
	users := flag.Int("users", 20000, "SASL users")
	spammers := flag.Int("spammers", 25, "heavy senders among them")
	seed := flag.Uint64("seed", 1, "random seed")
	end := flag.String("end", "2026-11-27T12:00:00Z", "time of the last line (RFC 3339)")
	span := flag.Duration("span", 24*time.Hour, "time the log covers")
	classic := flag.Bool("classic", false, "classic syslog timestamps (no year)")
	flag.Parse()
	if *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	limit, err := parseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genmaillog:", err)
		os.Exit(2)
	}
	last, err := time.Parse(time.RFC3339, *end)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genmaillog:", err)
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genmaillog:", err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(*seed, *seed^0x9e3779b97f4a7c15))
	// Lines per byte is about 1/150: spread the span evenly.
	total := limit / 150
	step := *span / time.Duration(max(total, 1))
	t := last.Add(-*span)
	var written int64
	qid := uint64(0x1a2b3c)
	for written < limit {
		t = t.Add(step)
		qid += 7
		id := strings.ToUpper(strconv.FormatUint(qid, 16))
		var msg string
		pid := 1000 + r.IntN(30000)
		prog := "postfix/smtpd"
		switch k := r.IntN(100); {
		case k < 22: // SASL submission
			// Spammers' messages come from botnets (any address); a
			// normal user sends from one of three addresses of their own.
			var user string
			a, b, c, d := r.IntN(220)+1, r.IntN(256), r.IntN(256), r.IntN(254)+1
			if r.IntN(100) < 35 {
				user = fmt.Sprintf("spam%03d@example.net", r.IntN(*spammers))
			} else {
				u := r.IntN(*users)
				user = fmt.Sprintf("user%05d@example.org", u)
				h := uint32(u)*2654435761 + uint32(r.IntN(3))*40503
				a, b, c, d = int(h>>24)%220+1, int(h>>16)&255, int(h>>8)&255, int(h&255)%254+1
			}
			name := fmt.Sprintf("host-%d-%d.isp.example", a, b)
			if r.IntN(4) == 0 {
				name = "unknown"
			}
			msg = fmt.Sprintf("%s: client=%s[%d.%d.%d.%d], sasl_method=PLAIN, sasl_username=%s", id, name, a, b, c, d, user)
		case k < 40:
			msg = fmt.Sprintf("connect from unknown[198.51.%d.%d]", r.IntN(256), r.IntN(254)+1)
		case k < 55:
			msg = fmt.Sprintf("disconnect from unknown[198.51.%d.%d] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6", r.IntN(256), r.IntN(254)+1)
		case k < 70:
			prog = "postfix/cleanup"
			msg = fmt.Sprintf("%s: message-id=<%x@example.org>", id, r.Uint64())
		case k < 85:
			prog = "postfix/qmgr"
			msg = fmt.Sprintf("%s: from=<user%05d@example.org>, size=%d, nrcpt=1 (queue active)", id, r.IntN(*users), 1000+r.IntN(90000))
		default:
			prog = "postfix/smtp"
			msg = fmt.Sprintf("%s: to=<rcpt%d@example.com>, relay=mx.example.com[203.0.113.%d]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)", id, r.IntN(100000), r.IntN(254)+1)
		}
		var ts string
		if *classic {
			ts = t.Format(time.Stamp)
		} else {
			ts = t.Format("2006-01-02T15:04:05.000000-07:00")
		}
		n, _ := fmt.Fprintf(w, "%s mail1 %s[%d]: %s\n", ts, prog, pid, msg)
		written += int64(n)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "genmaillog:", err)
		os.Exit(1)
	}
	f.Close()
	fmt.Fprintf(os.Stderr, "genmaillog: %s: %d bytes, %s to %s\n", *out, written, last.Add(-*span).Format(time.RFC3339), last.Format(time.RFC3339))
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}
