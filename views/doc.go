// Package views holds gt's bubbles-shaped components. Each sub-package renders
// models values plus its own UI state and emits intent messages for app.
package views
