package mailqueue

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
)

// maxLine is the longest line the parsers look at; the rest of a longer
// line is skipped (a postqueue -j record with thousands of recipients can
// be megabytes long, and only its first bytes matter).
const maxLine = 64 << 10

// eachLine calls fn with every line of r, without its line ending (LF or
// CRLF) and cut to maxLine bytes (cut reports whether it was). fn must not
// keep line. It reads r to the end even after fn has failed, so that the
// program writing r is never blocked, and returns fn's first error, else
// r's.
func eachLine(r io.Reader, fn func(line []byte, cut bool) error) error {
	br := bufio.NewReaderSize(r, maxLine)
	var ferr error
	for {
		line, err := br.ReadSlice('\n')
		cut := errors.Is(err, bufio.ErrBufferFull)
		if len(line) > 0 && ferr == nil {
			line = bytes.TrimSuffix(line, []byte("\n"))
			line = bytes.TrimSuffix(line, []byte("\r"))
			ferr = fn(line, cut) // before the next read, which reuses line
		}
		// Skip the rest of a long line.
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		if err == io.EOF {
			return ferr
		}
		if err != nil {
			if ferr != nil {
				return ferr
			}
			return err
		}
	}
}

// blank reports whether line holds only spaces and tabs.
func blank(line []byte) bool {
	return len(bytes.Trim(line, " \t\v\f")) == 0
}

// ParseNumber reads output that is one non-negative decimal number, such
// as that of "exim -bpc", alone on its line; blank lines and spaces around
// it are allowed.
func ParseNumber(r io.Reader) (int, error) {
	n, seen := 0, false
	err := eachLine(r, func(line []byte, cut bool) error {
		if blank(line) {
			return nil
		}
		if seen {
			return errors.New("more than one line: not a bare number")
		}
		seen = true
		v, err := number(line, cut)
		n = v
		return err
	})
	if err != nil {
		return 0, err
	}
	if !seen {
		return 0, errors.New("no output: want a number")
	}
	return n, nil
}

// number parses a line that is a bare decimal number.
func number(line []byte, cut bool) (int, error) {
	t := bytes.TrimSpace(line)
	if cut || len(t) == 0 || len(t) > 18 {
		return 0, fmt.Errorf("%q is not a message count", quote(t))
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a message count", quote(t))
		}
	}
	return strconv.Atoi(string(t))
}

// ParsePostqueueJSON reads the output of Postfix's "postqueue -j"
// (Postfix ≥ 3.1): one JSON object per queued message, one per line,
// nothing at all for an empty queue. Lines are checked to be objects but
// not decoded.
func ParsePostqueueJSON(r io.Reader) (int, error) {
	var j jsonCounter
	if err := eachLine(r, j.line); err != nil {
		return 0, err
	}
	return j.n, nil
}

// jsonCounter counts postqueue -j records.
type jsonCounter struct{ n, lineNo int }

func (j *jsonCounter) line(line []byte, cut bool) error {
	j.lineNo++
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		return nil
	}
	if t[0] != '{' || (!cut && t[len(t)-1] != '}') {
		return fmt.Errorf("line %d: %q is not a postqueue -j record", j.lineNo, quote(t))
	}
	j.n++
	return nil
}

var (
	// Postfix's postqueue -p / mailq total: "-- 1 Kbytes in 3 Requests."
	postfixTotal = regexp.MustCompile(`^-- [0-9]+ Kbytes in ([0-9]+) Requests?\.$`)
	// Postfix's "Mail queue is empty".
	postfixEmpty = regexp.MustCompile(`^Mail queue is empty$`)
	// sendmail: "\t\t/var/spool/mqueue (3 requests, only 2 printed)".
	sendmailDir = regexp.MustCompile(`^\s*\S.* \(([0-9]+) requests?(, only [0-9]+ printed)?\)$`)
	// sendmail: "/var/spool/mqueue is empty".
	sendmailEmpty = regexp.MustCompile(`^\s*\S+ is empty$`)
	// sendmail ≥ 8.12: "\t\tTotal requests: 3" (8.11: "Total Requests").
	sendmailTotal = regexp.MustCompile(`^\s*Total [Rr]equests: ([0-9]+)$`)
	// Exim's mailq / exim -bp: a message's first line, "25m  2.9K
	// 0t5C6f-0000c8-00 <alice@example>" (age, size, id, sender); ids of
	// Exim ≥ 4.97 are longer (6-11-4).
	eximEntry = regexp.MustCompile(`^\s*[0-9]+[smhdw]\s+[0-9]+(\.[0-9]+)?[KMG]?\s+[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}(\s|$)`)
)

