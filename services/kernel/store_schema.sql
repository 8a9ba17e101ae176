-- Event store of one service (each service has its own database; nobody else reads it).

CREATE TABLE IF NOT EXISTS events (
    -- Global position: assigned while the append holds the store's advisory lock, so positions
    -- become visible in commit order (see gb_append_batch).
    position        bigserial PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_type     text        NOT NULL,
    version         integer     NOT NULL CHECK (version > 0),
    type            text        NOT NULL,
    -- json (not jsonb) keeps the exact bytes that were hashed and published.
    data            json        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor           text        NOT NULL,
    correlation_id  text        NOT NULL,
    causation_id    text,
    prev_hash       bytea,
    hash            bytea       NOT NULL,
    -- W3C trace context of the request (CloudEvents distributed-tracing extension); outside the
    -- hash chain, which commits to what happened, not to how it was observed.
    traceparent     text,
    -- The optimistic-concurrency guarantee: two writers can never both add version n.
    UNIQUE (stream_id, version)
);

-- Stores created before the column existed get it on install.
ALTER TABLE events ADD COLUMN IF NOT EXISTS traceparent text;

-- Timers and audits list the records of one kind.
CREATE INDEX IF NOT EXISTS events_stream_type ON events (stream_type, stream_id);

-- Rows waiting for the relay. Column names follow Debezium's outbox router (id, aggregatetype,
-- aggregateid, type) so a larger deployment can swap the relay for Debezium.
CREATE TABLE IF NOT EXISTS outbox (
    id             bigint PRIMARY KEY,  -- = events.position
    aggregatetype  text NOT NULL,
    aggregateid    text NOT NULL,
    type           text NOT NULL
);

-- A command's retry record: its key (scoped to the caller) and a fingerprint of the request that tells a retry
-- from another request under the same key. A request's fingerprint is keyed ('hmac-sha256:<hex>',
-- services/kernel/retries.py): the body it covers may hold an ID number or a phone.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key             text PRIMARY KEY,
    fingerprint     text NOT NULL,
    stream_id       text NOT NULL,
    first_position  bigint NOT NULL,
    last_position   bigint NOT NULL,
    stream_version  integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Earlier versions stored an unkeyed SHA-256 of method, path and body: with the rest of the body (the event's
-- clear fields) an ID number or a phone in it is found by trying them all. Those fingerprints are forgotten, so
-- a retry of such a command is refused as a different request (422), never applied twice. Only rows the HTTP
-- edge wrote are touched: their key begins with the caller's subject (command_meta), and the caller is the
-- actor of the row's first event ('role:subject' or 'role:subject@org'). A consumer's key names its purpose
-- (funds-credit:<event id>), and its fingerprint — of an event id, nothing personal — is compared again when
-- the event is redelivered, so it stays. Every start in the first day sweeps again: instances not yet upgraded
-- go on writing unkeyed rows during a rolling upgrade, until they too start with this version.
CREATE TABLE IF NOT EXISTS idempotency_fingerprints_keyed (
    keyed_at  timestamptz NOT NULL DEFAULT now()
);
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM idempotency_fingerprints_keyed k WHERE k.keyed_at < now() - interval '1 day') THEN
        UPDATE idempotency_keys ik SET fingerprint = 'unkeyed, forgotten'
          FROM events e
         WHERE e.position = ik.first_position
           AND ik.fingerprint ~ '^[0-9a-f]{64}$'
           AND (substr(e.actor, strpos(e.actor, ':') + 1) = split_part(ik.key, ':', 1)
                OR starts_with(substr(e.actor, strpos(e.actor, ':') + 1), split_part(ik.key, ':', 1) || '@'));
        INSERT INTO idempotency_fingerprints_keyed (keyed_at)
        SELECT now() WHERE NOT EXISTS (SELECT 1 FROM idempotency_fingerprints_keyed);
    END IF;
END;
$$;

