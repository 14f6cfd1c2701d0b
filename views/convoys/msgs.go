package convoys

// RenameMsg asks app to open the rename dialog for a convoy.
type RenameMsg struct{ ID, Title string }

// AddMsg asks app to open the bead picker to add beads to a convoy.
type AddMsg struct{ ID string }

// RemoveMsg asks app to stop tracking Bead in Convoy.
type RemoveMsg struct{ Convoy, Bead string }

// CloseMsg asks app to close a convoy (after a confirm).
type CloseMsg struct{ ID, Title string }

// NewMsg asks app to open the new-convoy dialog.
type NewMsg struct{}
