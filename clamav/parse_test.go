package clamav

import (
	"errors"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		bad  bool
	}{
		{in: "ClamAV 1.4.6/27481/Tue Nov 26 09:32:01 2026",
			want: Version{Engine: "1.4.6", DBVersion: 27481, DBTime: "Tue Nov 26 09:32:01 2026"}},
		{in: "ClamAV 1.4.6", want: Version{Engine: "1.4.6"}},
		{in: "ClamAV 0.103.12/27000", want: Version{Engine: "0.103.12", DBVersion: 27000}},
		{in: "ClamAV 1.5.0-rc/1/x", want: Version{Engine: "1.5.0-rc", DBVersion: 1, DBTime: "x"}},
		{in: "", bad: true},
		{in: "PONG", bad: true},
		{in: "ClamAV ", bad: true},
		{in: "ClamAV 1.4.6/abc/Tue", bad: true},
		{in: "ClamAV 1.4.6/-3", bad: true},
		{in: "ClamAV 1 2", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseVersion(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseVersion(%q) = %+v, want error", tt.in, got)
				}
				return
			}
			tt.want.Raw = tt.in
			if err != nil || got != tt.want {
				t.Fatalf("parseVersion(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseStats(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Stats
		bad  bool
	}{
		{name: "clamd 1.4.6", in: fakeStats, want: Stats{Pools: 1, State: "VALID PRIMARY",
			Live: 1, MaxThreads: 7, IdleTimeout: 30}},
		{name: "brief", in: "THREADS: live 1  idle 0 max 10 idle-timeout 30\nQUEUE: 0 items",
			want: Stats{Live: 1, MaxThreads: 10, IdleTimeout: 30}},
		{name: "busy with END and CRLF", in: "POOLS: 1\r\n\r\nSTATE: VALID PRIMARY\r\n" +
			"THREADS: live 12  idle 0 max 12 idle-timeout 30\r\nQUEUE: 5 items\r\n" +
			"\tINSTREAM 1.02 \n\tINSTREAM 0.5\n\nMEMSTATS: x\nEND\n",
			want: Stats{Pools: 1, State: "VALID PRIMARY", Live: 12, MaxThreads: 12, IdleTimeout: 30, Queue: 5}},
		{name: "unknown keys and extra lines", in: "NEWTHING: 1 2\nTHREADS: live 2 idle 3 max 4 future 9\n",
			want: Stats{Live: 2, Idle: 3, MaxThreads: 4}},
		{name: "second pool ignored", in: "THREADS: live 1 idle 0 max 4\nTHREADS: live 9 idle 9 max 9\n",
			want: Stats{Live: 1, MaxThreads: 4}},
		{name: "no THREADS", in: "POOLS: 1\nQUEUE: 0 items\nEND", bad: true},
		{name: "THREADS without max", in: "THREADS: live 1 idle 0", bad: true},
		{name: "bad number", in: "THREADS: live x idle 0 max 4", bad: true},
		{name: "bad queue", in: "THREADS: max 4\nQUEUE: many items", bad: true},
		{name: "empty", in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStats(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseStats = %+v, want error", got)
				}
				return
			}
			tt.want.Raw = tt.in
			if err != nil || got != tt.want {
				t.Fatalf("parseStats = %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseScanReply(t *testing.T) {
	tests := []struct {
		in      string
		want    Result
		wantErr error // ErrSizeLimit, a ServerError, or errBadReply
	}{
		{in: "stream: OK", want: Result{}},
		{in: "stream: Win.Test.EICAR_HDB-1 FOUND", want: Result{true, "Win.Test.EICAR_HDB-1"}},
		{in: "stream: Win.Test:EICAR-1 FOUND", want: Result{true, "Win.Test:EICAR-1"}},
		{in: "stream: Some Sig With Spaces FOUND", want: Result{true, "Some Sig With Spaces"}},
		{in: "stream: Eicar-Signature(44d88612fea8a8f36de82e1278abb02f:68) FOUND",
			want: Result{true, "Eicar-Signature(44d88612fea8a8f36de82e1278abb02f:68)"}},
		{in: "stream: stream: X FOUND", want: Result{true, "stream: X"}},
		{in: "stream: FOUND FOUND", want: Result{true, "FOUND"}},
		{in: "INSTREAM size limit exceeded. ERROR", wantErr: ErrSizeLimit},
		{in: "stream: INSTREAM size limit exceeded. ERROR", wantErr: ErrSizeLimit},
		{in: "Can't allocate memory ERROR", wantErr: ServerError("Can't allocate memory")},
		{in: "stream: lstat() failed: No such file or directory. ERROR",
			wantErr: ServerError("lstat() failed: No such file or directory.")},
		{in: "", wantErr: errBadReply},
		{in: "stream: ", wantErr: errBadReply},
		{in: "stream:  FOUND", wantErr: errBadReply},
		{in: "X FOUND", wantErr: errBadReply},
		{in: "UNKNOWN COMMAND", wantErr: errBadReply},
		{in: "stream: OK extra", wantErr: errBadReply},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseScanReply(tt.in)
			switch {
			case tt.wantErr == nil:
				if err != nil || got != tt.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
			case tt.wantErr == errBadReply:
				var se ServerError
				if err == nil || errors.Is(err, ErrSizeLimit) || errors.As(err, &se) {
					t.Fatalf("got %+v, %v; want an unexpected-reply error", got, err)
				}
			default:
				if !errors.Is(err, tt.wantErr) && err != tt.wantErr {
					t.Fatalf("got %+v, %v; want %v", got, err, tt.wantErr)
				}
			}
		})
	}
}

var errBadReply = errors.New("bad reply (test marker)")
