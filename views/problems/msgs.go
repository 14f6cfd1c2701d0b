package problems

// FocusMsg asks app to focus the agent's pane.
type FocusMsg struct{ Address string }

// NudgeMsg asks app to nudge the agent with "continue".
type NudgeMsg struct{ Address string }

// RestartMsg asks app to restart the agent (exited or zombie only).
type RestartMsg struct{ Address string }
