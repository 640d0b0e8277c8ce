//go:build race

package decode

// raceEnabled makes the slow tests smaller under the race detector.
const raceEnabled = true
