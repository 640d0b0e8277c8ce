package clamav

import (
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in, network, address string
	}{
		{"unix:///var/run/clamav/clamd.ctl", "unix", "/var/run/clamav/clamd.ctl"},
		{"unix:/run/clamd.sock", "unix", "/run/clamd.sock"},
		{DefaultAddr, "unix", DefaultAddr},
		{"/tmp/a:b/clamd.sock", "unix", "/tmp/a:b/clamd.sock"},
		{"tcp://127.0.0.1:3310", "tcp", "127.0.0.1:3310"},
		{"tcp://[::1]:3310", "tcp", "[::1]:3310"},
		{"localhost:3310", "tcp", "localhost:3310"},
		{"clamav.internal:3310", "tcp", "clamav.internal:3310"},
	}
	for _, tt := range tests {
		network, address, err := ParseAddr(tt.in)
		if err != nil || network != tt.network || address != tt.address {
			t.Errorf("ParseAddr(%q) = %q, %q, %v; want %q, %q", tt.in, network, address, err, tt.network, tt.address)
		}
	}
	for _, in := range []string{
		"", "clamd.ctl", "relative/clamd.ctl", "unix://relative", "unix:", "tcp://", "tcp://host",
		"tcp://:3310", "host:", "host:0", "host:70000", "host:port", "http://host:3310", "udp://h:1",
	} {
		if n, a, err := ParseAddr(in); err == nil {
			t.Errorf("ParseAddr(%q) = %q, %q; want error", in, n, a)
		} else if !strings.Contains(err.Error(), "want unix:///path") {
			t.Errorf("ParseAddr(%q) error %q does not say what is accepted", in, err)
		}
	}
}
