-- 001: the spine. Table names are a public contract (BI tools and stewards query them).

-- Every accepted payload, raw, before any parsing: the durability promise behind a 2xx.
CREATE TABLE inbox (
  id            bigserial PRIMARY KEY,
  source        text        NOT NULL,
  content_type  text        NOT NULL DEFAULT '',
  headers       jsonb       NOT NULL DEFAULT '{}',
  query         text        NOT NULL DEFAULT '',
  body          bytea       NOT NULL,
  delivery_key  text,
  received_at   timestamptz NOT NULL DEFAULT now(),
  status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts      integer     NOT NULL DEFAULT 0,
  processed_at  timestamptz,
  error         text
);
-- A redelivery (same source, same vendor key) finds the first delivery instead of making a second row.
CREATE UNIQUE INDEX inbox_delivery_key ON inbox (source, delivery_key) WHERE delivery_key IS NOT NULL;
-- Workers claim pending rows in id order; the partial index keeps that cheap as done rows accumulate.
CREATE INDEX inbox_pending ON inbox (id) WHERE status = 'pending';

-- Canonical people. Each field value remembers the source_record it came from in `lineage` (field -> id).
CREATE TABLE contact (
  id               bigserial PRIMARY KEY,
  email            text,
  phone            text,
  phone_ext        text,
  first_name       text,
  last_name        text,
  full_name        text,
  honorific        text,
  suffix           text,
  job_title        text,
  company          text,
  company_domain   text,
  website          text,
  country          text,
  region           text,
  city             text,
  postal_code      text,
  street           text,
  street_2         text,
  birth_date       text,
  external_id      text,
  lead_source      text,
  lifecycle_stage  text,
  consent          text,
  owner            text,
  utm_source       text,
  utm_medium       text,
  utm_campaign     text,
  utm_term         text,
  utm_content      text,
  gclid            text,
  fbclid           text,
  msclkid          text,
  original_source  text,
  latest_source    text,
  is_test          boolean     NOT NULL DEFAULT false,
  lineage          jsonb       NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  merged_into      bigint REFERENCES contact (id)
);
CREATE INDEX contact_email ON contact (lower(email));

-- One row per record a connector produced: immutable, with its normalized form. The unit of lineage.
CREATE TABLE source_record (
  id             bigserial PRIMARY KEY,
  inbox_id       bigint REFERENCES inbox (id),
  source         text        NOT NULL,
  record_index   integer     NOT NULL DEFAULT 0,
  delivery_key   text,
  is_test        boolean     NOT NULL DEFAULT false,
  raw            jsonb       NOT NULL,
  normalized     jsonb       NOT NULL,
  rules_version  text        NOT NULL,
  received_at    timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (inbox_id, record_index)
);

-- Which source records make an entity. An unmerge recomputes both sides from their members.
CREATE TABLE entity_member (
  source_record_id  bigint PRIMARY KEY REFERENCES source_record (id),
  contact_id        bigint      NOT NULL REFERENCES contact (id),
  match_weight      double precision,
  decided_by        text        NOT NULL DEFAULT 'auto',
  added_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entity_member_contact ON entity_member (contact_id);

-- Blocking keys -> entity. Candidates are found here, never by scanning contacts.
CREATE TABLE match_key (
  key         text   NOT NULL,
  contact_id  bigint NOT NULL REFERENCES contact (id),
  PRIMARY KEY (key, contact_id)
);
CREATE INDEX match_key_contact ON match_key (contact_id);

-- What was refused, with the reason and the place in the input. The raw bytes are kept for inspection.
CREATE TABLE dead_letter (
  id          bigserial PRIMARY KEY,
  inbox_id    bigint REFERENCES inbox (id),
  source      text        NOT NULL,
  stage       text        NOT NULL,
  reason      text        NOT NULL,
  location    text        NOT NULL DEFAULT '',
  raw         bytea,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letter_source ON dead_letter (source, created_at);

-- Governed values that mapped to nothing: the record is kept, the value is held here until an alias exists.
CREATE TABLE quarantine (
  id                bigserial PRIMARY KEY,
  source_record_id  bigint REFERENCES source_record (id),
  source            text        NOT NULL,
  field             text        NOT NULL,
  value             text        NOT NULL,
  reason            text        NOT NULL,
  status            text        NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'replayed', 'dismissed')),
  created_at        timestamptz NOT NULL DEFAULT now(),
  replayed_at       timestamptz
);
CREATE INDEX quarantine_field_value ON quarantine (field, value) WHERE status = 'held';

-- Append-only audit of merges, unmerges, steward edits and erasures.
CREATE TABLE merge_event (
  id          bigserial PRIMARY KEY,
  kind        text        NOT NULL,
  contact_id  bigint,
  other_id    bigint,
  actor       text        NOT NULL DEFAULT 'canond',
  detail      jsonb       NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
