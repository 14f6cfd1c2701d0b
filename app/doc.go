// Package app is gt's one bubbletea model: layout, focus, routing and the
// named commands that connect the views to the town and its host.
package app
