package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/spamgear/spamgear/internal/mailflags"
	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/remediate"
	"github.com/spamgear/spamgear/remediate/mailer"
	"github.com/spamgear/spamgear/remediate/notify"
	"github.com/spamgear/spamgear/report"
	"github.com/spamgear/spamgear/scan"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/walker"
)

// actOptions are the remediation options of a scan.
type actOptions struct {
	quarantine  string
	clean       bool
	notifyUser  string
	customEmail string
	dryRun      bool
	auditLog    string
	mail        mailflags.Options
}

// AddFlags registers the remediation options.
func (o *actOptions) AddFlags(fs *pflag.FlagSet, e *env) {
	qdir, audit := cmp.Or(e.quarantine, remediate.DefaultQuarantineDir), cmp.Or(e.auditLog, remediate.DefaultAuditLog)
	fs.StringVarP(&o.quarantine, "quarantine", "q", "", "move infected files to `DIR`/<original path>, mode 000, with a manifest (default DIR "+qdir+"; undo with 'shellscan restore')")
	fs.Lookup("quarantine").NoOptDefVal = qdir
	fs.BoolVar(&o.clean, "clean", false, "remove injected code found by rules that know how (spam-gear's backdoors.re and others), keeping the rest of the file and the original in quarantine; a file that still matches afterwards, or holds nothing else, is quarantined whole")
	fs.StringVarP(&o.notifyUser, "notify-user", "n", "", "mail each affected hosting user one digest of their files and what was done; `PATTERN` takes the user from the path, first group (default '"+notify.DefaultUserPattern+"'; sed's \\(...\\) works too)")
	fs.Lookup("notify-user").NoOptDefVal = notify.DefaultUserPattern
	fs.StringVarP(&o.customEmail, "custom-email", "c", "", "notification template `FILE` for --notify-user: optional header lines, a blank line, the body; ${EMAIL}, ${USERNAME}, ${SHELLS}, ${HOSTNAME} are replaced")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print what --quarantine, --clean and --notify-user would do, and do nothing")
	fs.StringVar(&o.auditLog, "audit-log", audit, "append every action taken to `FILE` (JSON lines)")
	o.mail.AddFlags(fs)
}

// acting reports whether the options ask for any action.
func (o *actOptions) acting() bool {
	return o.quarantine != "" || o.clean || o.notifyUser != ""
}

// actor carries out the remediation of a scan, on the sink goroutine.
type actor struct {
	o      *actOptions
	q      *remediate.Quarantine // nil: no quarantine, no cleaning
	eng    matcher.Matcher
	audit  *remediate.Audit // nil in dry runs
	digest *notify.Collector
	tmpl   *notify.Template
	mail   mailer.Mailer
	domain string
	from   string
	host   string
	cwd    string
	log    *slog.Logger
	stderr io.Writer
	sum    *report.Summary
}

// newActor checks the remediation options and opens what they need; it
// fails before anything is scanned.
func newActor(o *actOptions, eng matcher.Matcher, e *env, log *slog.Logger, sum *report.Summary) (*actor, error) {
	if !o.acting() {
		if o.customEmail != "" {
			return nil, usageErrorf("-c/--custom-email needs -n/--notify-user")
		}
		return nil, nil
	}
	a := &actor{o: o, eng: eng, log: log, stderr: e.stderr, sum: sum}
	var err error
	if a.cwd, err = os.Getwd(); err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("current directory: %w", err)}
	}
	if o.quarantine != "" || o.clean {
		dir := cmp.Or(o.quarantine, e.quarantine, remediate.DefaultQuarantineDir)
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(a.cwd, dir)
		}
		a.q = &remediate.Quarantine{Dir: filepath.Clean(dir), DryRun: o.dryRun}
	}
	if o.notifyUser != "" {
		re, err := notify.ParseUserPattern(o.notifyUser)
		if err != nil {
			return nil, usageErrorf("-n/--notify-user: %v", err)
		}
		a.digest = notify.NewCollector(re)
		a.tmpl = notify.DefaultTemplate()
		if o.customEmail != "" {
			text, err := os.ReadFile(o.customEmail)
			if err != nil {
				return nil, usageErrorf("-c/--custom-email: %v", err)
			}
			if a.tmpl, err = notify.ParseTemplate(o.customEmail, text); err != nil {
				return nil, usageErrorf("-c/--custom-email: %v", err)
			}
		}
		if a.mail, err = o.mail.Mailer(); err != nil {
			return nil, usageErrorf("%v", err)
		}
		a.host, _ = os.Hostname()
		a.domain = o.mail.Domain
		if a.domain == "" {
			a.domain = notify.HostDomain()
		}
		if a.from, err = o.mail.Sender(); err != nil {
			return nil, usageErrorf("%v", err)
		}
	} else if o.customEmail != "" {
		return nil, usageErrorf("-c/--custom-email needs -n/--notify-user")
	}
	if !o.dryRun {
		if a.audit, err = remediate.OpenAudit(o.auditLog, "shellscan"); err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("%w (actions must be logged: choose a file with --audit-log)", err)}
		}
	}
	return a, nil
}

