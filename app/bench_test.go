package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
)

// busyTerm is a fake terminal whose screen is full of coloured text.
func busyTerm(cols, rows, seed int) *fakeTerm {
	var sb strings.Builder
	for r := 0; r < rows+50; r++ {
		for c := 0; c < cols/8; c++ {
			fmt.Fprintf(&sb, "\x1b[38;5;%dm\x1b[48;5;%dmab%02dcdef", (seed+r+c)%256, (seed*7+c)%256, r%100)
		}
		sb.WriteString("\x1b[m\r\n")
	}
	return newFakeTerm(cols, rows, sb.String())
}

func busyModel(b *testing.B, w, h, n int) *Model {
	b.Helper()
	agents := []Agent{mayorAgent(busyTerm(80, 24, 0))}
	for i := 1; i < n; i++ {
		agents = append(agents, polecatAgent(fmt.Sprintf("p%02d", i), busyTerm(80, 24, i), models.StateWorking))
	}
	host := newFakeHost(agents...)
	m := New(context.Background(), Config{RefreshEvery: time.Hour}, host, &fakeTown{snap: demoSnapshot()}, nil)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(agentsMsg{agents})
	m.Update(snapshotMsg{snap: demoSnapshot()})
	// Give each pane a busy screen of its inner size, as the host's resize
	// would.
	sized := make([]Agent, len(agents))
	for i, p := range m.panes {
		iw, ih := p.view.InnerSize()
		sized[i] = p.agent
		sized[i].Term = busyTerm(iw, ih, i)
	}
	m.Update(agentsMsg{sized})
	return m
}

// BenchmarkFullRepaint16Panes: every one of 16 busy panes changed; one
// frame re-renders them all and composes the 240x70 screen.
func BenchmarkFullRepaint16Panes(b *testing.B) {
	m := busyModel(b, 240, 70, 16)
	if m.lay.Tabs {
		b.Fatal("16 panes at 240x70 should tile")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range m.panes {
			m.Update(outputNotice(p.agent.Address))
		}
		m.Update(frameMsg{})
		_ = m.View()
	}
}

// BenchmarkComposeCached16Panes: a key or data message changed something
// other than a pane: View composes the cached pane renders with fresh
// panels and status bar.
func BenchmarkComposeCached16Panes(b *testing.B) {
	m := busyModel(b, 240, 70, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(refreshMsg{})
		_ = m.View()
	}
}

// BenchmarkOutputNotice16Panes: a pane-output notice between frames costs
// an Update and a cached View.
func BenchmarkOutputNotice16Panes(b *testing.B) {
	m := busyModel(b, 240, 70, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(outputNotice(m.panes[i%16].agent.Address))
		_ = m.View()
	}
}

func outputNotice(addr string) tea.Msg {
	return hostUpdateMsg{town.HostUpdate{Kind: town.UpdatePaneOutput, Agent: addr}}
}

// BenchmarkOnePaneChanged: one of 16 panes changed per frame.
func BenchmarkOnePaneChanged16Panes(b *testing.B) {
	m := busyModel(b, 240, 70, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(outputNotice(m.panes[i%16].agent.Address))
		m.Update(frameMsg{})
		_ = m.View()
	}
}
