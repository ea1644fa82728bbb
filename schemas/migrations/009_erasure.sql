-- 008: erasure of a person (GDPR/CCPA) and suppression of their later leads (store/erase.h).
--
-- The audit of an erasure keeps no value of the person: only salted SHA-256 hashes of the normalized e-mail keys
-- and phones (E.164), the time, the actor and how much was removed. The salt is made once per install, here, from
-- the server's strong random source (gen_random_uuid), and never leaves the database.
CREATE TABLE erasure_salt (
  id    boolean PRIMARY KEY DEFAULT true CHECK (id),
  salt  text    NOT NULL
);
INSERT INTO erasure_salt (salt)
SELECT encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex');

CREATE TABLE erasure_event (
  id            bigserial PRIMARY KEY,
  actor         text        NOT NULL,
  email_hashes  text[]      NOT NULL DEFAULT '{}',
  phone_hashes  text[]      NOT NULL DEFAULT '{}',
  contacts      integer     NOT NULL DEFAULT 0,
  records       integer     NOT NULL DEFAULT 0,
  payloads      integer     NOT NULL DEFAULT 0,
  suppressed    boolean     NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Leads never to store again: kind 'email' (hash of the normalized e-mail key) or 'phone' (hash of E.164).
CREATE TABLE erasure_suppression (
  kind        text        NOT NULL CHECK (kind IN ('email', 'phone')),
  hash        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, hash)
);
