-- Dead letters: incoming records that could not be applied, byte for byte, with the reason.
-- (topic, partition, offset) identifies a record, so recording it again after a redelivery
-- keeps one row.
CREATE TABLE dead_letters (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    topic           TEXT    NOT NULL,
    partition       INTEGER NOT NULL,
    "offset"        INTEGER NOT NULL,
    record_key      TEXT,
    record_value    BLOB    NOT NULL,
    reason          TEXT    NOT NULL,
    detail          TEXT    NOT NULL,
    consumer_group  TEXT    NOT NULL,
    recorded_at     TEXT    NOT NULL,
    UNIQUE (topic, partition, "offset")
);
