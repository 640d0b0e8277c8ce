package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/clamav"
	"github.com/spamgear/spamgear/clamav/clamdtest"
	"github.com/spamgear/spamgear/signatures"
)

// clamdMarker is the harmless string clamdtest's default database flags.
var clamdMarker = clamdtest.DefaultSigs["Spamgear.Test.Marker"]

func clamdRun(t *testing.T, srv *clamdtest.Server, cfg Clamd, files map[string]string) map[string]*Verdict {
	t.Helper()
	root := tree(t, files)
	c := &clamav.Client{Addr: srv.Addr()}
	cfg.Pool = clamav.NewPool(c, 3)
	var sink collect
	err := Run(context.Background(), Config{Matcher: fakeMatcher{&signatures.Rule{ID: "T", Name: "T", Engine: "RULES"}},
		Workers: 2, Dedupe: -1, Clamd: &cfg}, Inputs{Roots: []string{root}}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Verdict{}
	real, _ := filepath.EvalSymlinks(root)
	for p, v := range sink.verdicts {
		rel, _ := filepath.Rel(real, p)
		out[rel] = v
	}
	return out
}

// TestClamdSeesTheSameRead runs files through our matcher and a real clamd
// in one pass.
func TestClamdSeesTheSameRead(t *testing.T) {
	srv := clamdtest.Start(t, nil, clamdtest.WithStreamMaxLength("1M"))
	files := map[string]string{
		"marked.php":  "<?php /* " + clamdMarker + " */ ?>",
		"ours.php":    "<?php BAD ?>",
		"both.php":    "<?php BAD " + clamdMarker + " ?>",
		"clean.php":   "<?php echo 1; ?>",
		"big.bin":     strings.Repeat("x", 2<<20) + clamdMarker,
		"image.jpg":   "\xff\xd8\xff\x00" + clamdMarker,
		"dup1.php":    "<?php " + clamdMarker,
		"dup2.php":    "<?php " + clamdMarker,
		"plain.txt":   "hello",
		"README.html": "<p>" + clamdMarker + "</p>",
	}
	vs := clamdRun(t, srv, Clamd{MaxSize: 1 << 20}, files)
	engines := func(v *Verdict) string {
		var es []string
		for _, f := range v.Findings {
			es = append(es, f.Rule.Engine+":"+f.Rule.Name)
		}
		return strings.Join(es, ",")
	}
	sig := clamdtest.ReportedName("Spamgear.Test.Marker")
	for name, want := range map[string]string{
		"marked.php": "CLAMAV:" + sig, "ours.php": "RULES:T", "both.php": "RULES:T,CLAMAV:" + sig,
		"clean.php": "", "big.bin": "", "image.jpg": "CLAMAV:" + sig, "dup1.php": "CLAMAV:" + sig, "dup2.php": "CLAMAV:" + sig,
	} {
		if got := engines(vs[name]); got != want {
			t.Errorf("%s: findings %q, want %q", name, got, want)
		}
	}
	if vs["big.bin"].Clamd != ClamdTooBig || vs["clean.php"].Clamd != ClamdScanned {
		t.Errorf("statuses: big %v, clean %v", vs["big.bin"].Clamd, vs["clean.php"].Clamd)
	}

	// Only flagged: clean PHP is not sent; unknown kinds and flagged files are.
	vs = clamdRun(t, srv, Clamd{MaxSize: 1 << 20, OnlyFlagged: true}, files)
	for name, want := range map[string]ClamdStatus{"clean.php": ClamdNotSent, "marked.php": ClamdNotSent,
		"ours.php": ClamdScanned, "image.jpg": ClamdScanned, "plain.txt": ClamdScanned} {
		if got := vs[name].Clamd; got != want {
			t.Errorf("only flagged: %s status %v, want %v", name, got, want)
		}
	}

	// clamd gone: every file is still matched by our engines, and marked
	// as missed by clamd.
	srv.Kill()
	vs = clamdRun(t, srv, Clamd{}, files)
	for name, v := range vs {
		if v.Clamd != ClamdMissed {
			t.Errorf("clamd down: %s status %v", name, v.Clamd)
		}
	}
	if engines(vs["ours.php"]) != "RULES:T" {
		t.Error("our engines stopped with clamd")
	}
}

// dyingClamd answers "stream: OK" to the first n INSTREAM connections,
// then stops listening (clamd killed mid-scan).
func dyingClamd(t *testing.T, n int) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "clamd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(c)
			if _, err := r.ReadString(0); err == nil { // zINSTREAM\0
				for {
					var size uint32
					if binary.Read(r, binary.BigEndian, &size) != nil || size == 0 {
						break
					}
					if _, err := io.CopyN(io.Discard, r, int64(size)); err != nil {
						break
					}
				}
				c.Write([]byte("stream: OK\x00"))
			}
			c.Close()
		}
		l.Close() // the socket file goes too: the next dial fails
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return sock
}

func TestClamdDiesMidScan(t *testing.T) {
	files := map[string]string{}
	for i := range 20 {
		files[fmt.Sprintf("f%02d.php", i)] = fmt.Sprintf("<?php echo %d;", i)
	}
	root := tree(t, files)
	var logs bytes.Buffer
	cfg := Config{Matcher: fakeMatcher{&signatures.Rule{}}, Workers: 1, Dedupe: -1,
		Log:   slog.New(slog.NewTextHandler(&logs, nil)),
		Clamd: &Clamd{Pool: clamav.NewPool(&clamav.Client{Addr: dyingClamd(t, 5)}, 1)}}
	var sink collect
	if err := Run(context.Background(), cfg, Inputs{Roots: []string{root}}, &sink); err != nil {
		t.Fatal(err)
	}
	count := map[ClamdStatus]int{}
	for _, v := range sink.verdicts {
		count[v.Clamd]++
		if v.Err != nil {
			t.Errorf("%s: %v", v.Target.Path, v.Err)
		}
	}
	if count[ClamdScanned] != 5 || count[ClamdMissed] != 15 || len(sink.verdicts) != 20 {
		t.Errorf("statuses %v of %d files; want 5 scanned, 15 missed", count, len(sink.verdicts))
	}
	if n := strings.Count(logs.String(), "clamd is not answering"); n != 1 {
		t.Errorf("%d warnings, want one:\n%s", n, logs.String())
	}
}
