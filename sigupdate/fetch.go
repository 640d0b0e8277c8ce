package sigupdate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Defaults for a Fetcher's zero fields.
const (
	DefaultTimeout = 60 * time.Second
	DefaultMaxSize = 64 << 20
	// maxStepTimeout bounds the connect and the TLS handshake on their own,
	// within the whole download's timeout.
	maxStepTimeout = 30 * time.Second
	maxRedirects   = 10
	userAgent      = "spamgear-shellscan-updatedb"
)

// Fetcher downloads signature files. The zero value is usable: HTTPS only,
// DefaultTimeout, DefaultMaxSize, a client made by NewClient. Safe for
// concurrent use once set up.
type Fetcher struct {
	// Client does the requests; nil means NewClient(Timeout, nil). Tests
	// inject httptest.NewTLSServer's Client(). The Fetcher uses a copy with
	// its own redirect check, so the client's CheckRedirect only adds to it.
	Client *http.Client
	// Timeout bounds each download as a whole (connect, TLS handshake,
	// headers and body); 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxSize is the largest body accepted, in bytes (after any transfer
	// decoding); 0 means DefaultMaxSize.
	MaxSize int64
	// AllowHTTP allows plain http:// URLs and redirects to them (a local
	// mirror). Without it only https:// is fetched.
	AllowHTTP bool
}

// NewClient returns an HTTP client whose every step is bounded: connect
// and TLS handshake by min(timeout, 30s), the response headers and the
// whole request by timeout. TLS 1.2 at least; roots nil means the system's
// CAs. Proxies come from the environment (HTTPS_PROXY, NO_PROXY).
func NewClient(timeout time.Duration, roots *x509.CertPool) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	step := min(timeout, maxStepTimeout)
	dialer := &net.Dialer{Timeout: step, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		TLSHandshakeTimeout:    step,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// CheckURL parses a source URL: absolute, with a host, https (or http when
// allowHTTP).
func CheckURL(raw string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %v", raw, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		return nil, fmt.Errorf("%s: %w (plain http:// only for a local mirror, when allowed)", u.Redacted(), ErrInsecureURL)
	default:
		return nil, fmt.Errorf("bad URL %q: want https://HOST/PATH", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bad URL %q: no host", u.Redacted())
	}
	return u, nil
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return DefaultTimeout
}

func (f *Fetcher) maxSize() int64 {
	if f.MaxSize > 0 {
		return f.MaxSize
	}
	return DefaultMaxSize
}

// Fetch downloads rawURL and returns its body. It fails, wrapping one of
// the package's errors where one fits, on a non-HTTPS URL or redirect
// (ErrInsecureURL, unless AllowHTTP), a status other than 200
// (ErrHTTPStatus), a body larger than MaxSize (ErrTooLarge), or when
// Timeout passes (context.DeadlineExceeded). When ctx is cancelled it
// returns ctx's error.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := CheckURL(rawURL, f.AllowHTTP)
	if err != nil {
		return nil, err
	}
	shown := u.Redacted()
	timeout := f.timeout()
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	client := f.Client
	if client == nil {
		client = NewClient(timeout, nil)
	}
	c := *client
	next := client.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if req.URL.Scheme != "https" && !f.AllowHTTP {
			return fmt.Errorf("redirect to %s refused: %w", req.URL.Redacted(), ErrInsecureURL)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}

	req, err := http.NewRequestWithContext(dctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", shown, err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.Do(req)
	if err != nil {
		return nil, f.fetchError(ctx, dctx, shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %w: %s", shown, ErrHTTPStatus, resp.Status)
	}
	limit := f.maxSize()
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("GET %s: %w: %d bytes announced, the limit is %d", shown, ErrTooLarge, resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err == nil && dctx.Err() != nil {
		// The deadline passed as the body ended: a body cut short by the
		// cancellation can look complete.
		err = dctx.Err()
	}
	if err != nil {
		return nil, f.fetchError(ctx, dctx, shown, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: %w: more than %d bytes", shown, ErrTooLarge, limit)
	}
	return body, nil
}

// fetchError describes a failed request: cancelled by the caller, timed out,
// refused by the redirect check, or a network error. The *url.Error layer
// (which repeats the URL, unredacted) is dropped.
func (f *Fetcher) fetchError(ctx, dctx context.Context, shown string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if dctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("GET %s: timed out after %v: %w", shown, f.timeout(), context.DeadlineExceeded)
	}
	return fmt.Errorf("GET %s: %w", shown, err)
}
