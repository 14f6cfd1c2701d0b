package agenttree

// NudgeMsg asks app to nudge the agent (gt nudge code path).
type NudgeMsg struct{ Address string }

// FocusMsg asks app to focus the agent's pane in the host TUI.
type FocusMsg struct{ Address string }
