-- Dead letters: incoming records that could not be applied, byte for byte, with the reason.
-- (topic, partition, offset) identifies a record, so recording it again after a redelivery
-- keeps one row.
CREATE TABLE {schema}.dead_letters (
    id              bigint GENERATED ALWAYS AS IDENTITY,
    topic           text        NOT NULL,
    partition       int         NOT NULL,
    "offset"        bigint      NOT NULL,
    record_key      text,
    record_value    bytea       NOT NULL,
    reason          text        NOT NULL,
    detail          text        NOT NULL,
    consumer_group  text        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (topic, partition, "offset")
);
