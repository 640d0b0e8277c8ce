package decode

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// timeLimit is generous: the race detector slows the package ~10x, and the
// point is "not quadratic, not unbounded", not a benchmark.
const timeLimit = 20 * time.Second

func timed(t *testing.T, name string, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > timeLimit {
		t.Errorf("%s took %v", name, d)
	} else {
		t.Logf("%s: %v", name, d)
	}
}

func TestZipBomb(t *testing.T) {
	// 10 MB of zeros, deflated by compress/flate, base64, in eval(gzinflate(...)).
	zeros := strings.Repeat("\x00", 10<<20)
	in := []byte(`<?php eval(gzinflate(base64_decode('` + b64(deflateRaw(zeros)) + `')));`)
	t.Logf("10 MB bomb: %d bytes of PHP", len(in))
	for _, b := range []Budget{{MaxBytes: 1 << 20}, {MaxBytes: 64 << 10}, {}} {
		var layers []Layer
		timed(t, "10 MB bomb", func() { layers = Layers(in, b) })
		checkBudget(t, "10 MB bomb", layers, b)
		if len(layers) == 0 {
			t.Errorf("budget %+v: no layer at all (want the truncated output)", b)
		}
	}
}

func TestGigabyteBomb(t *testing.T) {
	// A 1 GB inflation (crafted DEFLATE, never materialised), compressed
	// again so the PHP stays small: gzinflate(gzinflate(base64_decode(...))).
	bomb := deflateBomb((1 << 30) / 258)
	in := []byte(`<?php eval(gzinflate(gzinflate(base64_decode('` + b64(deflateRaw(string(bomb))) + `'))));`)
	t.Logf("1 GB bomb: %d bytes of PHP, inner stream %d bytes", len(in), len(bomb))
	for _, b := range []Budget{{}, {MaxBytes: 1 << 20}} {
		var layers []Layer
		timed(t, "1 GB bomb", func() { layers = Layers(in, b) })
		checkBudget(t, "1 GB bomb", layers, b)
	}
	// The crafted stream itself in a blob-sized literal.
	in = []byte(`<?php $z = '` + base64.StdEncoding.EncodeToString(bomb[:4096]) + `';`)
	layers := Layers(in, Budget{MaxBytes: 1 << 20})
	checkBudget(t, "bomb blob", layers, Budget{MaxBytes: 1 << 20})
}

// TestDeepLayers nests 200 layers of eval(gzinflate(base64_decode(...))):
// decoding stops at MaxDepth.
func TestDeepLayers(t *testing.T) {
	p := echo1
	for range 200 {
		p = `eval(gzinflate(base64_decode('` + b64(deflateRaw(p)) + `')));`
	}
	in := []byte("<?php " + p)
	for _, depth := range []int{0, 1, 3, 50, 1000} {
		b := Budget{MaxDepth: depth, MaxLayers: 1000}
		var layers []Layer
		timed(t, "200 layers", func() { layers = Layers(in, b) })
		checkBudget(t, "200 layers", layers, b)
		want := min(b.withDefaults().MaxDepth, 200)
		if len(layers) != want {
			t.Errorf("MaxDepth %d: %d layers, want %d", depth, len(layers), want)
		}
		if n := len(layers); n > 0 && len(layers[n-1].Chain) != 2*n {
			t.Errorf("MaxDepth %d: deepest chain has %d steps, want %d", depth, len(layers[n-1].Chain), 2*n)
		}
	}
}

func TestMaxLayers(t *testing.T) {
	var in strings.Builder
	in.WriteString("<?php ")
	for i := range 500 {
		in.WriteString(`eval(base64_decode('` + b64("echo "+itoa(i)+";") + `'));`)
	}
	for _, n := range []int{1, 10, 64, 1000} {
		b := Budget{MaxLayers: n}
		layers := Layers([]byte(in.String()), b)
		checkBudget(t, "max layers", layers, b)
		if len(layers) != min(n, 500) {
			t.Errorf("MaxLayers %d: %d layers", n, len(layers))
		}
	}
}

// TestBudgetBytes checks that no combination of small budgets lets output
// exceed MaxBytes.
func TestBudgetBytes(t *testing.T) {
	for _, tc := range layerCases() {
		for _, max := range []int{1, 7, 64, 300, 4096} {
			b := Budget{MaxBytes: max, MaxDepth: 3, MaxLayers: 5}
			checkBudget(t, tc.name, Layers([]byte(tc.in), b), b)
		}
	}
}

func TestConcurrent(t *testing.T) {
	cases := layerCases()
	done := make(chan bool)
	for g := range 4 {
		go func() {
			for i := range cases {
				tc := cases[(i+g)%len(cases)]
				if tc.want == nil {
					continue
				}
				if got := chains(Layers([]byte(tc.in), Budget{})); len(got) != len(tc.want) {
					t.Errorf("%s: %d layers, want %d", tc.name, len(got), len(tc.want))
				}
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
}
