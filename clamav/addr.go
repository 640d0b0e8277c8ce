package clamav

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DefaultAddr is the clamd socket of Debian's clamav-daemon package.
const DefaultAddr = "/var/run/clamav/clamd.ctl"

// ParseAddr turns a clamd address into arguments for net.Dial. It accepts
// "unix:///path" (or "unix:/path"), a bare absolute socket path "/path",
// "tcp://host:port" and "host:port".
func ParseAddr(s string) (network, address string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("clamav: invalid clamd address %q: %s "+
			"(want unix:///path, /path, tcp://host:port or host:port)", s, why)
	}
	switch {
	case s == "":
		return bad("empty")
	case strings.HasPrefix(s, "unix:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "unix:"), "//")
		if !strings.HasPrefix(p, "/") {
			return bad("unix socket path must be absolute")
		}
		return "unix", p, nil
	case strings.HasPrefix(s, "/"):
		return "unix", s, nil
	case strings.HasPrefix(s, "tcp://"):
		return tcpAddr(strings.TrimPrefix(s, "tcp://"), bad)
	case strings.Contains(s, "://"):
		return bad("unknown scheme")
	default:
		return tcpAddr(s, bad)
	}
}

func tcpAddr(hp string, bad func(string) (string, string, error)) (string, string, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return bad("not host:port")
	}
	if host == "" {
		return bad("missing host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return bad("bad port")
	}
	return "tcp", hp, nil
}
