package beadlist

import "github.com/gastown/gt/models"

// SlingMsg asks app to open the sling dialog for IDs.
type SlingMsg struct{ IDs []string }

// CreateConvoyMsg asks app to create a convoy tracking IDs.
type CreateConvoyMsg struct{ IDs []string }

// AddToConvoyMsg asks app to pick a convoy and add IDs to it.
type AddToConvoyMsg struct{ IDs []string }

// ShowMsg asks app to show a bead's details.
type ShowMsg struct{ Bead models.Bead }
