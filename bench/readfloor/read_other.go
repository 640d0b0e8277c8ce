//go:build !unix

package main

func readRaw(p string, buf *[]byte) (int64, error) { return readOS(p, buf) }
