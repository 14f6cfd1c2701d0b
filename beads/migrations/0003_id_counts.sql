-- 0003: cached counts of top-level IDs per prefix for the §4.6 hash length
-- rule. A row is filled lazily by a full count and then kept exact by every
-- insert in the same transaction; an import clears the cache.
CREATE TABLE id_counts (
    prefix TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
) WITHOUT ROWID;
