package signatures

import "bytes"

// asciiSpace is what Python 2's str.strip() removes.
const asciiSpace = " \t\n\r\v\f"

// seedLines splits a line-oriented seed file into lines, counted from 0,
// without their "\n" or "\r\n" terminators. A UTF-8 byte order mark at the
// start is dropped; a final terminator does not start another line.
func seedLines(data []byte) [][]byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(data) == 0 {
		return nil
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return lines
}
