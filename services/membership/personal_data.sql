-- Personal-data keys of membership (services/membership/personal_data.py explains the hierarchy).
--
-- person_keys: one data key per person, stored only wrapped by the key-encryption key derived from
-- GB_MEMBERSHIP_MASTER_KEY. Erasure sets wrapped_key to NULL and keeps the row as a tombstone, so no new
-- key is ever made for a forgotten person (nothing personal is recorded for them again).
CREATE TABLE IF NOT EXISTS person_keys (
    person_id    text PRIMARY KEY,
    key_id       uuid NOT NULL UNIQUE,
    wrapped_key  bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    erased_at    timestamptz,
    CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);

-- A registered national ID number is held by its person's stream as the reservation
-- 'national-id:<HMAC-SHA256 hex>' (the store's reservations table), claimed by the registration's own
-- append, so two registrations of one number on two instances cannot both commit
-- (docs/decisions/cross-record-rules.md). Earlier versions kept a table national_id_index, claimed before
-- the append: its claims of recorded persons move into reservations once (a claim whose person has no
-- record was left by a refused registration and is dropped), and the name stays as a view for readers.
DO $$
BEGIN
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass('national_id_index')) = 'r' THEN
        INSERT INTO reservations (key, holder)
        SELECT 'national-id:' || encode(i.id_hash, 'hex'), i.person_id FROM national_id_index i
         WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream_id = i.person_id)
        ON CONFLICT (key) DO NOTHING;
        DROP TABLE national_id_index;
    END IF;
END;
$$;
CREATE OR REPLACE VIEW national_id_index AS
    SELECT decode(substr(key, length('national-id:') + 1), 'hex') AS id_hash, holder AS person_id
      FROM reservations WHERE key LIKE 'national-id:%';

-- When the registrations recorded before sealing (their numbers in clear) were indexed: once, since no new
-- one can appear (every registration since is sealed).
CREATE TABLE IF NOT EXISTS legacy_registrations_indexed (
    indexed_at  timestamptz NOT NULL DEFAULT now()
);

-- Erasure destroys the key in the very transaction that appends the PersonalDataErased event: the
-- event can never be recorded while the key lives on, nor the key be destroyed without the record. The
-- person's ID number is released in that transaction too (the erasure cannot name the number it forgets),
-- and so are the retry records of the commands on their stream before it: each keeps a fingerprint of a
-- request whose body held their number or phone (keyed, services/kernel/retries.py, but no longer needed). Every
-- command about a person is on their one stream (handlers/records.py, on_person). The erasure's own record
-- stays, so that its retry answers as it did instead of 409; a late retry of an earlier command is decided
-- again, and one that carries personal data finds no key to seal it with (410). The delete scans the table (no
-- index on stream_id, which every append would pay for; erasures are rare): about 0.3 s per million records,
-- under the append lock.
--
-- The forgetting is one function, gb_forget_person, which the trigger calls with the erasure's stream, position
-- and time. A restore calls it too (infra/erasures.py): a backup taken before an erasure still holds the
-- person's key, so the erasures Kafka holds from after the backup are applied to the restored store again, by
-- the very same statements, with the time each erasure was recorded. A person without a key row gets a
-- tombstone (no key is ever made for them again); forgetting a forgotten person changes nothing. It answers
-- whether it destroyed a key or made a tombstone.
CREATE OR REPLACE FUNCTION gb_forget_person(person text, erasure_position bigint, erased timestamptz)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    keys_changed bigint;
BEGIN
    INSERT INTO person_keys (person_id, key_id, wrapped_key, erased_at)
    VALUES (person, gen_random_uuid(), NULL, erased)
    ON CONFLICT (person_id) DO UPDATE SET wrapped_key = NULL, erased_at = erased
        WHERE person_keys.erased_at IS NULL;
    GET DIAGNOSTICS keys_changed = ROW_COUNT;
    DELETE FROM reservations WHERE holder = person AND key LIKE 'national-id:%';
    DELETE FROM idempotency_keys WHERE stream_id = person AND last_position < erasure_position;
    RETURN keys_changed > 0;
END;
$$;

CREATE OR REPLACE FUNCTION gb_personal_data_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gb_forget_person(NEW.stream_id, NEW.position, now());
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER person_keys_erasure AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.type = 'gb.membership.personal_data_erased.v1')
    EXECUTE FUNCTION gb_personal_data_erased();