// close releases the audit log.
func (a *actor) close() {
	if a != nil {
		_ = a.audit.Close()
	}
}

// act remediates one infected file and returns the action for the report
// ("" when the file is only reported).
func (a *actor) act(v *scan.Verdict) string {
	if a == nil {
		return ""
	}
	var actionable []matcher.Finding
	for _, f := range v.Findings {
		// Category 2 ("potentially dangerous" legitimate files) is
		// reported, never acted on.
		if !f.Rule.Category.ReportOnly() {
			actionable = append(actionable, f)
		}
	}
	if len(actionable) == 0 {
		return ""
	}
	path := v.Target.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(a.cwd, path)
	}
	path = filepath.Clean(path)
	subj := remediate.Subject{Path: path, Dev: v.Target.Dev, Ino: v.Target.Ino, Size: v.Size, Signatures: ruleNames(actionable)}

	label, what := "", "reported"
	if a.q != nil && (a.o.quarantine != "" || cleanable(actionable)) {
		var (
			rec remediate.Record
			err error
		)
		if a.o.clean && cleanable(actionable) {
			rec, err = a.q.Clean(subj, a.cleanFunc(v))
		} else {
			rec, err = a.q.Move(subj)
		}
		label, what = a.record(subj, rec, err)
	}
	if a.digest != nil {
		a.digest.Add(notify.Item{Path: path, Signatures: subj.Signatures, Action: what})
	}
	return label
}

// record counts, logs and audits the outcome of a quarantine or clean, and
// returns the report label and the words for the user's digest.
func (a *actor) record(s remediate.Subject, rec remediate.Record, err error) (label, what string) {
	verb := "quarantine"
	if rec.Action == remediate.ActClean {
		verb = "clean"
	}
	if err != nil {
		a.sum.ActionsFailed++
		a.log.Warn(verb+" failed", "path", report.EscapePath(s.Path), "err", err)
		_ = a.audit.Log(remediate.Entry{Action: verb, Path: remediate.Path(s.Path), Signatures: s.Signatures, Error: err.Error()})
		return strings.ToUpper(verb) + " FAILED", "reported (it could not be moved: the administrator was told)"
	}
	qpath := string(rec.QuarantinePath)
	if a.o.dryRun {
		if verb == "clean" {
			fmt.Fprintf(a.stderr, "shellscan: dry run: would clean %s (original to %s)\n", report.EscapePath(s.Path), report.EscapePath(qpath))
			return "WOULD CLEAN", "cleaned (dry run)"
		}
		fmt.Fprintf(a.stderr, "shellscan: dry run: would move %s to %s\n", report.EscapePath(s.Path), report.EscapePath(qpath))
		return "WOULD QUARANTINE", "moved to quarantine (dry run)"
	}
	if err := a.audit.Log(remediate.Entry{Action: verb, Path: remediate.Path(s.Path), Target: rec.QuarantinePath,
		Signatures: s.Signatures, SHA256: rec.SHA256, Detail: rec.Detail}); err != nil {
		a.log.Warn("audit log", "err", err)
	}
	if verb == "clean" {
		a.sum.Cleaned++
		return "CLEANED", "cleaned: the injected code was removed, the rest of the file kept"
	}
	a.sum.Quarantined++
	return "QUARANTINED", "moved out of your site into quarantine"
}

