-- Dead letters keep the record's key byte for byte beside its escaped text form (see the
-- PostgreSQL migration of the same version). Null for rows recorded before.
ALTER TABLE dead_letters ADD COLUMN record_key_raw BLOB;
