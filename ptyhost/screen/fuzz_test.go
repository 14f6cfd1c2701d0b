package screen

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// maxFuzzInput bounds one fuzz input so each run stays fast.
const maxFuzzInput = 4 << 10

// quirkFreeLen returns the longest prefix of data our engine processes
// without using a behaviour where x/vt is documented to differ (the
// quirks only accumulate, so a binary search finds it).
func quirkFreeLen(cols, rows int, data []byte) int {
	clean := func(n int) bool {
		s := New(cols, rows, Options{})
		_, _ = s.Write(data[:n])
		return s.quirks == 0
	}
	if clean(len(data)) {
		return len(data)
	}
	lo, hi := 0, len(data) // clean(lo) holds, clean(hi) does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if clean(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// FuzzEngineVsXVT feeds random bytes to our engine and to x/vt. Ours must
// never panic; up to the first documented x/vt bug (xvtbug_test.go) the
// screens, cursors and scrollback must agree. The first two bytes pick the
// size.
func FuzzEngineVsXVT(f *testing.F) {
	for i := range 12 {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		f.Add(byte(rng.IntN(60)), byte(rng.IntN(20)), randomStream(rng, 300+rng.IntN(600)))
	}
	f.Add(byte(38), byte(9), []byte("\x1b[10;40Hx\x1b[?1049h\x1b[?1049labc\x1b8def"))
	f.Add(byte(80), byte(24), plainLines(2000))
	f.Add(byte(40), byte(10), buildLog(1500, 5))
	f.Add(byte(50), byte(8), inkRedraw(1500, 6))
	files, _ := filepath.Glob(filepath.Join(recordedDir, "*.bin"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(byte(80), byte(24), data[:min(len(data), maxFuzzInput)])
		}
	}
	f.Fuzz(func(t *testing.T, c, r byte, data []byte) {
		if len(data) > maxFuzzInput {
			data = data[:maxFuzzInput]
		}
		cols, rows := 2+int(c)%120, 1+int(r)%50
		// Never panics, whatever the input, including a resize after it.
		s := New(cols, rows, Options{Reply: func([]byte) {}})
		_, _ = s.Write(data)
		s.Resize(rows+3, cols/2+1)
		_, _ = s.Write(data)

		n := quirkFreeLen(cols, rows, data)
		ref, ours, _ := feedBoth(t, cols, rows, data[:n])
		if d := diffStates(ref, ours); d != "" {
			t.Fatalf("%dx%d: engines differ after %d bytes:\n%s\ninput %q", cols, rows, n, d, data[:n])
		}
	})
}
