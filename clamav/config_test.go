package clamav

import (
	"os"
	"path/filepath"
	"testing"
)

func TestConfigStreamMaxLength(t *testing.T) {
	tests := []struct {
		name, conf string
		want       int64
		ok         bool
	}{
		{"debian", "LocalSocket /x\nStreamMaxLength 25M\nLogFile /y\n", 25 << 20, true},
		{"lower case unit", "StreamMaxLength 512k", 512 << 10, true},
		{"gigabytes", "  StreamMaxLength\t2G  ", 2 << 30, true},
		{"bytes", "StreamMaxLength 1048577", 1048577, true},
		{"key case", "streammaxlength 10m", 10 << 20, true},
		{"zero is no limit", "StreamMaxLength 0", 0, true},
		{"last wins", "StreamMaxLength 1M\nStreamMaxLength 3M", 3 << 20, true},
		{"commented out", "#StreamMaxLength 25M\n# StreamMaxLength 1M\n", DefaultStreamMaxLength, true},
		{"absent", "LocalSocket /x\n", DefaultStreamMaxLength, true},
		{"empty file", "", DefaultStreamMaxLength, true},
		{"other option with prefix", "StreamMaxLengthX 1M", DefaultStreamMaxLength, true},
		{"malformed", "StreamMaxLength lots", 0, false},
		{"missing value", "StreamMaxLength", 0, false},
		{"negative", "StreamMaxLength -1M", 0, false},
		{"overflow", "StreamMaxLength 99999999999999999G", 0, false},
		{"bad unit", "StreamMaxLength 5T", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "clamd.conf")
			if err := os.WriteFile(p, []byte(tt.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			got, ok := ConfigStreamMaxLength(p)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("ConfigStreamMaxLength = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if n, ok := ConfigStreamMaxLength(filepath.Join(t.TempDir(), "missing.conf")); ok || n != 0 {
		t.Fatalf("missing file: %d, %v", n, ok)
	}
}
