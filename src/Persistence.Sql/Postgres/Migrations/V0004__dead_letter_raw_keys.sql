-- Dead letters keep the record's key byte for byte: record_key is text, which cannot hold
-- every key (PostgreSQL rejects U+0000 in text, and a key need not be UTF-8), so the ingress
-- stores an escaped form there and the raw bytes here. Null for rows recorded before.
ALTER TABLE {schema}.dead_letters ADD COLUMN record_key_raw bytea;
