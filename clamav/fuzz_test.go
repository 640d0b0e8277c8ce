package clamav

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseReplies feeds one string to every reply parser. Its seeds are real
// clamd 1.4.6 replies and edge cases, so `go test` runs it as a regression
// test.
func FuzzParseReplies(f *testing.F) {
	for _, s := range []string{
		"PONG", fakeVersion, "ClamAV 1.4.6", "ClamAV 1.4.6/", "ClamAV //", fakeStats,
		"THREADS: live 1  idle 0 max 10 idle-timeout 30\nQUEUE: 0 items\nEND",
		"THREADS: max", "THREADS: live 1 max 99999999999999999999999",
		"stream: OK", "stream: Spamgear.Test.Marker.UNOFFICIAL FOUND", "stream: a:b c FOUND",
		"INSTREAM size limit exceeded. ERROR", "x ERROR", " ERROR", "stream:  FOUND", "\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseVersion(s); err == nil {
			if v.Engine == "" || strings.ContainsAny(v.Engine, "/ \t") || v.DBVersion < 0 || v.Raw != s {
				t.Fatalf("parseVersion(%q) = %+v", s, v)
			}
		}
		if st, err := parseStats(s); err == nil {
			if st.MaxThreads < 0 || st.Live < 0 || st.Idle < 0 || st.Queue < 0 || !strings.Contains(s, "THREADS") {
				t.Fatalf("parseStats(%q) = %+v", s, st)
			}
		}
		r, err := parseScanReply(s)
		switch {
		case err != nil:
			if r != (Result{}) {
				t.Fatalf("parseScanReply(%q) = %+v with error %v", s, r, err)
			}
			if errors.Is(err, ErrSizeLimit) && !strings.Contains(s, sizeLimitReply) {
				t.Fatalf("parseScanReply(%q): size limit without clamd's text", s)
			}
		case r.Infected:
			if r.Signature == "" || s != "stream: "+r.Signature+" FOUND" && !strings.Contains(s, r.Signature) {
				t.Fatalf("parseScanReply(%q) = %+v", s, r)
			}
			if !strings.HasPrefix(s, "stream: ") || !strings.HasSuffix(s, " FOUND") {
				t.Fatalf("parseScanReply(%q) = %+v: infected without stream:/FOUND", s, r)
			}
		default:
			if r.Signature != "" || strings.TrimPrefix(s, "stream: ") != "OK" {
				t.Fatalf("parseScanReply(%q) = clean %+v", s, r)
			}
		}
	})
}
