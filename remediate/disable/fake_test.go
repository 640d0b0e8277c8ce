package disable

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The fake programs are shell scripts in a test's directory. Each appends
// its argv, one argument per line and "--END--" after the last, to
// DIR/NAME.args, then:
//   - if DIR/NAME.hang exists, sleeps in a child process (a hung program
//     whose grandchild holds the pipes);
//   - if DIR/NAME.exit exists, prints DIR/NAME.stderr (if any) to stderr and
//     exits with the status in DIR/NAME.exit;
//   - else does its own job.
//
// Tests never run these concurrently with writing them (no t.Parallel), so
// exec never meets ETXTBSY.

const argsEnd = "--END--"

func writeFake(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	script := "#!/bin/sh\nd=" + shellQuote(dir) + "\nn=" + shellQuote(name) + "\n" + `
{ for a in "$@"; do printf '%s\n' "$a"; done; echo '` + argsEnd + `'; } >>"$d/$n.args"
if [ -f "$d/$n.hang" ]; then sleep 60; echo woke; exit 0; fi
if [ -f "$d/$n.exit" ]; then
	[ -f "$d/$n.stderr" ] && cat "$d/$n.stderr" >&2
	exit "$(cat "$d/$n.exit")"
fi
` + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// setExit makes the fake NAME in dir exit with code, printing stderr.
func setExit(t *testing.T, dir, name, code, stderr string) {
	t.Helper()
	write(t, filepath.Join(dir, name+".exit"), code, 0o644)
	write(t, filepath.Join(dir, name+".stderr"), stderr, 0o644)
}

func clearExit(t *testing.T, dir, name string) {
	t.Helper()
	for _, ext := range []string{".exit", ".stderr"} {
		if err := os.Remove(filepath.Join(dir, name+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

// calls returns the argv (without argv[0]) of every run of the fake NAME in
// dir, oldest first.
func calls(t *testing.T, dir, name string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+".args"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	cur := []string{}
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		line = strings.TrimSuffix(line, "\n")
		if line == argsEnd {
			out = append(out, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, line)
	}
	return out
}

func resetCalls(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name+".args")); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

func wantCalls(t *testing.T, dir, name string, want ...[]string) {
	t.Helper()
	got := calls(t, dir, name)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s calls:\n got %q\nwant %q", name, got, want)
	}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fakePasswd is passwd with state: -l USER locks, -S USER reports L or P.
const fakePasswdBody = `case "$1" in
-S) if [ -f "$d/locked.$3" ]; then s=L; else s=P; fi
    printf '%s %s 01/01/2024 0 99999 7 -1\n' "$3" "$s" ;;
-l) : >"$d/locked.$3" ;;
*) echo "fake passwd: bad usage" >&2; exit 2 ;;
esac`

// fakeSSH acts as ssh does with "OPTIONS HOST -- WORDS": it joins the
// words with spaces and runs them with a shell (the "remote" one, whose PATH
// finds the fakes in DIR/remote).
const fakeSSHBody = `while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift
PATH="$d/remote:$PATH" exec /bin/sh -c "$*"`

// fakeCommand marks its last argument disabled; fakeCheck reports it.
const (
	fakeCommandBody = `for u; do :; done; : >"$d/disabled.$u"`
	fakeCheckBody   = `for u; do :; done; [ -f "$d/disabled.$u" ] && exit 0; exit 1`
	fakePostmapBody = `cat "${1#hash:}" >"$d/postmap.saw"`
)
