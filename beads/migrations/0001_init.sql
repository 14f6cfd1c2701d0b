-- 0001: the whole beads schema (spec §4.1, §4.2).
-- Times are stored as RFC 3339 text exactly as given (so import/export keep
-- the original offset and precision) plus *_ns integer shadows for sorting
-- and comparisons.

CREATE TABLE issues (
    id                  TEXT PRIMARY KEY,
    title               TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    design              TEXT    NOT NULL DEFAULT '',
    acceptance_criteria TEXT    NOT NULL DEFAULT '',
    notes               TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL DEFAULT 'open',
    priority            INTEGER NOT NULL DEFAULT 2,
    issue_type          TEXT    NOT NULL DEFAULT 'task',
    assignee            TEXT    NOT NULL DEFAULT '',
    owner               TEXT    NOT NULL DEFAULT '',
    estimated_minutes   INTEGER,
    created_at          TEXT    NOT NULL,
    created_ns          INTEGER NOT NULL,
    created_by          TEXT    NOT NULL DEFAULT '',
    updated_at          TEXT    NOT NULL,
    updated_ns          INTEGER NOT NULL,
    closed_at           TEXT,
    close_reason        TEXT    NOT NULL DEFAULT '',
    due_at              TEXT,
    defer_until         TEXT,
    defer_ns            INTEGER,
    external_ref        TEXT,
    metadata            TEXT    NOT NULL DEFAULT '',
    deleted_at          TEXT,
    deleted_by          TEXT    NOT NULL DEFAULT '',
    delete_reason       TEXT    NOT NULL DEFAULT '',
    original_type       TEXT    NOT NULL DEFAULT '',
    ephemeral           INTEGER NOT NULL DEFAULT 0,
    pinned              INTEGER NOT NULL DEFAULT 0,
    is_template         INTEGER NOT NULL DEFAULT 0,
    await_type          TEXT    NOT NULL DEFAULT '',
    await_id            TEXT    NOT NULL DEFAULT '',
    timeout             INTEGER NOT NULL DEFAULT 0,
    source_formula      TEXT    NOT NULL DEFAULT '',
    hook_bead           TEXT    NOT NULL DEFAULT '',
    agent_state         TEXT    NOT NULL DEFAULT '',
    role_type           TEXT    NOT NULL DEFAULT '',
    rig                 TEXT    NOT NULL DEFAULT '',
    mol_type            TEXT    NOT NULL DEFAULT '',
    extra               TEXT    NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX idx_issues_external_ref ON issues(external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX idx_issues_status ON issues(status, priority, created_ns);
CREATE INDEX idx_issues_assignee ON issues(assignee) WHERE assignee <> '';
CREATE INDEX idx_issues_type ON issues(issue_type);

-- depends_on_id has no foreign key: imported dependencies may point at beads
-- this database does not have (dangling targets are kept, spec §4.7).
CREATE TABLE dependencies (
    issue_id      TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    depends_on_id TEXT NOT NULL,
    type          TEXT NOT NULL DEFAULT 'blocks',
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (issue_id, depends_on_id)
) WITHOUT ROWID;

CREATE INDEX idx_dependencies_target ON dependencies(depends_on_id, type);
CREATE INDEX idx_dependencies_type ON dependencies(type, issue_id);

CREATE TABLE labels (
    issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    label    TEXT NOT NULL,
    PRIMARY KEY (issue_id, label)
) WITHOUT ROWID;

CREATE INDEX idx_labels_label ON labels(label, issue_id);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    issue_id   TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    author     TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_ns INTEGER NOT NULL
);

CREATE INDEX idx_comments_issue ON comments(issue_id, created_ns);

-- Per-bead audit trail. No foreign key: the trail outlives tombstones.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    issue_id   TEXT NOT NULL,
    event_type TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    old_value  TEXT NOT NULL DEFAULT '',
    new_value  TEXT NOT NULL DEFAULT '',
    comment    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE INDEX idx_events_issue ON events(issue_id, id);

CREATE TABLE config (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE child_counters (
    parent_id  TEXT PRIMARY KEY,
    last_child INTEGER NOT NULL
) WITHOUT ROWID;

-- seq grows on every mark (INSERT OR REPLACE gets a new AUTOINCREMENT value),
-- so an export can clear exactly the marks it saw.
CREATE TABLE dirty_issues (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id TEXT NOT NULL UNIQUE
);

-- Desired agent sessions for the host (never exported).
CREATE TABLE agent_sessions (
    agent      TEXT PRIMARY KEY,
    wanted     INTEGER NOT NULL DEFAULT 0,
    runtime    TEXT    NOT NULL DEFAULT '',
    updated_at TEXT    NOT NULL
) WITHOUT ROWID;
