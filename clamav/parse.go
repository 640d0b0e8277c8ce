package clamav

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version is clamd's answer to VERSION.
type Version struct {
	Engine    string // "1.4.6"
	DBVersion int    // daily database version, 0 when no official database is loaded
	DBTime    string // database build time as clamd prints it, "" when absent
	Raw       string // the whole reply
}

// Stats is the part of clamd's STATS reply that callers use.
type Stats struct {
	Pools       int    // POOLS
	State       string // STATE, e.g. "VALID PRIMARY"
	Live        int    // THREADS live: threads working, including the one answering STATS
	Idle        int    // THREADS idle
	MaxThreads  int    // THREADS max: clamd's MaxThreads
	IdleTimeout int    // THREADS idle-timeout, seconds
	Queue       int    // QUEUE: items waiting for a thread
	Raw         string // the whole reply
}

// Result is clamd's verdict on one stream.
type Result struct {
	Infected  bool
	Signature string // e.g. "Win.Test.EICAR_HDB-1"; "" when not infected
}

// parseVersion parses "ClamAV 1.4.6/27481/Tue Nov 26 09:32:01 2026" or
// "ClamAV 1.4.6".
func parseVersion(reply string) (Version, error) {
	v := Version{Raw: reply}
	rest, ok := strings.CutPrefix(reply, "ClamAV ")
	if !ok {
		return Version{}, fmt.Errorf("unexpected reply %q", clip(reply))
	}
	parts := strings.SplitN(rest, "/", 3)
	v.Engine = strings.TrimSpace(parts[0])
	if v.Engine == "" || strings.ContainsAny(v.Engine, " \t") {
		return Version{}, fmt.Errorf("bad engine version in %q", reply)
	}
	if len(parts) > 1 {
		n, err := strconv.Atoi(strings.TrimSpace(parts[1]))
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("bad database version in %q", reply)
		}
		v.DBVersion = n
	}
	if len(parts) > 2 {
		v.DBTime = strings.TrimSpace(parts[2])
	}
	return v, nil
}

// parseStats parses the lines of a STATS reply it knows and ignores the
// others. The THREADS line is required.
func parseStats(reply string) (Stats, error) {
	st := Stats{Raw: reply}
	threads := false
	for line := range strings.Lines(reply) {
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue // "END", blank lines, "\tSTATS 0.000002"
		}
		f := strings.Fields(val)
		switch key {
		case "POOLS":
			if len(f) > 0 {
				st.Pools, _ = atoi(f[0])
			}
		case "STATE":
			st.State = strings.Join(f, " ")
		case "THREADS":
			if threads {
				continue // one line per pool; the first is the primary
			}
			if err := parseThreads(f, &st); err != nil {
				return Stats{}, fmt.Errorf("%w in %q", err, line)
			}
			threads = true
		case "QUEUE":
			if len(f) > 0 {
				n, err := atoi(f[0])
				if err != nil {
					return Stats{}, fmt.Errorf("bad QUEUE line %q", line)
				}
				st.Queue += n
			}
		}
	}
	if !threads {
		return Stats{}, fmt.Errorf("no THREADS line in reply %q", clip(reply))
	}
	return st, nil
}

// parseThreads reads "live 1  idle 0 max 10 idle-timeout 30" as key/value
// pairs, ignoring keys it does not know.
func parseThreads(f []string, st *Stats) error {
	seenMax := false
	for i := 0; i+1 < len(f); i += 2 {
		n, err := atoi(f[i+1])
		if err != nil {
			return fmt.Errorf("bad THREADS value %q", f[i+1])
		}
		switch f[i] {
		case "live":
			st.Live = n
		case "idle":
			st.Idle = n
		case "max":
			st.MaxThreads, seenMax = n, true
		case "idle-timeout":
			st.IdleTimeout = n
		}
	}
	if !seenMax {
		return errors.New("no max in THREADS line")
	}
	return nil
}

func atoi(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return n, nil
}

const sizeLimitReply = "INSTREAM size limit exceeded."

// parseScanReply parses an INSTREAM reply. Signature names are found by
// cutting the "stream: " prefix and the " FOUND" suffix, never by splitting
// on ':', since names (and ExtendedDetectionInfo's "(hash:size)") hold ':'.
func parseScanReply(reply string) (Result, error) {
	rest := strings.TrimPrefix(reply, "stream: ")
	switch {
	case rest == "OK":
		return Result{}, nil
	case strings.HasSuffix(rest, " FOUND"):
		sig := strings.TrimSpace(strings.TrimSuffix(rest, " FOUND"))
		if sig == "" || rest == reply {
			break
		}
		return Result{Infected: true, Signature: sig}, nil
	case strings.HasPrefix(rest, sizeLimitReply):
		return Result{}, ErrSizeLimit
	case strings.HasSuffix(rest, " ERROR"):
		return Result{}, ServerError(strings.TrimSuffix(rest, " ERROR"))
	}
	return Result{}, fmt.Errorf("unexpected reply %q", clip(reply))
}

// clip shortens a reply quoted in an error.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
