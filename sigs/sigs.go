// Package sigs holds spamgear's own default rules: TOML rule files embedded
// in the binary, so that a bare `shellscan DIR` is useful on a fresh machine.
//
// The rules describe techniques, not samples: request input reaching code or
// command execution, eval of decoded or encoded blobs, obfuscation idioms,
// and the banners and markers of well-known shells, uploaders and mailers.
// Every rule carries true- and false-positive snippets that are checked when
// the files are parsed.
package sigs

import (
	"embed"

	"github.com/spamgear/spamgear/signatures"
)

//go:embed *.toml
var files embed.FS

// fileOrder is the fixed load order of the embedded rule files.
var fileOrder = []string{
	"exec.toml",
	"obfuscation.toml",
	"shells.toml",
}

// Sources returns the embedded default rule files, in a fixed order, as
// signatures.Source values named "embedded:FILE.toml".
func Sources() []signatures.Source {
	out := make([]signatures.Source, 0, len(fileOrder))
	for _, name := range fileOrder {
		data, err := files.ReadFile(name)
		if err != nil {
			// The file list and the embed pattern are checked by the
			// package's tests; a missing file is a build mistake.
			panic("sigs: embedded rule file missing: " + name)
		}
		out = append(out, signatures.Source{Name: "embedded:" + name, Format: signatures.FormatTOML, Data: data})
	}
	return out
}
