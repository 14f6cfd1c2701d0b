// Package town holds Gas Town's orchestration that is not UI: install, rigs,
// crew, configuration, sling, hooks, done, convoys, mail, nudges, the
// refinery, git calls, the reconciler and the host socket. The CLI, the TUI
// and `gt host` share it.
package town
