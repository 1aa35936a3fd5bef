-- Journal: one row per event. ordering is assigned under a transaction-scoped advisory lock
-- (see PostgresJournalStore.WriteAsync), so it increases in commit order and a reader
-- following it never skips an event that commits later.
CREATE TABLE {schema}.journal (
    ordering        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    persistence_id  text        NOT NULL,
    sequence_nr     bigint      NOT NULL,
    event_type      text        NOT NULL,
    payload         jsonb       NOT NULL,
    tags            text[]      NOT NULL DEFAULT '{}',
    written_at      timestamptz NOT NULL,
    writer_id       text        NOT NULL,
    correlation_id  text,
    causation_id    text,
    caused_by       text        NOT NULL,
    deleted         boolean     NOT NULL DEFAULT false,
    -- A second writer for one entity fails here instead of forking its history.
    CONSTRAINT journal_persistence_id_sequence_nr_key UNIQUE (persistence_id, sequence_nr)
);

CREATE INDEX journal_tags_idx ON {schema}.journal USING gin (tags);

CREATE TABLE {schema}.snapshots (
    persistence_id  text        NOT NULL,
    sequence_nr     bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    snapshot_type   text        NOT NULL,
    payload         jsonb       NOT NULL,
    PRIMARY KEY (persistence_id, sequence_nr)
);
