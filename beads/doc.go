// Package beads is the town's issue store: SQLite with embedded migrations,
// IDs, dependencies and the ready rule, and the JSONL file kept in git.
package beads
