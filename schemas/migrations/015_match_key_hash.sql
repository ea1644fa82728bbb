-- 015: match_key files a blocking key by a 64-bit hash of its text, not by the text (issue 18). The keys' index
-- entries carried the text (about 88 bytes each: match_key_pkey was 7.4 MB for 18,000 contacts); a bigint makes
-- them 16 bytes, and the writer sends arrays of int8 instead of text. The hash is the first 8 bytes of the SHA-256
-- of the key's UTF-8 text, big-endian, as a signed bigint: store::KeyHash (store/candidates.h) computes the same
-- in C++, and this function computes it in SQL (here, and for the over-common-key report, which keeps the text).
-- A collision (two keys, one hash) only makes an entity a candidate it was not: the writer scores every
-- candidate, so a collision changes no decision a shared key would not.
--
-- The writers' advisory locks take the same value (pg_advisory_xact_lock(bigint)) instead of
-- hashtextextended(key, 0): nodes running code from before this migration lock other numbers, so stop them
-- before migrating (they could not write to this table anyway).
CREATE FUNCTION canon_key_hash(key text) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT ('x' || encode(substr(sha256(convert_to(key, 'UTF8')), 1, 8), 'hex'))::bit(64)::bigint $$;

CREATE TABLE match_key_hashed (
  key_hash    bigint NOT NULL,
  contact_id  bigint NOT NULL
);
-- DISTINCT: two keys of one contact with one hash become one row.
INSERT INTO match_key_hashed (key_hash, contact_id)
SELECT DISTINCT canon_key_hash(key), contact_id FROM match_key;
DROP TABLE match_key;
ALTER TABLE match_key_hashed RENAME TO match_key;
ALTER TABLE match_key ADD PRIMARY KEY (key_hash, contact_id);
-- Merges, unmerges and erasures find a contact's keys by contact.
CREATE INDEX match_key_contact ON match_key (contact_id);
