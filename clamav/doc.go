// Package clamav is a small client for clamd, the ClamAV daemon, used to scan
// buffers that spamgear has already read (INSTREAM), so one read of a file
// feeds both our own matcher and ClamAV.
//
// It replaces github.com/dutchcoders/go-clamd, which leaks a goroutine per
// stream, sets no deadlines and splits replies on ':'. Here:
//
//   - A [Client] opens one connection per command and uses the NUL-terminated
//     "z" command forms (zPING, zVERSION, zSTATS, zINSTREAM). Each command or
//     file stream has one deadline, the earlier of ctx's and now+Timeout;
//     cancelling ctx closes the connection at once (context.AfterFunc, so no
//     goroutine waits on ctx). A Client is safe for concurrent use.
//   - [Client.ScanBytes] streams a buffer in 64 KiB chunks with writev (no
//     copy) and keeps no reference to it after returning. A reply
//     "stream: NAME FOUND" is parsed by cutting the "stream: " prefix and the
//     " FOUND" suffix, so signature names may hold ':' or spaces.
//   - Every error is an [*Error] naming the address, command and stage, e.g.
//     "clamd unix:/var/run/clamav/clamd.ctl: INSTREAM: write: broken pipe",
//     and wraps one of the classes callers act on:
//     [ErrUnavailable] (dial failed: socket missing, connection refused —
//     clamd is down, stop sending), [ErrSizeLimit] (clamd's StreamMaxLength
//     was exceeded: report the file as skipped by clamd, not as a failure),
//     [ErrTimeout] (also matches context.DeadlineExceeded), context.Canceled,
//     or a [ServerError] with clamd's own "... ERROR" text. Losing the
//     connection in the middle of a command (clamd crashed or restarted) is a
//     per-file error of none of these classes; the next dial reports
//     ErrUnavailable if clamd stays down.
//   - When clamd's StreamMaxLength is exceeded it replies
//     "INSTREAM size limit exceeded. ERROR" and closes the connection while
//     the client may still be writing; a write error during streaming is
//     therefore followed by a read of the reply, so the size limit is
//     reported as ErrSizeLimit and not as "broken pipe".
//   - clamd does not report its StreamMaxLength. [ConfigStreamMaxLength]
//     reads it from clamd.conf; the built-in default of clamd 1.4 is
//     [DefaultStreamMaxLength] (100 MiB; Debian's generated clamd.conf sets
//     25M). Callers skip sending larger files.
//   - A [Pool] bounds concurrent streams (a ctx-aware semaphore); size it with
//     [DefaultWorkers], which asks clamd's STATS for its MaxThreads.
//
// Replies measured from clamd 1.4.6 (Debian bookworm-security), each
// terminated by NUL (the VERSION form with a database part is the one clamd
// sends once daily.cvd is loaded; it was not measured here):
//
//	zPING      PONG
//	zVERSION   ClamAV 1.4.6                                  (custom database only)
//	           ClamAV 1.4.6/27481/Tue Nov 26 09:32:01 2026   (official databases)
//	zSTATS     POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live 1  idle 0 max 4 idle-timeout 30\n
//	           QUEUE: 0 items\n\tSTATS 0.000002 \n\nMEMSTATS: heap N/A mmap N/A ...\nEND
//	zINSTREAM  stream: OK
//	           stream: Spamgear.Test.Marker.UNOFFICIAL FOUND   (unsigned custom sigs get .UNOFFICIAL)
//	           INSTREAM size limit exceeded. ERROR             (then clamd closes the socket)
//
// The integration test starts a real clamd with a tiny signature database of
// its own (see package clamdtest) when a clamd binary exists (Debian package
// clamav-daemon; no freshclam or network needed) and skips otherwise.
package clamav
