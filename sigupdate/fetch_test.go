package sigupdate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hold blocks a handler until the client goes away (or a bound passes, so
// a broken test cannot hang).
func hold(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func TestFetch(t *testing.T) {
	body := []byte("the signature file\n")
	var plainHits atomic.Int64
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		w.Write(body)
	}))
	t.Cleanup(plain.Close)

	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != userAgent {
			http.Error(w, "no user agent", http.StatusBadRequest)
			return
		}
		w.Write(body)
	})
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) { hold(r) })
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
		w.(http.Flusher).Flush()
		hold(r)
		panic(http.ErrAbortHandler) // never end the body properly
	})
	mux.HandleFunc("/big-announced", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1048576")
		w.Write(bytes.Repeat([]byte("x"), 1<<20))
	})
	mux.HandleFunc("/big-streamed", func(w http.ResponseWriter, r *http.Request) {
		for range 64 { // chunked, no Content-Length: 1 MiB
			w.Write(bytes.Repeat([]byte("x"), 16<<10))
		}
	})
	mux.HandleFunc("/exactly-limit", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 4096))
	})
	mux.HandleFunc("/to-ok", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/to-http", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/x", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)

	tests := []struct {
		name      string
		url       string
		allowHTTP bool
		timeout   time.Duration
		maxSize   int64
		want      []byte
		wantIs    error  // errors.Is target
		wantMsg   string // substring of the error
		plainHits int64  // requests the plain-HTTP server must have seen
	}{
		{name: "ok", url: srv.URL + "/ok", want: body},
		{name: "redirect within https", url: srv.URL + "/to-ok", want: body},
		{name: "404", url: srv.URL + "/404", wantIs: ErrHTTPStatus, wantMsg: "404 Not Found"},
		{name: "500", url: srv.URL + "/500", wantIs: ErrHTTPStatus, wantMsg: "500 Internal Server Error"},
		{name: "timeout before headers", url: srv.URL + "/slow-headers", timeout: 200 * time.Millisecond,
			wantIs: context.DeadlineExceeded, wantMsg: "timed out after 200ms"},
		{name: "timeout in the body", url: srv.URL + "/slow-body", timeout: 200 * time.Millisecond,
			wantIs: context.DeadlineExceeded, wantMsg: "timed out"},
		{name: "oversize announced", url: srv.URL + "/big-announced", maxSize: 4096, wantIs: ErrTooLarge, wantMsg: "1048576 bytes announced"},
		{name: "oversize streamed", url: srv.URL + "/big-streamed", maxSize: 4096, wantIs: ErrTooLarge, wantMsg: "more than 4096 bytes"},
		{name: "exactly the limit", url: srv.URL + "/exactly-limit", maxSize: 4096, want: bytes.Repeat([]byte("x"), 4096)},
		{name: "http refused", url: plain.URL + "/x", wantIs: ErrInsecureURL, wantMsg: "HTTPS required"},
		{name: "redirect to http refused", url: srv.URL + "/to-http", wantIs: ErrInsecureURL, wantMsg: "redirect to " + plain.URL + "/x refused"},
		{name: "http allowed", url: plain.URL + "/x", allowHTTP: true, want: body, plainHits: 1},
		{name: "redirect to http allowed", url: srv.URL + "/to-http", allowHTTP: true, want: body, plainHits: 1},
		{name: "redirect loop", url: srv.URL + "/loop", wantMsg: "stopped after 10 redirects"},
		{name: "not a URL", url: "ftp://example.com/x", wantMsg: "want https://HOST/PATH"},
		{name: "password hidden", url: "http://user:secret@127.0.0.1:1/x", wantIs: ErrInsecureURL, wantMsg: "user:xxxxx@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plainHits.Store(0)
			f := &Fetcher{Client: srv.Client(), Timeout: tt.timeout, MaxSize: tt.maxSize, AllowHTTP: tt.allowHTTP}
			start := time.Now()
			got, err := f.Fetch(context.Background(), tt.url)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %v", elapsed)
			}
			if tt.want != nil {
				if err != nil || !bytes.Equal(got, tt.want) {
					t.Fatalf("got %d bytes, %v; want %d bytes", len(got), err, len(tt.want))
				}
			} else {
				if err == nil {
					t.Fatalf("no error, got %q", got)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("error %v is not %v", err, tt.wantIs)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q does not say %q", err, tt.wantMsg)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error %q shows the password", err)
				}
			}
			if n := plainHits.Load(); n != tt.plainHits {
				t.Errorf("plain-HTTP server got %d requests, want %d", n, tt.plainHits)
			}
		})
	}
}

func TestFetchCancelled(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hold(r) }))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := (&Fetcher{Client: srv.Client()}).Fetch(ctx, srv.URL)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// TestFetchDefaultClient goes through NewClient's transport: an untrusted
// certificate fails, and the timeouts are all set.
func TestFetchDefaultClient(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "x")
	}))
	t.Cleanup(srv.Close)
	_, err := (&Fetcher{Timeout: 5 * time.Second}).Fetch(context.Background(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("self-signed server: got %v, want a certificate error", err)
	}
	c := NewClient(90*time.Second, nil)
	tr := c.Transport.(*http.Transport)
	if c.Timeout != 90*time.Second || tr.TLSHandshakeTimeout != 30*time.Second || tr.ResponseHeaderTimeout != 90*time.Second {
		t.Errorf("timeouts: client %v, TLS %v, headers %v", c.Timeout, tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout)
	}
	if c := NewClient(2*time.Second, nil); c.Transport.(*http.Transport).TLSHandshakeTimeout != 2*time.Second {
		t.Errorf("TLS handshake timeout above the overall timeout")
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url       string
		allowHTTP bool
		ok        bool
	}{
		{"https://mirror.example/shelldetect.db", false, true},
		{"http://mirror.example/shelldetect.db", false, false},
		{"http://mirror.example/shelldetect.db", true, true},
		{"HTTPS://mirror.example/x", false, true}, // url.Parse lower-cases the scheme
		{"https:///x", false, false},
		{"/tmp/shelldetect.db", true, false},
		{"file:///etc/passwd", true, false},
		{"ftp://mirror.example/x", true, false},
		{"https://bad host/", false, false},
	}
	for _, tt := range tests {
		_, err := CheckURL(tt.url, tt.allowHTTP)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q, %v) = %v, want ok=%v", tt.url, tt.allowHTTP, err, tt.ok)
		}
	}
}
