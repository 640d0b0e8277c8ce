package clamav

import (
	"context"
	"encoding/binary"
	"net"
)

// ChunkSize is the INSTREAM chunk length. clamd accepts any chunk up to its
// StreamMaxLength; 64 KiB keeps the per-chunk header overhead negligible.
const ChunkSize = 64 << 10

// ScanBytes streams data to clamd with INSTREAM and returns its verdict.
//
// It writes all chunks with one vectored write (no copy of data) and keeps
// no reference to data after it returns. A stream longer than clamd's
// StreamMaxLength yields an error wrapping ErrSizeLimit, even when clamd
// closed the connection while ScanBytes was still writing.
func (c *Client) ScanBytes(ctx context.Context, data []byte) (Result, error) {
	s, err := c.open(ctx, "INSTREAM")
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	if err := s.command(); err != nil {
		return Result{}, err
	}
	if werr := s.stream(data); werr != nil {
		// clamd may have answered (size limit) and closed while we were
		// writing: its reply explains the write error better.
		reply, rerr := s.readReply()
		if rerr != nil || reply == "" || s.ctx.Err() != nil {
			return Result{}, werr
		}
		return s.result(reply)
	}
	reply, err := s.readReply()
	if err != nil {
		return Result{}, err
	}
	return s.result(reply)
}

// stream writes data as length-prefixed chunks followed by a zero-length
// chunk.
func (s *session) stream(data []byte) error {
	n := (len(data) + ChunkSize - 1) / ChunkSize
	hdrs := make([]byte, 4*(n+1)) // last 4 bytes stay zero: the terminator
	bufs := make(net.Buffers, 0, 2*n+1)
	for i := 0; i < n; i++ {
		chunk := data[i*ChunkSize : min((i+1)*ChunkSize, len(data))]
		h := hdrs[4*i : 4*i+4]
		binary.BigEndian.PutUint32(h, uint32(len(chunk)))
		bufs = append(bufs, h, chunk)
	}
	bufs = append(bufs, hdrs[4*n:])
	if _, err := bufs.WriteTo(s.conn); err != nil {
		return s.fail("write", err)
	}
	return nil
}

func (s *session) result(reply string) (Result, error) {
	r, err := parseScanReply(reply)
	if err != nil {
		return Result{}, &Error{Addr: s.addr, Op: s.op, Stage: "reply", Err: err}
	}
	return r, nil
}
