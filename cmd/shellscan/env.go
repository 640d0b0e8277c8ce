package main

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/spamgear/spamgear/cache"
	"github.com/spamgear/spamgear/remediate"
)

// env is the process's outside world, replaceable in tests.
type env struct {
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	stdinPiped  bool
	stderrIsTTY bool
	cachePath   string // default --cache
	quarantine  string // default quarantine directory
	auditLog    string // default --audit-log
}

func defaultEnv() *env {
	return &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stdinPiped:  stdinIsPiped(),
		stderrIsTTY: term.IsTerminal(int(os.Stderr.Fd())),
		cachePath:   cache.DefaultPath(),
		quarantine:  remediate.DefaultQuarantineDir,
		auditLog:    remediate.DefaultAuditLog,
	}
}
