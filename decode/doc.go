// Package decode undoes the obfuscation layers PHP droppers wrap around web
// shells — eval(gzinflate(base64_decode('...'))), str_rot13, strrev, hex
// and octal escapes, chr() concatenations, urldecode, pack('H*'), hex2bin,
// convert_uudecode, character arrays joined at run time, strings built with
// the bitwise operators ^ | & ~, preg_replace /e — without executing
// anything.
//
// Layers lexes a buffer once, evaluates only pure string functions whose
// arguments are literals (or variables assigned literals earlier), and
// returns each decoded piece with the chain of decoders undone to reach it.
// Decoded pieces are decoded again, depth first, within a Budget that
// bounds nesting, the number of pieces and the bytes allocated, so zip
// bombs, deep nesting and pathological input cost bounded time and memory.
// Feeding the pieces to a signature matcher is the caller's job.
//
// The package imports nothing but the standard library.
package decode
