//go:build !race

package ptyhost

// raceEnabled shortens the heaviest tests under the race detector.
const raceEnabled = false
