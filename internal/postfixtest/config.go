package postfixtest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// param is one main.cf line.
type param struct{ name, value string }

// defaultMainCF returns Start's main.cf parameters for an instance in dir
// with Dovecot's auth socket at authSocket (smtpd's port is in master.cf).
// The fixed ones (paths, listener, owners) cannot be overridden with
// WithMainCF.
func defaultMainCF(dir, authSocket string) (fixed, defaults []param) {
	fixed = []param{
		{"queue_directory", filepath.Join(dir, "queue")},
		{"data_directory", filepath.Join(dir, "data")},
		{"maillog_file", filepath.Join(dir, "mail.log")},
		{"maillog_file_prefixes", dir},
		{"inet_interfaces", "127.0.0.1"},
		{"inet_protocols", "ipv4"},
		{"smtpd_sasl_path", authSocket},
		{"mail_owner", "postfix"},    // makeQueueDirs chowns to it
		{"setgid_group", "postdrop"}, // and to this
	}
	defaults = []param{
		{"compatibility_level", "3.6"},
		{"myhostname", "mail." + Domain},
		{"mydomain", Domain},
		{"myorigin", "$mydomain"},
		{"mydestination", ""},
		{"relay_domains", ""},
		{"local_recipient_maps", ""},
		{"alias_maps", ""},
		{"alias_database", ""},
		{"mynetworks", "127.0.0.1/32"},
		{"default_transport", "discard"},
		{"relay_transport", "discard"},
		{"local_transport", "discard"},
		{"biff", "no"},
		{"smtpd_peername_lookup", "no"},
		{"smtpd_client_restrictions", ""},
		{"smtpd_relay_restrictions", "permit_sasl_authenticated, reject_unauth_destination"},
		{"smtpd_recipient_restrictions", "permit_sasl_authenticated, reject"},
		{"smtpd_sasl_auth_enable", "yes"},
		{"smtpd_sasl_type", "dovecot"},
		{"smtpd_sasl_security_options", "noanonymous"},
		{"smtpd_tls_security_level", "none"},
	}
	return fixed, defaults
}

// masterCF is Start's master.cf: smtpd on 127.0.0.1:port, the services a
// queue needs, discard for delivery and postlog for maillog_file; nothing
// chrooted.
func masterCF(port int) string {
	return "# service type private unpriv chroot wakeup maxproc command\n" +
		"127.0.0.1:" + strconv.Itoa(port) + " inet n - n - - smtpd\n" + `pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
`
}

// writePostfixConf writes main.cf (Start's parameters, overrides applied in
// place, extra ones appended in name order) and master.cf.
func (e *Env) writePostfixConf(overrides map[string]string) error {
	fixed, defaults := defaultMainCF(e.dir, e.authSocket())
	var b strings.Builder
	b.WriteString("# written by postfixtest\n")
	isFixed := map[string]bool{}
	for _, p := range fixed {
		isFixed[p.name] = true
		fmt.Fprintf(&b, "%s = %s\n", p.name, p.value)
	}
	seen := map[string]bool{}
	for _, p := range defaults {
		seen[p.name] = true
		v, ok := overrides[p.name]
		if !ok {
			v = p.value
		}
		fmt.Fprintf(&b, "%s = %s\n", p.name, v)
	}
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if !seen[name] && !isFixed[name] {
			fmt.Fprintf(&b, "%s = %s\n", name, overrides[name])
		}
	}
	files := map[string]string{"main.cf": b.String(), "master.cf": masterCF(e.port)}
	// Postfix re-reads a configuration file every 300 ms until its mtime
	// is more than a second old (it might be being written), which would
	// delay master and then every daemon it spawns by up to 2 s.
	old := time.Now().Add(-time.Minute)
	for name, text := range files {
		path := filepath.Join(e.confDir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(path, old, old); err != nil {
			return err
		}
	}
	return nil
}

// dovecotConf is Dovecot's configuration: the auth service only, a
// passwd-file passdb with {PLAIN} passwords, plaintext auth allowed (no
// TLS), and a socket auth-postfix in base_dir that the postfix user may use.
// Failed logins are answered at once: no auth_failure_delay (2 s by
// default) and no per-IP auth penalty (up to 15 s; disabled the documented
// way, by making anvil's penalty socket unusable), so tests can simulate
// password guessing quickly. Neither changes what Postfix logs.
func dovecotConf(dir, passwd string) string {
	return fmt.Sprintf(`# written by postfixtest
base_dir = %[1]s/dovecot
state_dir = %[1]s/dovecot-state
instance_name = postfixtest
protocols = none
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
log_path = %[1]s/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[2]s
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
`, dir, passwd)
}
