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
