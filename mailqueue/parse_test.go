package mailqueue

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// parsers are the package's parsers by name.
var parsers = map[string]func(io.Reader) (int, error){
	"Parse":              Parse,
	"ParsePostqueueJSON": ParsePostqueueJSON,
	"ParseListing":       ParseListing,
	"ParseNumber":        ParseNumber,
}

// TestFixtures reads every file in testdata (see testdata/README) with the
// parser made for it and with Parse, which must tell the format apart.
func TestFixtures(t *testing.T) {
	tests := []struct {
		file   string
		parser string
		want   int
	}{
		// Captured from a real Postfix 3.7.11 (internal/postfixtest).
		{"postfix-j-empty.txt", "ParsePostqueueJSON", 0},
		{"postfix-j-hold3.txt", "ParsePostqueueJSON", 3},
		{"postfix-j-deferred1.txt", "ParsePostqueueJSON", 1},
		{"postfix-j-deferred2.txt", "ParsePostqueueJSON", 2},
		{"postfix-p-empty.txt", "ParseListing", 0},
		{"postfix-p-hold3.txt", "ParseListing", 3},
		{"postfix-p-deferred1.txt", "ParseListing", 1},
		{"postfix-p-deferred2.txt", "ParseListing", 2},
		// Written from sendmail's queue.c and Exim's specification.
		{"sendmail-mailq-2.txt", "ParseListing", 2},
		{"sendmail-mailq-empty.txt", "ParseListing", 0},
		{"sendmail-debian-msp-mta-1.txt", "ParseListing", 1},
		{"sendmail-old-nototal-3.txt", "ParseListing", 3},
		{"exim-bp-3.txt", "ParseListing", 3},
		{"exim-bp-empty.txt", "ParseListing", 0},
		{"exim-bpc-3.txt", "ParseNumber", 3},
		{"exim-bpc-0.txt", "ParseNumber", 0},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{tt.parser, "Parse"} {
				n, err := parsers[name](bytes.NewReader(data))
				if err != nil || n != tt.want {
					t.Errorf("%s = %d, %v; want %d", name, n, err, tt.want)
				}
				// The same, one byte at a time.
				n, err = parsers[name](iotest.OneByteReader(bytes.NewReader(data)))
				if err != nil || n != tt.want {
					t.Errorf("%s, one byte at a time = %d, %v; want %d", name, n, err, tt.want)
				}
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s is not tested", f)
		}
	}
}

// TestWrongParser checks that a parser refuses another format rather than
// counting something.
func TestWrongParser(t *testing.T) {
	tests := []struct{ file, parser string }{
		{"postfix-p-hold3.txt", "ParsePostqueueJSON"},
		{"postfix-p-hold3.txt", "ParseNumber"},
		{"postfix-j-hold3.txt", "ParseNumber"},
		{"exim-bp-3.txt", "ParseNumber"},
		{"postfix-j-empty.txt", "ParseNumber"}, // no output is no number
	}
	for _, tt := range tests {
		t.Run(tt.parser+"/"+tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if n, err := parsers[tt.parser](bytes.NewReader(data)); err == nil {
				t.Errorf("%s = %d, want an error", tt.parser, n)
			}
		})
	}
}

func TestParse(t *testing.T) {
	long := `{"queue_name": "active", "recipients": [` + strings.Repeat(`{"address": "x@example.test"}, `, 5000) + `{}]}`
	tests := []struct {
		name    string
		parser  string
		in      string
		want    int
		wantErr string
	}{
		{"number", "Parse", "5000\n", 5000, ""},
		{"number with spaces (wc -l on BSD)", "Parse", "    42\n", 42, ""},
		{"number, blank lines around", "ParseNumber", "\n 7 \n\n", 7, ""},
		{"number CRLF", "ParseNumber", "7\r\n", 7, ""},
		{"negative", "ParseNumber", "-1\n", 0, "not a message count"},
		{"two numbers", "ParseNumber", "1\n2\n", 0, "more than one line"},
		{"two numbers, sniffed", "Parse", "1\n2\n", 0, "not a mail queue listing"},
		{"huge number", "ParseNumber", "99999999999999999999\n", 0, "not a message count"},
		{"number and words", "Parse", "12 messages\n", 0, "not a mail queue listing"},
		{"nothing", "Parse", "", 0, ""},
		{"blank", "Parse", " \n\n", 0, ""},
		{"json CRLF", "Parse", "{\"queue_id\": \"A\"}\r\n{\"queue_id\": \"B\"}\r\n", 2, ""},
		{"json blank lines", "ParsePostqueueJSON", "\n{}\n\n{}\n", 2, ""},
		{"json no final newline", "ParsePostqueueJSON", "{}\n{}", 2, ""},
		{"json garbage", "Parse", "{}\npostqueue: warning: blah\n", 0, `line 2: "postqueue: warning: blah"`},
		{"json cut object", "ParsePostqueueJSON", "{\"queue_id\": \n", 0, "line 1"},
		{"json long line", "ParsePostqueueJSON", "{}\n" + long + "\n{}\n", 3, ""},
		{"json long line, sniffed", "Parse", long + "\n" + long, 2, ""},
		{"postfix singular", "ParseListing", "-- 0 Kbytes in 1 Request.\n", 1, ""},
		{"postfix cut before total", "ParseListing",
			"-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n7FFF698648A!     425 Fri Nov 27 02:51:53  alice@example.test\n", 0,
			`first line "-Queue ID-`},
		{"postfix total overflow", "ParseListing", "-- 1 Kbytes in 99999999999999999999999 Requests.\n", 0, "out of range"},
		{"sendmail totals overflow", "ParseListing", "\t\tTotal requests: 9223372036854775807\n\t\tTotal requests: 1\n", 0, "out of range"},
		{"unknown text", "Parse", "mailq: command not found\n", 0, "not a mail queue listing"},
		{"exim, untrusted sender", "ParseListing", " 0m   312 1rBNGu-00000000Jku-0A2N (www-data) <x@example.org>\n          a@example.net\n", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := parsers[tt.parser](strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("%s = %d, %v; want error with %q", tt.parser, n, err, tt.wantErr)
				}
				return
			}
			if err != nil || n != tt.want {
				t.Errorf("%s = %d, %v; want %d", tt.parser, n, err, tt.want)
			}
		})
	}
}

// FuzzParse checks that no input makes a parser panic or count below
// zero, and that the result does not depend on how the input is read.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("12\n"))
	f.Add([]byte("{\n}"))
	f.Add([]byte("-- 1 Kbytes in 2 Requests.\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, parse := range parsers {
			n, err := parse(bytes.NewReader(data))
			if err == nil && n < 0 {
				t.Errorf("%s = %d", name, n)
			}
			n2, err2 := parse(iotest.OneByteReader(bytes.NewReader(data)))
			if n2 != n || (err == nil) != (err2 == nil) {
				t.Errorf("%s: %d, %v at once; %d, %v one byte at a time", name, n, err, n2, err2)
			}
		}
	})
}