// cleanFunc rescans the file's current content (it may have changed since
// the scan), removes what the cleanable rules among the hits match, and
// rescans the result: a file that still matches, or is left with nothing
// but white space and PHP tags, is quarantined whole.
func (a *actor) cleanFunc(v *scan.Verdict) remediate.CleanFunc {
	kinds := v.Kinds
	return func(content []byte) ([]byte, bool, string) {
		var rules []*signatures.Rule
		for _, f := range a.eng.Match(content, kinds) {
			// What was found in a decoded layer cannot be cut out of
			// the file's own bytes: the rescan below still finds it,
			// and the whole file goes to quarantine.
			if len(f.Layers) == 0 {
				rules = append(rules, f.Rule)
			}
		}
		cleaned := signatures.CleanContent(rules, content)
		if len(cleaned) == len(content) {
			return nil, false, "no injected code to remove"
		}
		if signatures.NothingLeft(cleaned) {
			return nil, false, "nothing but the injected code"
		}
		for _, f := range a.eng.Match(cleaned, kinds) {
			if !f.Rule.Category.ReportOnly() {
				return nil, false, "still matches " + f.Rule.Name + " after cleaning"
			}
		}
		return cleaned, true, ""
	}
}

// notify sends each user's digest; failures are warnings (the scan's
// results stand) and audited.
func (a *actor) notify(ctx context.Context) {
	if a == nil || a.digest == nil {
		return
	}
	digests, unmatched := a.digest.Digests()
	for _, it := range unmatched {
		a.log.Warn("not notified: no valid user name in the path for --notify-user's pattern", "path", report.EscapePath(it.Path))
	}
	for _, d := range digests {
		to, err := notify.Address(d.User, a.domain)
		var msg *mailer.Message
		if err == nil {
			msg, err = a.tmpl.Render(d, to, a.host, a.from)
		}
		if err == nil && a.o.dryRun {
			fmt.Fprintf(a.stderr, "shellscan: dry run: would mail %s about %d file(s)\n", to, len(d.Items))
			continue
		}
		if err == nil {
			sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			err = a.mail.Send(sctx, msg)
			cancel()
		}
		entry := remediate.Entry{Action: "notify", User: d.User, Target: remediate.Path(to), Detail: fmt.Sprintf("%d file(s)", len(d.Items))}
		if err != nil {
			a.sum.ActionsFailed++
			entry.Error = err.Error()
			a.log.Warn("notification not sent", "user", report.EscapePath(d.User), "err", err)
		} else {
			a.sum.Notified++
		}
		if aerr := a.audit.Log(entry); aerr != nil {
			a.log.Warn("audit log", "err", aerr)
		}
	}
}

func cleanable(fs []matcher.Finding) bool {
	return slices.ContainsFunc(fs, func(f matcher.Finding) bool { return f.Rule.Cleanable() })
}

// ruleNames are the distinct names of the rules that hit.
func ruleNames(fs []matcher.Finding) []string {
	var names []string
	for _, f := range fs {
		if !slices.Contains(names, f.Rule.Name) {
			names = append(names, f.Rule.Name)
		}
	}
	return names
}

var errNoMailer = errors.New("no mailer")

// checkRootLinks refuses, when acting, a PATH argument that reaches its
// tree through a symbolic link root did not make in a root-only directory:
// the walker follows a PATH that is itself a link (like find -H), and a
// user's "public_html -> /var/www/other" must not make root quarantine or
// clean files outside that user's tree.
func checkRootLinks(root string) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	if _, err := walker.ResolveTrusted(abs); err != nil {
		return fmt.Errorf("%w: not followed when acting on files; give the real path", err)
	}
	return nil
}
