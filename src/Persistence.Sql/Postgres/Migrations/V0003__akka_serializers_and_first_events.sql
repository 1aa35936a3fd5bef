-- Akka.Persistence plugins store payloads of any Akka serializer: ours stays JSON in payload
-- (serializer_id 0, queryable as jsonb); any other serializer's bytes go to payload_bytes with
-- its id. The partial index lists each entity once, at its first event, for PersistenceIds.
ALTER TABLE {schema}.journal
    ADD COLUMN serializer_id integer NOT NULL DEFAULT 0,
    ADD COLUMN payload_bytes bytea,
    ALTER COLUMN payload DROP NOT NULL;

ALTER TABLE {schema}.snapshots
    ADD COLUMN serializer_id integer NOT NULL DEFAULT 0,
    ADD COLUMN payload_bytes bytea,
    ALTER COLUMN payload DROP NOT NULL;

CREATE INDEX journal_first_events_idx ON {schema}.journal (ordering) WHERE sequence_nr = 1;
