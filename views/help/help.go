// Package help renders the help overlay's text: every section's key
// bindings, composed upward from each view's FullHelp.
package help

import (
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/views/common"
)

// Section is one titled group of bindings (a view's FullHelp).
type Section struct {
	Title    string
	Bindings [][]key.Binding
}

// Text renders sections as plain lines `  key  description`, skipping
// disabled bindings; the key column is as wide as the widest key.
func Text(sections []Section) string {
	kw := 0
	for _, s := range sections {
		for _, g := range s.Bindings {
			for _, b := range g {
				if b.Enabled() {
					kw = max(kw, common.Width(b.Help().Key))
				}
			}
		}
	}
	var sb strings.Builder
	for i, s := range sections {
		if i > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(s.Title)
		sb.WriteString("\n")
		for _, g := range s.Bindings {
			for _, b := range g {
				if !b.Enabled() {
					continue
				}
				h := b.Help()
				sb.WriteString("  " + h.Key + strings.Repeat(" ", kw-common.Width(h.Key)) + "  " + h.Desc + "\n")
			}
		}
	}
	return strings.TrimRight(sb.String(), "\n")
}
