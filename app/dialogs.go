package app

import (
	"fmt"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/beadlist"
	"github.com/gastown/gt/views/convoys"
	"github.com/gastown/gt/views/dialogs"
	"github.com/gastown/gt/views/help"
)

// Dialog refs: what a submitted dialog does.
const (
	refSling        = "sling"
	refNewBead      = "new-bead"
	refConvoyCreate = "convoy-create"
	refConvoyRename = "convoy-rename"
	refConvoyAdd    = "convoy-add"
	refConvoyAddTo  = "convoy-add-bead"
	refConvoyClose  = "convoy-close"
	refRestart      = "restart"
	refStop         = "stop"
	refQuit         = "quit"
)

func (m *Model) open(d dialogs.Model, op pendingOp) tea.Cmd {
	d.SetSize(m.w, max(m.h-1, 1))
	m.dialog, m.pending = &d, op
	m.armed = false
	return nil
}

func (m *Model) openConfirm(title, question string, op pendingOp) tea.Cmd {
	ref := refConvoyClose
	switch {
	case op.quit:
		ref = refQuit
	case op.addr != "" && strings.HasPrefix(title, "Restart"):
		ref = refRestart
	case op.addr != "":
		ref = refStop
	}
	return m.open(dialogs.NewConfirm(m.c, title, question, ref), op)
}

// openSlingDialog shows the sling dialog once its targets are loaded.
func (m *Model) openSlingDialog(msg slingDataMsg) tea.Cmd {
	if msg.err != nil {
		m.setNotice("✗ "+msg.err.Error(), true)
		return nil
	}
	if len(msg.ids) == 0 {
		m.setNotice("Select beads to sling (space), then s", false)
		return nil
	}
	targets := make([]dialogs.Option, len(msg.targets))
	for i, t := range msg.targets {
		targets[i] = dialogs.Option{Label: t.Label, Value: t.Value}
	}
	var agents []dialogs.Option
	for i, a := range msg.aliases {
		if i == 0 {
			agents = append(agents, dialogs.Option{Label: a + " (default)", Value: ""})
			continue
		}
		agents = append(agents, dialogs.Option{Label: a, Value: a})
	}
	d := dialogs.New(m.c, dialogs.KindSling, "Sling", refSling,
		dialogs.Field{Key: "beads", Label: "Beads", Type: dialogs.FieldInfo, Value: strings.Join(msg.ids, ", ")},
		dialogs.Field{Key: "target", Label: "Target", Type: dialogs.FieldList, Options: targets, Required: true},
		dialogs.Field{Key: "agent", Label: "Agent", Type: dialogs.FieldChoice, Options: agents},
		dialogs.Field{Key: "noconvoy", Label: "No convoy", Type: dialogs.FieldToggle},
		dialogs.Field{Key: "args", Label: "Args", Type: dialogs.FieldText},
	)
	return m.open(d, pendingOp{ids: msg.ids})
}

func (m *Model) openNewBead() tea.Cmd {
	var types []dialogs.Option
	for _, t := range models.WorkTypes {
		types = append(types, dialogs.Option{Label: string(t), Value: string(t)})
	}
	typeIdx := 0
	for i, o := range types {
		if o.Value == string(models.TypeTask) {
			typeIdx = i
		}
	}
	var prios []dialogs.Option
	for p := 0; p <= 4; p++ {
		prios = append(prios, dialogs.Option{Label: "P" + strconv.Itoa(p), Value: strconv.Itoa(p)})
	}
	prefixes := m.snap.Prefixes
	if len(prefixes) == 0 {
		prefixes = []string{"hq"}
	}
	var pfx []dialogs.Option
	for _, p := range prefixes {
		pfx = append(pfx, dialogs.Option{Label: p, Value: p})
	}
	d := dialogs.New(m.c, dialogs.KindNewBead, "New bead", refNewBead,
		dialogs.Field{Key: "title", Label: "Title", Type: dialogs.FieldText, Required: true},
		dialogs.Field{Key: "type", Label: "Type", Type: dialogs.FieldChoice, Options: types, Index: typeIdx},
		dialogs.Field{Key: "priority", Label: "Priority", Type: dialogs.FieldChoice, Options: prios, Index: models.DefaultPriority},
		dialogs.Field{Key: "prefix", Label: "Prefix", Type: dialogs.FieldChoice, Options: pfx},
		dialogs.Field{Key: "description", Label: "Description", Type: dialogs.FieldText},
	)
	return m.open(d, pendingOp{})
}

