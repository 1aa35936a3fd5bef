-- Journal: one row per event. SQLite has one writer at a time, so AUTOINCREMENT assigns
-- ordering in commit order and a reader following it never skips.
CREATE TABLE journal (
    ordering        INTEGER PRIMARY KEY AUTOINCREMENT,
    persistence_id  TEXT    NOT NULL,
    sequence_nr     INTEGER NOT NULL,
    event_type      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    tags            TEXT    NOT NULL DEFAULT '',
    written_at      TEXT    NOT NULL,
    writer_id       TEXT    NOT NULL,
    correlation_id  TEXT,
    causation_id    TEXT,
    caused_by       TEXT    NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (persistence_id, sequence_nr)
);

CREATE TABLE event_tags (
    tag       TEXT    NOT NULL,
    ordering  INTEGER NOT NULL,
    PRIMARY KEY (tag, ordering)
) WITHOUT ROWID;

CREATE TABLE snapshots (
    persistence_id  TEXT    NOT NULL,
    sequence_nr     INTEGER NOT NULL,
    created_at      TEXT    NOT NULL,
    snapshot_type   TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    PRIMARY KEY (persistence_id, sequence_nr)
);
