-- Member directory: who belongs to which organisation with which standing, kept by the events
-- themselves. The trigger runs inside the append transaction, so the directory is exactly as
-- current as the store, and handlers can read the facts that rules about other records need
-- (how many full members may vote, who may introduce). It is derived: rebuilt from the events by
-- gb_member_directory_rebuild().

CREATE TABLE IF NOT EXISTS member_directory (
    member_id      text PRIMARY KEY,
    formal_org_id  text NOT NULL,
    status         text NOT NULL,
    position       bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS member_directory_org ON member_directory (formal_org_id, status);
-- Where a mobile member takes part in organisational life away from home, and whether they hold an
-- activity certificate (holders attend there but never vote).
ALTER TABLE member_directory ADD COLUMN IF NOT EXISTS host_org_id text;
ALTER TABLE member_directory ADD COLUMN IF NOT EXISTS certificate_holder boolean NOT NULL DEFAULT false;
-- National ID numbers are no longer kept here: uniqueness and look-up use their keyed hash in
-- national_id_index (personal_data.sql). The column of earlier versions held them in clear.
DROP INDEX IF EXISTS member_directory_national_id;
ALTER TABLE member_directory DROP COLUMN IF EXISTS national_id;

-- The directory's history (two time axes): each fact that moves a member to an organisation or changes
-- their standing, as of the day it took effect (the event's effective date, not the day it was recorded).
-- A member's organisation and standing on a day are those of their latest change on or before it, so a
-- fact entered late lands where it belongs (a vote recorded today for a past meeting counts that day's
-- roster). effective_on NULL: a member registered from the register without a day — counted as there on
-- every earlier day. Rebuilt from the events like the rest of the directory.
CREATE TABLE IF NOT EXISTS member_directory_changes (
    member_id    text NOT NULL,
    effective_on date,
    position     bigint NOT NULL,
    org_id       text,
    status       text,
    PRIMARY KEY (member_id, position)
);
CREATE INDEX IF NOT EXISTS member_directory_changes_org ON member_directory_changes (org_id, effective_on);

-- The same history as validity intervals: [valid_from, valid_to), valid_to NULL while it lasts.
CREATE OR REPLACE VIEW member_org_spells AS
    SELECT member_id, org_id, effective_on AS valid_from,
           lead(effective_on) OVER w AS valid_to
      FROM member_directory_changes WHERE org_id IS NOT NULL
    WINDOW w AS (PARTITION BY member_id ORDER BY coalesce(effective_on, '-infinity'::date), position);
CREATE OR REPLACE VIEW member_status_spells AS
    SELECT member_id, status, effective_on AS valid_from,
           lead(effective_on) OVER w AS valid_to
      FROM member_directory_changes WHERE status IS NOT NULL
    WINDOW w AS (PARTITION BY member_id ORDER BY coalesce(effective_on, '-infinity'::date), position);

-- Formal members of p_org_id on p_day with one of p_statuses (full members vote; see directory.py).
CREATE OR REPLACE FUNCTION gb_members_on(p_org_id text, p_day date, p_statuses text[])
RETURNS TABLE (member_id text) LANGUAGE sql STABLE AS $$
    WITH known AS (
        SELECT * FROM member_directory_changes WHERE coalesce(effective_on, '-infinity'::date) <= p_day
    ), candidates AS (
        SELECT DISTINCT member_id FROM known WHERE org_id = p_org_id
    ), state AS (
        SELECT c.member_id,
               (SELECT k.org_id FROM known k WHERE k.member_id = c.member_id AND k.org_id IS NOT NULL
                 ORDER BY coalesce(k.effective_on, '-infinity'::date) DESC, k.position DESC LIMIT 1) AS org_id,
               (SELECT k.status FROM known k WHERE k.member_id = c.member_id AND k.status IS NOT NULL
                 ORDER BY coalesce(k.effective_on, '-infinity'::date) DESC, k.position DESC LIMIT 1) AS status
          FROM candidates c
    )
    SELECT member_id FROM state WHERE org_id = p_org_id AND status = ANY(p_statuses);
$$;

CREATE OR REPLACE FUNCTION gb_member_directory_apply(p_type text, p_data json, p_position bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d jsonb := p_data::jsonb;
BEGIN
    CASE p_type
        WHEN 'gb.membership.member_registered.v1', 'gb.membership.member_registered.v2' THEN
            INSERT INTO member_directory (member_id, formal_org_id, status, position)
            VALUES (d->>'member_id', d->>'formal_org_id', d->>'status', p_position)
            ON CONFLICT (member_id) DO UPDATE SET formal_org_id = EXCLUDED.formal_org_id,
                status = EXCLUDED.status, position = EXCLUDED.position;
        WHEN 'gb.membership.probationary_admitted.v1' THEN
            INSERT INTO member_directory VALUES (d->>'person_id', d->>'org_id', 'probationary', p_position)
            ON CONFLICT (member_id) DO UPDATE SET formal_org_id = EXCLUDED.formal_org_id,
                status = EXCLUDED.status, position = EXCLUDED.position;
        WHEN 'gb.membership.converted.v1' THEN
            UPDATE member_directory SET status = 'full', position = p_position WHERE member_id = d->>'person_id';
        WHEN 'gb.membership.probation_cancelled.v1' THEN
            UPDATE member_directory SET status = 'removed', position = p_position WHERE member_id = d->>'person_id';
        WHEN 'gb.membership.reported_to_host.v1' THEN
            UPDATE member_directory SET host_org_id = d->>'host_org_id', position = p_position
             WHERE member_id = d->>'member_id';
        WHEN 'gb.membership.inflow_registered.v1', 'gb.membership.inflow_registered.v2' THEN
            -- A member of an organisation elsewhere, here with that organisation's certificate.
            INSERT INTO member_directory (member_id, formal_org_id, status, position, host_org_id, certificate_holder)
            VALUES (d->>'member_id', d->'home_org'->>'org_id', d->>'status', p_position, d->>'host_org_id', true)
            ON CONFLICT (member_id) DO NOTHING;
        WHEN 'gb.membership.certificate_issued.v1' THEN
            UPDATE member_directory SET certificate_holder = true, position = p_position
             WHERE member_id = d->>'member_id';
        WHEN 'gb.membership.certificate_inspected.v1' THEN
            UPDATE member_directory SET certificate_holder = false, position = p_position
             WHERE member_id = d->>'member_id';
        WHEN 'gb.membership.transfer_received.v1' THEN
            UPDATE member_directory SET formal_org_id = d->>'to_org_id', position = p_position
             WHERE member_id = d->>'member_id';
        WHEN 'gb.membership.membership_suspended.v1' THEN
            UPDATE member_directory SET status = 'suspended', position = p_position WHERE member_id = d->>'member_id';
        WHEN 'gb.membership.membership_restored.v1' THEN
            UPDATE member_directory SET status = d->>'status', position = p_position WHERE member_id = d->>'member_id';
        WHEN 'gb.membership.membership_removed.v1' THEN
            UPDATE member_directory SET status = 'removed', position = p_position WHERE member_id = d->>'member_id';
        WHEN 'gb.membership.member_died.v1' THEN
            UPDATE member_directory SET status = 'deceased', position = p_position WHERE member_id = d->>'member_id';
        ELSE
            NULL;
    END CASE;
    -- The history, as of each fact's effective date.
    CASE p_type
        WHEN 'gb.membership.member_registered.v1', 'gb.membership.member_registered.v2' THEN
            INSERT INTO member_directory_changes VALUES (d->>'member_id', (d->>'member_since')::date, p_position,
                d->>'formal_org_id', d->>'status') ON CONFLICT DO NOTHING;
        WHEN 'gb.membership.probationary_admitted.v1' THEN
            INSERT INTO member_directory_changes VALUES (d->>'person_id', (d->>'probation_start')::date, p_position,
                d->>'org_id', 'probationary') ON CONFLICT DO NOTHING;
        WHEN 'gb.membership.converted.v1' THEN
            -- Full from the end of probation (party age counts from it), whenever the conversion was approved.
            INSERT INTO member_directory_changes VALUES (d->>'person_id', (d->>'party_age_start')::date, p_position,
                NULL, 'full') ON CONFLICT DO NOTHING;
        WHEN 'gb.membership.probation_cancelled.v1' THEN
            INSERT INTO member_directory_changes VALUES (d->>'person_id', (d->>'approved_on')::date, p_position,
                NULL, 'removed') ON CONFLICT DO NOTHING;
        WHEN 'gb.membership.transfer_received.v1' THEN
            INSERT INTO member_directory_changes VALUES (d->>'member_id', (d->>'received_on')::date, p_position,
                d->>'to_org_id', NULL) ON CONFLICT DO NOTHING;
        WHEN 'gb.membership.membership_suspended.v1' THEN
            INSERT INTO member_directory_changes VALUES (d->>'member_id', (d->>'suspended_on')::date, p_position,
                NULL, 'suspended') ON CONFLICT DO NOTHING;
        WHEN 'gb.membership.membership_restored.v1' THEN
            INSERT INTO member_directory_changes VALUES (d->>'member_id', (d->>'restored_on')::date, p_position,
                NULL, d->>'status') ON CONFLICT DO NOTHING;
        WHEN 'gb.membership.membership_removed.v1' THEN
            INSERT INTO member_directory_changes VALUES (d->>'member_id', (d->>'removed_on')::date, p_position,
                NULL, 'removed') ON CONFLICT DO NOTHING;
        WHEN 'gb.membership.member_died.v1' THEN
            INSERT INTO member_directory_changes VALUES (d->>'member_id', (d->>'died_on')::date, p_position,
                NULL, 'deceased') ON CONFLICT DO NOTHING;
        ELSE
            NULL;
    END CASE;
END;
$$;

CREATE OR REPLACE FUNCTION gb_member_directory_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gb_member_directory_apply(NEW.type, NEW.data, NEW.position);
    RETURN NULL;
END;
$$;

-- Only for the event types gb_member_directory_apply reads (the same list: tests/unit/membership/
-- test_directory_sql.py holds them equal): every other event — dues, branches, meetings, most of a busy store —
-- is inserted without a call or its JSON parsed.
CREATE OR REPLACE TRIGGER member_directory AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.type IN (
        'gb.membership.certificate_inspected.v1',
        'gb.membership.certificate_issued.v1',
        'gb.membership.converted.v1',
        'gb.membership.inflow_registered.v1',
        'gb.membership.inflow_registered.v2',
        'gb.membership.member_died.v1',
        'gb.membership.member_registered.v1',
        'gb.membership.member_registered.v2',
        'gb.membership.membership_removed.v1',
        'gb.membership.membership_restored.v1',
        'gb.membership.membership_suspended.v1',
        'gb.membership.probation_cancelled.v1',
        'gb.membership.probationary_admitted.v1',
        'gb.membership.reported_to_host.v1',
        'gb.membership.transfer_received.v1'
    )) EXECUTE FUNCTION gb_member_directory_trigger();

CREATE OR REPLACE FUNCTION gb_member_directory_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    e record;
    n bigint := 0;
BEGIN
    TRUNCATE member_directory;
    TRUNCATE member_directory_changes;
    FOR e IN SELECT type, data, position FROM events ORDER BY position LOOP
        PERFORM gb_member_directory_apply(e.type, e.data, e.position);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

-- A store written before the history existed: build it (and the rest of the directory) from the events once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM member_directory_changes) AND EXISTS (SELECT 1 FROM member_directory) THEN
        PERFORM gb_member_directory_rebuild();
    END IF;
END;
$$;
