package decode

import (
	"testing"
)

// FuzzLayers checks the invariants of Layers on any input: no panic, no
// more than MaxLayers layers, no more than MaxBytes of output, no empty
// layer, chains bounded by depth. Seeds are the table tests.
func FuzzLayers(f *testing.F) {
	for _, tc := range layerCases() {
		f.Add([]byte(tc.in), uint8(0))
	}
	f.Add([]byte(`<?php eval(gzinflate(base64_decode('`+b64(string(deflateBomb(4000)))+`')));`), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, sel uint8) {
		budgets := []Budget{
			{},
			{MaxDepth: 2, MaxLayers: 3, MaxBytes: 256},
			{MaxDepth: 1, MaxLayers: 1, MaxBytes: 1},
			{MaxDepth: 4, MaxLayers: 16, MaxBytes: 4096},
		}
		b := budgets[int(sel)%len(budgets)]
		layers := Layers(in, b)
		checkBudget(t, "fuzz", layers, b)
	})
}

// FuzzBitwise checks the string operators against their definition on any
// bytes: ^ and & over the shorter operand, | over the longer (the rest of
// the longer copied), ~ over every byte.
func FuzzBitwise(f *testing.F) {
	f.Add([]byte("abc"), []byte("  "), uint8(0))
	f.Add([]byte("\x00\xff"), []byte("\x80"), uint8(2))
	f.Add([]byte(""), []byte("xyz"), uint8(3))
	f.Fuzz(func(t *testing.T, a, b []byte, op uint8) {
		lit := func(s []byte) string { return `"` + hexEscapes(string(s)) + `"` }
		var src string
		want := []byte{}
		switch op % 4 {
		case 0:
			src = lit(a) + "^" + lit(b)
			for i := 0; i < min(len(a), len(b)); i++ {
				want = append(want, a[i]^b[i])
			}
		case 1:
			src = lit(a) + "&" + lit(b)
			for i := 0; i < min(len(a), len(b)); i++ {
				want = append(want, a[i]&b[i])
			}
		case 2:
			src = lit(a) + "|" + lit(b)
			long, short := a, b
			if len(b) > len(a) {
				long, short = b, a
			}
			want = append(want, long...)
			for i := range short {
				want[i] |= short[i]
			}
		default:
			src = "~" + lit(a)
			for _, c := range a {
				want = append(want, ^c)
			}
		}
		v, ok := evalExpr(src)
		if !ok || string(v.data) != string(want) {
			t.Fatalf("%s = %q (ok %v), want %q", src, v.data, ok, want)
		}
	})
}