// ParseListing reads a mail queue listing:
//
//   - Postfix's "postqueue -p" or mailq: the count of its last line,
//     "-- 1 Kbytes in 3 Requests.", or 0 for "Mail queue is empty";
//   - sendmail's mailq: the sum of its "Total requests: N" lines, else of
//     its "QUEUEDIR (N requests)" lines, or 0 for "QUEUEDIR is empty";
//   - Exim's mailq or "exim -bp", which prints no total: the number of
//     message lines ("25m  2.9K 0t5C6f-0000c8-00 <sender>"); nothing at
//     all is an empty queue.
//
// Output that is none of these (a Postfix listing cut before its total,
// say) is an error.
func ParseListing(r io.Reader) (int, error) {
	var l listing
	if err := eachLine(r, l.line); err != nil {
		return 0, err
	}
	return l.result()
}

// listing gathers what ParseListing looks for.
type listing struct {
	postfix, postfixSeen int
	totals, totalsSeen   int
	dirs, dirsSeen       int
	exim                 int
	empty, nonBlank      bool
	first                string // the first non-blank line, for errors
	overflow             bool
}

func (l *listing) line(line []byte, cut bool) error {
	if blank(line) {
		return nil
	}
	if !l.nonBlank {
		l.nonBlank = true
		l.first = string(quote(bytes.TrimSpace(line)))
	}
	if cut {
		return nil // no line ParseListing counts is that long
	}
	s := string(line)
	if m := postfixTotal.FindStringSubmatch(s); m != nil {
		l.postfix, l.overflow = atoi(m[1], l.overflow)
		l.postfixSeen++
		return nil
	}
	if postfixEmpty.MatchString(s) {
		l.empty = true
		return nil
	}
	if m := sendmailTotal.FindStringSubmatch(s); m != nil {
		l.totals, l.overflow = add(l.totals, m[1], l.overflow)
		l.totalsSeen++
		return nil
	}
	if m := sendmailDir.FindStringSubmatch(s); m != nil {
		l.dirs, l.overflow = add(l.dirs, m[1], l.overflow)
		l.dirsSeen++
		return nil
	}
	if sendmailEmpty.MatchString(s) {
		l.empty = true
		return nil
	}
	if eximEntry.MatchString(s) {
		l.exim++
	}
	return nil
}

func (l *listing) result() (int, error) {
	if l.overflow {
		return 0, errors.New("message count out of range")
	}
	switch {
	case l.postfixSeen > 0:
		return l.postfix, nil
	case l.totalsSeen > 0:
		return l.totals, nil
	case l.dirsSeen > 0:
		return l.dirs, nil
	case l.exim > 0:
		return l.exim, nil
	case l.empty || !l.nonBlank:
		return 0, nil
	}
	return 0, fmt.Errorf("not a mail queue listing (no total, no entries; first line %q)", l.first)
}

// atoi parses a count of digits, noting overflow.
func atoi(s string, overflow bool) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, true
	}
	return n, overflow
}

// add adds the count s to sum, noting overflow.
func add(sum int, s string, overflow bool) (int, bool) {
	n, of := atoi(s, overflow)
	if of || sum > math.MaxInt-n {
		return sum, true
	}
	return sum + n, overflow
}

// Parse reads the output of any command this package knows and returns
// the number of queued messages. It tells the formats apart by their
// first non-blank line: "{" starts postqueue -j output; a line that is
// only a number, with nothing after it, is a count (exim -bpc, or any
// script that prints one); anything else is read as by ParseListing. No
// output at all is an empty queue, as postqueue -j and exim -bp print it.
func Parse(r io.Reader) (int, error) {
	var (
		mode     int // 0 undecided, 1 JSON, 2 listing
		j        jsonCounter
		l        listing
		num      int
		numOK    bool
		numErr   error
		nonBlank int
	)
	err := eachLine(r, func(line []byte, cut bool) error {
		if mode == 0 {
			j.lineNo++
			if blank(line) {
				return nil
			}
			if bytes.TrimSpace(line)[0] == '{' {
				mode = 1
				j.lineNo-- // counted again below
				return j.line(line, cut)
			}
			mode = 2
			num, numErr = number(line, cut)
			numOK = numErr == nil
		} else if mode == 1 {
			return j.line(line, cut)
		}
		if !blank(line) {
			nonBlank++
		}
		return l.line(line, cut)
	})
	if err != nil {
		return 0, err
	}
	switch {
	case mode == 1:
		return j.n, nil
	case mode == 2 && numOK && nonBlank == 1:
		return num, nil
	}
	return l.result()
}

// quote returns at most the first 80 bytes of b, for error messages
// (which %q then escapes).
func quote(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
