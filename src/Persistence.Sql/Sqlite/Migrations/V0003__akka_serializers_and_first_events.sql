-- Akka.Persistence plugins store payloads of any Akka serializer: ours stays JSON text in
-- payload (serializer_id 0); any other serializer's bytes are kept in payload as a BLOB with
-- its id. The partial index lists each entity once, at its first event, for PersistenceIds.
ALTER TABLE journal ADD COLUMN serializer_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN serializer_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX journal_first_events_idx ON journal (ordering) WHERE sequence_nr = 1;
