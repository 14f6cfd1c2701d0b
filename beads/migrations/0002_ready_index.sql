-- 0002: covering index for the ready scan (spec §4.5, bd ready ≤ 30 ms at
-- 10k beads): every column the ready filter and sort read, so the scan never
-- touches the table rows.
CREATE INDEX idx_issues_ready ON issues(status, pinned, is_template, ephemeral, defer_ns, issue_type, created_ns, priority, id);