func (m *Model) openConvoyName(title string, ids []string, name string) tea.Cmd {
	if name == "" && len(ids) > 0 {
		for _, b := range m.snap.Beads {
			if b.ID == ids[0] {
				name = "Work: " + b.Title
				if len(ids) > 1 {
					name += fmt.Sprintf(" (+%d more)", len(ids)-1)
				}
			}
		}
	}
	d := dialogs.New(m.c, dialogs.KindConvoyName, title, refConvoyCreate,
		dialogs.Field{Key: "name", Label: "Name", Type: dialogs.FieldText, Value: name, Required: true},
		dialogs.Field{Key: "beads", Label: "Tracks", Type: dialogs.FieldInfo, Value: strings.Join(ids, ", ")},
	)
	return m.open(d, pendingOp{ids: ids})
}

func (m *Model) openRename(msg convoys.RenameMsg) tea.Cmd {
	d := dialogs.New(m.c, dialogs.KindConvoyName, "Rename convoy "+msg.ID, refConvoyRename,
		dialogs.Field{Key: "name", Label: "Name", Type: dialogs.FieldText, Value: msg.Title, Required: true})
	return m.open(d, pendingOp{convoy: msg.ID})
}

// openConvoyPicker asks which open convoy gets the selected beads.
func (m *Model) openConvoyPicker(msg convoyPickerDataMsg) tea.Cmd {
	var opts []dialogs.Option
	for _, c := range m.snap.Convoys {
		if !c.Closed() {
			opts = append(opts, dialogs.Option{Label: "🚚 " + c.ID + " " + c.Title, Value: c.ID})
		}
	}
	if len(opts) == 0 {
		m.setNotice("No open convoy: C creates one from the selection", false)
		return nil
	}
	d := dialogs.New(m.c, dialogs.KindConvoyPicker, "Add to convoy", refConvoyAdd,
		dialogs.Field{Key: "beads", Label: "Beads", Type: dialogs.FieldInfo, Value: strings.Join(msg.ids, ", ")},
		dialogs.Field{Key: "convoy", Label: "Convoy", Type: dialogs.FieldList, Options: opts, Required: true})
	return m.open(d, pendingOp{ids: msg.ids})
}

// openBeadPicker asks which bead a convoy should also track (Convoys `A`).
func (m *Model) openBeadPicker(convoyID string) tea.Cmd {
	tracked := map[string]bool{}
	for _, c := range m.snap.Convoys {
		if c.ID == convoyID {
			for _, t := range c.Tracked {
				tracked[t.ID] = true
			}
		}
	}
	var opts []dialogs.Option
	for _, b := range m.snap.Beads {
		if !tracked[b.ID] && b.Status != models.StatusClosed {
			opts = append(opts, dialogs.Option{Label: b.ID + " " + b.Title, Value: b.ID})
		}
	}
	if len(opts) == 0 {
		m.setNotice("No bead to add", false)
		return nil
	}
	d := dialogs.New(m.c, dialogs.KindConvoyPicker, "Add a bead to "+convoyID, refConvoyAddTo,
		dialogs.Field{Key: "bead", Label: "Bead", Type: dialogs.FieldList, Options: opts, Required: true})
	return m.open(d, pendingOp{convoy: convoyID})
}

func (m *Model) openDetail(msg beadlist.ShowMsg) tea.Cmd {
	b := msg.Bead
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %s\n\n", b.ID, b.Title)
	fmt.Fprintf(&sb, "Status:   %s\nPriority: P%d\nType:     %s\n", b.Status, b.Priority, b.IssueType)
	if b.Assignee != "" {
		fmt.Fprintf(&sb, "Assignee: %s\n", b.Assignee)
	}
	fmt.Fprintf(&sb, "Created:  %s\n", b.CreatedAt.Local().Format("2006-01-02 15:04"))
	if len(b.Labels) > 0 {
		fmt.Fprintf(&sb, "Labels:   %s\n", strings.Join(b.Labels, ", "))
	}
	if d := strings.TrimSpace(b.Description); d != "" {
		sb.WriteString("\n" + d)
	}
	return m.open(dialogs.NewText(m.c, dialogs.KindDetail, b.ID, sb.String()), pendingOp{})
}

