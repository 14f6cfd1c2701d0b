// Package dashboard is gt dashboard (spec §10): a loopback-only web page
// that shows the whole town — convoys, agents, problems, hooked and ready
// beads, the merge queue, the overseer's mail and recent activity — and
// refreshes itself over server-sent events. It reads the beads store, the
// event log and the host's sessions.json directly, so it works with or
// without a running host, and runs allow-listed gt and bd commands from its
// command palette by exec'ing the gt binary (never a shell).
package dashboard
