package dialogs

// SubmitMsg is sent when a dialog is submitted (enter, or y in a confirm).
// Values holds each field's value by field key; Ref is the caller's context.
type SubmitMsg struct {
	Kind   Kind
	Ref    string
	Values map[string]string
}

// CancelMsg is sent when a dialog is dismissed (esc, or n in a confirm).
type CancelMsg struct {
	Kind Kind
	Ref  string
}