func (m *Model) openHelp() tea.Cmd {
	secs := []help.Section{
		{Title: "Global (after " + m.keys.Prefix.Help().Key + " in a pane)", Bindings: m.keys.FullHelp()},
		{Title: "Beads", Bindings: m.beads.KeyMap().FullHelp()},
		{Title: "Convoys", Bindings: m.convoys.KeyMap().FullHelp()},
		{Title: "Feed / Problems", Bindings: m.feed.FullHelp()},
	}
	if p := m.focusedPane(); p != nil {
		secs = append(secs, help.Section{Title: "Copy mode", Bindings: p.view.KeyMap().FullHelp()})
	}
	return m.open(dialogs.NewText(m.c, dialogs.KindHelp, "Help", help.Text(secs)), pendingOp{})
}

// confirmAgentOp asks before restarting (r) or stopping (x) the focused
// agent.
func (m *Model) confirmAgentOp(restart bool) tea.Cmd {
	p := m.focusedPane()
	if p == nil || m.focus != focusPane {
		m.setNotice("Focus an agent's pane first", false)
		return nil
	}
	addr := p.agent.Address
	if restart {
		return m.openConfirm("Restart agent", "Restart "+addr+"?", pendingOp{addr: addr})
	}
	return m.openConfirm("Stop agent", "Stop "+addr+"? Its hooked work stays hooked.", pendingOp{addr: addr})
}

// liveCount is the number of live sessions.
func (m *Model) liveCount() int {
	n := 0
	for _, a := range m.agents {
		if a.Live() {
			n++
		}
	}
	return n
}

// confirmQuit asks before quitting while sessions are live (spec §8).
func (m *Model) confirmQuit() tea.Cmd {
	n := m.liveCount()
	if n == 0 {
		m.quitting = true
		return tea.Quit
	}
	q := strconv.Itoa(n) + " agents running. Quit and stop them?\nTheir hooked work resumes the next time you run gt."
	if n == 1 {
		q = "1 agents running. Quit and stop them?\nIts hooked work resumes the next time you run gt."
	}
	return m.openConfirm("Quit", q, pendingOp{quit: true})
}

// handleSubmit runs a submitted dialog's operation in a Cmd.
func (m *Model) handleSubmit(msg dialogs.SubmitMsg) tea.Cmd {
	op, v := m.pending, msg.Values
	m.dialog, m.pending = nil, pendingOp{}
	ctx, t := m.ctx, m.town
	switch msg.Ref {
	case refQuit:
		m.quitting = true
		return tea.Quit
	case refSling:
		m.beads.ClearSelection()
		return slingCmd(ctx, t, town.SlingOptions{
			Args: append(append([]string(nil), op.ids...), v["target"]), Agent: v["agent"],
			NoConvoy: v["noconvoy"] == "true", AgentArgs: strings.TrimSpace(v["args"]), Actor: overseer,
		})
	case refNewBead:
		prio, _ := strconv.Atoi(v["priority"])
		return createBeadCmd(ctx, t, NewBead{Title: strings.TrimSpace(v["title"]), Description: v["description"],
			Type: models.IssueType(v["type"]), Priority: prio, Prefix: v["prefix"]})
	case refConvoyCreate:
		return createConvoyCmd(ctx, t, v["name"], op.ids)
	case refConvoyRename:
		return renameConvoyCmd(ctx, t, op.convoy, v["name"])
	case refConvoyAdd:
		return addToConvoyCmd(ctx, t, v["convoy"], op.ids)
	case refConvoyAddTo:
		return addToConvoyCmd(ctx, t, op.convoy, []string{v["bead"]})
	case refConvoyClose:
		return closeConvoyCmd(ctx, t, op.convoy)
	case refRestart:
		return restartAgentCmd(ctx, m.host, op.addr)
	case refStop:
		return stopAgentCmd(ctx, m.host, op.addr)
	}
	return nil
}
