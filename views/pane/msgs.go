package pane

// CopyMsg asks app to copy Text to the outer terminal's clipboard (OSC 52).
// The pane has already left copy mode.
type CopyMsg struct {
	Pane string
	Text string
}

// CopyModeExitedMsg reports that copy mode ended without copying.
type CopyModeExitedMsg struct{ Pane string }