-- Keys a stream holds for a rule that spans records (services/kernel/reservations.py): one holder per key,
-- claimed and released only by gb_append_batch, in the transaction of the holder's own events.
CREATE TABLE IF NOT EXISTS reservations (
    key         text PRIMARY KEY,
    holder      text NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now()
);

-- The gateway credentials this service has served, by id, until a minute after they expire
-- (services/kernel/credential.py): one table for every instance, so a captured credential is served once.
CREATE TABLE IF NOT EXISTS credentials_used (
    jti         text PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS credentials_used_expiry ON credentials_used (expires_at);

-- Appends a batch of independent commands' events in ONE transaction (group commit).
-- Each item is checked on its own: a stale expected version makes that item 'conflict' and
-- leaves the others untouched; a known idempotency key makes it 'replayed' with its first result; a
-- claim on a key another stream holds, or a key it needs free held, makes it 'reserved'; a stream it
-- read that has moved on since makes it 'stale' (nothing of either is written). An accepted item's
-- releases, claims and new version count at once for the later items of the same batch.
-- The advisory lock serialises appends of this store, which is what lets positions be read in
-- commit order and a row never "commits late" behind a higher position.
DROP FUNCTION IF EXISTS gb_append_batch(int[], uuid[], text[], int[], text[], text[], timestamptz[], text[],
    text[], text[], bytea[], bytea[], text[], int[], int[], text[], text[]);
DROP FUNCTION IF EXISTS gb_append_batch(int[], uuid[], text[], int[], text[], text[], timestamptz[], text[],
    text[], text[], bytea[], bytea[], text[], text[], int[], int[], text[], text[]);
DROP FUNCTION IF EXISTS gb_append_batch(int[], uuid[], text[], int[], text[], text[], timestamptz[], text[],
    text[], text[], bytea[], bytea[], text[], text[], int[], int[], text[], text[], int[], text[], boolean[]);
DROP FUNCTION IF EXISTS gb_append_batch(int[], uuid[], text[], int[], text[], text[], timestamptz[], text[],
    text[], text[], bytea[], bytea[], text[], text[], int[], int[], text[], text[], int[], text[], text[],
    int[], text[], int[]);
CREATE FUNCTION gb_append_batch(
    p_item int[], p_event_id uuid[], p_stream_type text[], p_version int[], p_type text[],
    p_data text[], p_occurred timestamptz[], p_actor text[], p_correlation text[],
    p_causation text[], p_prev_hash bytea[], p_hash bytea[], p_traceparent text[],
    p_item_stream text[], p_item_expected int[], p_item_count int[], p_item_key text[],
    p_item_fingerprint text[], p_res_item int[], p_res_key text[], p_res_kind text[],
    p_read_item int[], p_read_stream text[], p_read_version int[]
) RETURNS TABLE (item int, status text, stream_id text, first_position bigint, last_position bigint,
                 stream_version int, fingerprint text, reserved_key text, holder text)
LANGUAGE plpgsql
-- Custom plans were re-made on every call (array parameters keep them "cheaper" than the generic one),
-- which cost more than the whole batch's work: ~6 of 7 ms for 16 commands (bench/appends.py).
SET plan_cache_mode = force_generic_plan
AS $$
-- Set-based: what the items are checked against (their streams' heads, the idempotency keys and the
-- reservations they name) is read in three statements up front; the items are then decided in order,
-- in memory, each seeing what the items accepted before it changed; and the accepted items' writes are
-- made in one statement each. p_res_item and p_read_item ascend (reservation_columns numbers them in
-- item order), so each item's keys and reads are a run the loop walks once.
DECLARE
    n int := coalesce(array_length(p_item_stream, 1), 0);
    n_res int := coalesce(array_length(p_res_item, 1), 0);
    n_read int := coalesce(array_length(p_read_item, 1), 0);
    heads jsonb;
    known jsonb;
    held jsonb;
    claimed jsonb := '{}'::jsonb;
    touched text[] := '{}';
    accepted boolean[] := array_fill(false, ARRAY[greatest(n, 1)]);
    r_first int := 1;
    r_last int;
    g_first int := 1;
    g_last int;
    cur int;
    v_stream text;
    v_key text;
    refused text;
    refused_key text;
    refused_holder text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('gb_event_store_append'));
    SELECT coalesce(jsonb_object_agg(x.s, (SELECT coalesce(max(e.version), 0) FROM events e WHERE e.stream_id = x.s)),
                    '{}'::jsonb)
      INTO heads
      FROM (SELECT DISTINCT u.s FROM unnest(p_item_stream || p_read_stream) AS u(s)) x;
    SELECT coalesce(jsonb_object_agg(ik.key, jsonb_build_array(ik.stream_id, ik.first_position, ik.last_position,
                                                               ik.stream_version, ik.fingerprint)), '{}'::jsonb)
      INTO known
      FROM idempotency_keys ik WHERE ik.key = ANY (p_item_key);
    SELECT coalesce(jsonb_object_agg(r.key, r.holder), '{}'::jsonb)
      INTO held
      FROM reservations r WHERE r.key = ANY (p_res_key);

    FOR i IN 1..n LOOP
        v_stream := p_item_stream[i];
        -- This item's run of keys (r_first..r_last) and of reads (g_first..g_last).
        WHILE r_first <= n_res AND p_res_item[r_first] < i LOOP r_first := r_first + 1; END LOOP;
        r_last := r_first - 1;
        WHILE r_last < n_res AND p_res_item[r_last + 1] = i LOOP r_last := r_last + 1; END LOOP;
        WHILE g_first <= n_read AND p_read_item[g_first] < i LOOP g_first := g_first + 1; END LOOP;
        g_last := g_first - 1;
        WHILE g_last < n_read AND p_read_item[g_last + 1] = i LOOP g_last := g_last + 1; END LOOP;

        IF p_item_key[i] IS NOT NULL THEN
            IF known ? p_item_key[i] THEN
                RETURN QUERY SELECT i, 'replayed'::text, known -> p_item_key[i] ->> 0,
                                    (known -> p_item_key[i] ->> 1)::bigint, (known -> p_item_key[i] ->> 2)::bigint,
                                    (known -> p_item_key[i] ->> 3)::int, known -> p_item_key[i] ->> 4,
                                    NULL::text, NULL::text;
                CONTINUE;
            END IF;
            IF claimed ? p_item_key[i] THEN
                -- Same key twice in one batch: the caller retries it and then sees 'replayed'.
                RETURN QUERY SELECT i, 'retry'::text, NULL::text, NULL::bigint, NULL::bigint, NULL::int, NULL::text,
                                    NULL::text, NULL::text;
                CONTINUE;
            END IF;
        END IF;
        cur := (heads ->> v_stream)::int;
        IF cur <> p_item_expected[i] THEN
            RETURN QUERY SELECT i, 'conflict'::text, v_stream, NULL::bigint, NULL::bigint, cur, NULL::text,
                                NULL::text, NULL::text;
            CONTINUE;
        END IF;
        -- Exact across every instance of the service: the append lock above is held, so no other
        -- transaction appends, claims or releases between the reads above and the writes below.
        refused := NULL;
        FOR j IN g_first..g_last LOOP
            IF p_read_version[j] <> (heads ->> p_read_stream[j])::int THEN
                refused := p_read_stream[j];
                EXIT;
            END IF;
        END LOOP;
        IF refused IS NOT NULL THEN
            RETURN QUERY SELECT i, 'stale'::text, v_stream, NULL::bigint, NULL::bigint, cur, NULL::text, NULL::text, refused;
            CONTINUE;
        END IF;
        FOR j IN r_first..r_last LOOP
            v_key := p_res_key[j];
            IF p_res_kind[j] IN ('claim', 'free') AND held ? v_key AND held ->> v_key <> v_stream THEN
                refused_key := v_key;
                refused_holder := held ->> v_key;
                EXIT;
            END IF;
        END LOOP;
        IF refused_key IS NOT NULL THEN
            RETURN QUERY SELECT i, 'reserved'::text, v_stream, NULL::bigint, NULL::bigint, cur, NULL::text,
                                refused_key, refused_holder;
            refused_key := NULL;
            CONTINUE;
        END IF;
        FOR j IN r_first..r_last LOOP
            v_key := p_res_key[j];
            IF p_res_kind[j] = 'release' AND held ->> v_key = v_stream THEN
                held := held - v_key;
                touched := touched || v_key;
            ELSIF p_res_kind[j] = 'claim' AND NOT held ? v_key THEN
                held := held || jsonb_build_object(v_key, v_stream);
                touched := touched || v_key;
            END IF;
        END LOOP;
        heads := heads || jsonb_build_object(v_stream, cur + p_item_count[i]);
        IF p_item_key[i] IS NOT NULL THEN
            claimed := claimed || jsonb_build_object(p_item_key[i], true);
        END IF;
        accepted[i] := true;
    END LOOP;

    IF cardinality(touched) > 0 THEN
        -- The keys' state after the whole batch, as the loop left it in "held".
        DELETE FROM reservations r WHERE r.key = ANY (touched) AND NOT held ? r.key;
        INSERT INTO reservations (key, holder)
        SELECT DISTINCT t.k, held ->> t.k FROM unnest(touched) AS t(k) WHERE held ? t.k
        ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, claimed_at = now()
            WHERE reservations.holder <> EXCLUDED.holder;
    END IF;

    PERFORM pg_notify('gb_outbox', '');

    RETURN QUERY
    WITH src AS (
        SELECT u.it, u.eid, u.st, u.ver, u.ty, u.d, u.occ, u.act, u.cor, u.cau, u.ph, u.h, u.tp, u.ord
          FROM unnest(p_item, p_event_id, p_stream_type, p_version, p_type, p_data, p_occurred,
                      p_actor, p_correlation, p_causation, p_prev_hash, p_hash, p_traceparent)
               WITH ORDINALITY AS u(it, eid, st, ver, ty, d, occ, act, cor, cau, ph, h, tp, ord)
         WHERE accepted[u.it]
    ), ins AS (
        INSERT INTO events (event_id, stream_id, stream_type, version, type, data, occurred_at,
                            actor, correlation_id, causation_id, prev_hash, hash, traceparent)
        SELECT s.eid, p_item_stream[s.it], s.st, s.ver, s.ty, s.d::json, s.occ, s.act, s.cor,
               s.cau, s.ph, s.h, s.tp
          FROM src s ORDER BY s.ord
        RETURNING events.position, events.event_id, events.stream_id, events.stream_type,
                  events.version, events.type
    ), ob AS (
        INSERT INTO outbox (id, aggregatetype, aggregateid, type)
        SELECT ins.position, ins.stream_type, ins.stream_id, ins.type FROM ins
    ), per_item AS (
        SELECT s.it, min(ins.position) AS fp, max(ins.position) AS lp, max(ins.version) AS v
          FROM ins JOIN src s ON s.eid = ins.event_id GROUP BY s.it
    ), idem AS (
        INSERT INTO idempotency_keys (key, fingerprint, stream_id, first_position, last_position,
                                      stream_version)
        SELECT p_item_key[p.it], p_item_fingerprint[p.it], p_item_stream[p.it], p.fp, p.lp, p.v
          FROM per_item p WHERE p_item_key[p.it] IS NOT NULL
    )
    SELECT p.it, 'ok'::text, p_item_stream[p.it], p.fp, p.lp, p.v, p_item_fingerprint[p.it], NULL::text, NULL::text
      FROM per_item p;
END;
$$;
