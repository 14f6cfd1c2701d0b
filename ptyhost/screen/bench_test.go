package screen

import (
	"runtime"
	"testing"

	"github.com/charmbracelet/x/vt"
)

// Engine benchmarks for `make bench-pane`, ours and x/vt side by side on
// the same streams, both in the steady state of a full 10,000-row
// scrollback. Throughput is MB/s of application output.

type feeder interface {
	Write([]byte) (int, error)
	ScrollbackLen() int
}

func benchEngine(b *testing.B, e feeder, stream []byte) {
	warm := plainLines(1 << 20)
	for e.ScrollbackLen() < DefaultScrollback {
		_, _ = e.Write(warm)
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, _ = e.Write(stream)
	}
}

func benchEngines(b *testing.B, stream []byte) {
	b.Run("screen", func(b *testing.B) {
		benchEngine(b, New(80, 24, Options{Scrollback: DefaultScrollback}), stream)
	})
	b.Run("xvt", func(b *testing.B) {
		r := newReference(80, 24)
		defer r.close()
		benchEngine(b, r.e, stream)
	})
}

func BenchmarkPaneEngineFeedPlain(b *testing.B)    { benchEngines(b, plainLines(1<<20)) }
func BenchmarkPaneEngineFeedBuildLog(b *testing.B) { benchEngines(b, buildLog(1<<20, 1)) }
func BenchmarkPaneEngineFeedInk(b *testing.B)      { benchEngines(b, inkRedraw(1<<20, 1)) }

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkPaneEngineIdleMemory reports the Go heap held by one idle 80x24
// pane with a full 10,000-row scrollback of a coloured build log: ours and
// x/vt's (tmux's per-pane cost is BenchmarkPaneTmuxIdleMemory).
func BenchmarkPaneEngineIdleMemory(b *testing.B) {
	const panes = 4
	stream := buildLog(2<<20, 9)
	for range b.N {
		before := heapInUse()
		scrs := make([]*Screen, panes)
		for i := range scrs {
			scrs[i] = New(80, 24, Options{Scrollback: DefaultScrollback})
			for scrs[i].ScrollbackLen() < DefaultScrollback {
				_, _ = scrs[i].Write(stream)
			}
		}
		after := heapInUse()
		b.ReportMetric(float64(after-before)/panes, "bytes/pane")
		runtime.KeepAlive(scrs)

		before = heapInUse()
		refs := make([]*reference, panes)
		for i := range refs {
			refs[i] = newReference(80, 24)
			for refs[i].e.ScrollbackLen() < vt.DefaultScrollbackSize {
				_, _ = refs[i].e.Write(stream[:256<<10])
			}
		}
		after = heapInUse()
		b.ReportMetric(float64(after-before)/panes, "xvt-bytes/pane")
		for _, r := range refs {
			r.close()
		}
	}
}
