-- The transparency log, beside the audit log's own event store (database gb_auditlog).

-- One row per log entry, in the order the log assigned (idx 0, 1, 2… without gaps).
CREATE TABLE IF NOT EXISTS log_entries (
    idx             bigint      PRIMARY KEY CHECK (idx >= 0),
    source          text        NOT NULL,
    event_id        uuid        NOT NULL,
    stream_id       text        NOT NULL,
    stream_version  integer     NOT NULL,
    position        bigint      NOT NULL,
    recorded_at     timestamptz NOT NULL,
    -- RFC 9162 leaf hash of the event's entry (services/auditlog/contract/entry.py).
    leaf_hash       bytea       NOT NULL,
    logged_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (source, event_id)
);
CREATE INDEX IF NOT EXISTS log_entries_recorded ON log_entries (recorded_at);
CREATE INDEX IF NOT EXISTS log_entries_stream ON log_entries (source, stream_id, stream_version);

-- Where the log is in each partition of the event topics: written in the same transaction as the
-- entries, so a crash keeps both or neither (Kafka's committed offsets are never trusted).
CREATE TABLE IF NOT EXISTS log_checkpoints (
    topic text NOT NULL, partition int NOT NULL, next_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);

-- A record on Kafka that names an event already logged, with other content: never logged, kept here.
CREATE TABLE IF NOT EXISTS log_conflicts (
    topic text NOT NULL, partition int NOT NULL, "offset" bigint NOT NULL,
    source text NOT NULL, event_id uuid NOT NULL, leaf_hash bytea NOT NULL, logged_leaf_hash bytea NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (topic, partition, "offset")
);

-- Tree heads are events of the stream 'tree-heads'; finding one by size reads this index.
CREATE INDEX IF NOT EXISTS events_tree_head_size ON events (((data->>'size')::bigint))
    WHERE stream_id = 'tree-heads';
