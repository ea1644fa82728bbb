-- 006: over-common blocking keys, remembered. A key held by more entities than match.toml's max_per_key (a shared
-- office phone, info@) is skipped by the matcher rather than followed into thousands of candidates; this table
-- records that it happened so stewards can see which keys are capped (GET /admin/report/blocking-keys,
-- canonctl report blocking-keys). One row per key: kind is the blocking rule's name (the part before ':'), hits
-- the number of records that met the key while it was over-common. The key holds PII (a phone, an e-mail): it
-- belongs in this admin report, never in logs.
CREATE TABLE over_common_key (
  key         text        PRIMARY KEY,
  kind        text        NOT NULL,
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  hits        bigint      NOT NULL DEFAULT 0
);
CREATE INDEX over_common_key_hits ON over_common_key (hits DESC);
