package signatures

import "fmt"

// ParseError is a problem at a place in a rule file. It prints as
// "FILE:LINE: what is wrong".
type ParseError struct {
	File string
	Line int // 1-based; 0 when the problem is not at one line
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func errAt(file string, line int, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}
