package screen

import (
	"os"
	"path/filepath"
	"testing"
)

// recordedDir holds real program output recorded by ptyhost's tests.
const recordedDir = "../../testdata/pty"

func TestDiffRecordedStreams(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(recordedDir, "*.bin"))
	if len(files) == 0 {
		t.Fatal("no recorded streams under testdata/pty")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			requireSame(t, name+" whole", 80, 24, data)
			// The same bytes in small reads (cluster boundaries kept intact
			// at ASCII bytes, as ptyhost's filter delivers them).
			requireSame(t, name+" chunked", 80, 24, chunkAtASCII(data, 61)...)
		})
	}
}

// chunkAtASCII splits p into pieces of about n bytes, each ending before an
// ASCII byte so no grapheme cluster is split.
func chunkAtASCII(p []byte, n int) [][]byte {
	var out [][]byte
	for len(p) > n {
		i := n
		for i < len(p) && p[i] >= 0x80 {
			i++
		}
		out = append(out, p[:i])
		p = p[i:]
	}
	return append(out, p)
}
