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

-- national_id_index: the keyed hash (HMAC-SHA256) of each registered national ID number and whose it is;
-- uniqueness and look-up by number use it, never the number. A claim is made before the registration is
-- appended; a claim whose person was never registered (the command was refused) is taken over by the
-- next registration with that number.
CREATE TABLE IF NOT EXISTS national_id_index (
    id_hash    bytea PRIMARY KEY,
    person_id  text NOT NULL
);
CREATE INDEX IF NOT EXISTS national_id_index_person ON national_id_index (person_id);

-- When the registrations recorded before sealing (their numbers in clear) were indexed: once, since no new
-- one can appear (every registration since is sealed).
CREATE TABLE IF NOT EXISTS legacy_registrations_indexed (
    indexed_at  timestamptz NOT NULL DEFAULT now()
);

-- Erasure destroys the key in the very transaction that appends the PersonalDataErased event: the
-- event can never be recorded while the key lives on, nor the key be destroyed without the record.
CREATE OR REPLACE FUNCTION gb_personal_data_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO person_keys (person_id, key_id, wrapped_key, erased_at)
    VALUES (NEW.stream_id, gen_random_uuid(), NULL, now())
    ON CONFLICT (person_id) DO UPDATE SET wrapped_key = NULL, erased_at = coalesce(person_keys.erased_at, now());
    DELETE FROM national_id_index WHERE person_id = NEW.stream_id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER person_keys_erasure AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.type = 'gb.membership.personal_data_erased.v1')
    EXECUTE FUNCTION gb_personal_data_erased();
