package maillog

import "os"

// DefaultLogs returns where a kind of log usually lives, most common
// first: "postfix", "exim", "php" (PHP's mail.log option),
// "syslog-php-legacy" (PHP's mail.log=syslog, in the syslog files),
// "roundcube" (its sendmail log) and "imp" (Horde's log). It returns nil
// for any other kind. The slice is new on each call.
func DefaultLogs(kind string) []string {
	switch kind {
	case "postfix":
		return []string{"/var/log/mail.log", "/var/log/maillog"}
	case "exim":
		return []string{"/var/log/exim4/mainlog", "/var/log/exim/mainlog"}
	case "php":
		return []string{"/var/log/phpmail.log"}
	case "syslog-php-legacy":
		return []string{"/var/log/mail.log", "/var/log/maillog", "/var/log/syslog", "/var/log/messages"}
	case "roundcube":
		return []string{"/var/log/roundcube/sendmail", "/var/lib/roundcube/logs/sendmail", "/var/log/roundcube/sendmail.log"}
	case "imp":
		return []string{"/var/log/horde/horde.log", "/var/log/horde.log"}
	}
	return nil
}

// FirstExisting returns the first of paths that is a regular file
// (symlinks followed), and whether there was one.
func FirstExisting(paths []string) (string, bool) {
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}
