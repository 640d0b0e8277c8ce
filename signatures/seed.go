package signatures

// ParseFingerprints parses spam-gear's fingerprints.txt.
func ParseFingerprints(name string, data []byte) ([]*Rule, error) {
	return nil, errAt(name, 0, "fingerprints format not implemented yet")
}

// ParseBackdoors parses spam-gear's backdoors.re.
func ParseBackdoors(name string, data []byte) ([]*Rule, error) {
	return nil, errAt(name, 0, "backdoors format not implemented yet")
}

// ParseShellDetect parses Shell-Detector's shelldetect.db.
func ParseShellDetect(name string, data []byte) ([]*Rule, error) {
	return nil, errAt(name, 0, "shelldetect format not implemented yet")
}
