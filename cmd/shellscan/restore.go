package main

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/remediate"
	"github.com/spamgear/spamgear/report"
)

// restoreOptions are the options of `shellscan restore`.
type restoreOptions struct {
	dir      string
	allSince string
	list     bool
	dryRun   bool
	auditLog string
}

const restoreLong = `restore puts quarantined files back where they were, with their owner,
mode and modification time, from the manifest of the quarantine directory.

A PATH is the file's original path or its path in quarantine; when a file was
quarantined more than once, the latest copy is restored. --all-since restores
everything quarantined at or after TIME. A file is never restored over one
that has appeared at its original path since (a cleaned file included: move
that away first), nor when its copy in quarantine no longer has the recorded
SHA-256.

Exit status: 0 all restored, 2 usage error, 3 some files could not be restored.`

const restoreExample = `  shellscan restore --list
  shellscan restore /home/alice/public_html/wp-config.php
  shellscan restore --all-since 2026-11-27T01:00:00Z
  shellscan restore --all-since 24h --dry-run`

func newRestoreCommand(e *env) *cobra.Command {
	o := &restoreOptions{}
	cmd := &cobra.Command{
		Use:     "restore [OPTIONS] PATH... | --all-since TIME | --list",
		Short:   "Put quarantined files back",
		Long:    restoreLong,
		Example: restoreExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRestore(cmd.Context(), e, o, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.dir, "quarantine", "q", cmp.Or(e.quarantine, remediate.DefaultQuarantineDir), "the quarantine `DIR`")
	fs.StringVar(&o.allSince, "all-since", "", "restore every file quarantined at or after `TIME` (RFC 3339, YYYY-MM-DD, or a duration ago such as 24h)")
	fs.BoolVar(&o.list, "list", false, "list the files in quarantine and exit")
	fs.BoolVar(&o.dryRun, "dry-run", false, "say what would be restored, change nothing")
	fs.StringVar(&o.auditLog, "audit-log", cmp.Or(e.auditLog, remediate.DefaultAuditLog), "append every restore to `FILE` (JSON lines)")
	return cmd
}

func runRestore(_ context.Context, e *env, o *restoreOptions, args []string) error {
	modes := 0
	for _, set := range []bool{len(args) > 0, o.allSince != "", o.list} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return usageErrorf("restore: give PATHs, --all-since TIME or --list (one of them)")
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return usageErrorf("restore: %v", err)
	}
	q := &remediate.Quarantine{Dir: dir, DryRun: o.dryRun}
	recs, err := q.Manifest()
	if err != nil {
		if len(recs) == 0 {
			return &exitError{code: exitUsage, err: fmt.Errorf("restore: %w", err)}
		}
		fmt.Fprintf(e.stderr, "shellscan: restore: %v\n", err) // torn lines: the rest is usable
	}
	pending := remediate.Pending(recs)
	if o.list {
		for _, r := range pending {
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\n", r.Time.Format(time.RFC3339), r.Action,
				report.EscapePath(string(r.Path)), report.EscapePath(string(r.QuarantinePath)), strings.Join(r.Signatures, ","))
		}
		return nil
	}
	var chosen []remediate.Record
	if o.allSince != "" {
		since, err := parseSince(o.allSince, time.Now())
		if err != nil {
			return usageErrorf("--all-since: %v", err)
		}
		chosen = remediate.SelectSince(pending, since)
	}
	failed := 0
	for _, a := range args {
		p, err := filepath.Abs(a)
		if err != nil {
			return usageErrorf("restore: %v", err)
		}
		r, ok := remediate.SelectPath(pending, p)
		if !ok {
			fmt.Fprintf(e.stderr, "shellscan: restore %s: not in the manifest of %s (or restored already)\n", report.EscapePath(p), dir)
			failed++
			continue
		}
		chosen = append(chosen, r)
	}
	var audit *remediate.Audit
	if !o.dryRun && len(chosen) > 0 {
		if audit, err = remediate.OpenAudit(o.auditLog, "shellscan"); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%w (actions must be logged: choose a file with --audit-log)", err)}
		}
		defer audit.Close()
	}
	for _, r := range chosen {
		err := q.Restore(r)
		entry := remediate.Entry{Action: "restore", Path: r.Path, Target: r.QuarantinePath, SHA256: r.SHA256, Signatures: r.Signatures}
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(e.stderr, "shellscan: restore: %s\n", report.EscapePath(err.Error()))
			entry.Error = err.Error()
		case o.dryRun:
			fmt.Fprintf(e.stdout, "would restore %s from %s\n", report.EscapePath(string(r.Path)), report.EscapePath(string(r.QuarantinePath)))
			continue
		default:
			fmt.Fprintf(e.stdout, "restored %s from %s\n", report.EscapePath(string(r.Path)), report.EscapePath(string(r.QuarantinePath)))
		}
		if aerr := audit.Log(entry); aerr != nil {
			fmt.Fprintf(e.stderr, "shellscan: %v\n", aerr)
		}
	}
	if failed > 0 {
		return &exitError{code: exitIncomplete, err: fmt.Errorf("restore: %d file(s) not restored", failed)}
	}
	return nil
}

// parseSince reads an RFC 3339 time, a date, or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-11-27T01:00:00Z), YYYY-MM-DD, or a duration such as 24h", s)
}
