-- 004: fuzzy matching. Review queue, remembered rejections, record fingerprints.

-- A record's fingerprint: its normalized fields, hashed. The same lead re-ingested has the same fingerprint, so a
-- steward's "these two are different people" still holds when either side arrives again.
ALTER TABLE source_record
  ADD COLUMN fingerprint text GENERATED ALWAYS AS (md5((normalized -> 'fields')::text)) STORED;

-- Pairs the matcher scored between the review and merge thresholds: contact_id is the entity the new record
-- started, other_id the entity it resembles. explanation = the per-field waterfall of the best member pair.
CREATE TABLE merge_candidate (
  id               bigserial PRIMARY KEY,
  contact_id       bigint           NOT NULL REFERENCES contact (id),
  other_id         bigint           NOT NULL REFERENCES contact (id),
  source_record_id bigint           REFERENCES source_record (id),
  other_record_id  bigint           REFERENCES source_record (id),
  score            double precision NOT NULL,
  explanation      jsonb            NOT NULL DEFAULT '{}',
  status           text             NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'deferred', 'approved', 'rejected', 'superseded')),
  decided_by       text,
  decided_at       timestamptz,
  created_at       timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX merge_candidate_open ON merge_candidate (score DESC) WHERE status IN ('pending', 'deferred');
CREATE INDEX merge_candidate_contact ON merge_candidate (contact_id);
CREATE INDEX merge_candidate_other ON merge_candidate (other_id);

-- "Never merge these two": record fingerprints, stored ordered (fp_a < fp_b), from a reject or an unmerge.
CREATE TABLE rejected_pair (
  fp_a        text        NOT NULL,
  fp_b        text        NOT NULL,
  record_a    bigint,
  record_b    bigint,
  reason      text        NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (fp_a, fp_b)
);
CREATE INDEX rejected_pair_b ON rejected_pair (fp_b);

-- Term frequencies for the match model's tf fields (a shared "Ann" weighs less than a shared "Aurelia"): one row
-- per record and value, insert-only so concurrent writers never queue on a counter row. Counted with a cap.
CREATE TABLE term_seen (
  field             text   NOT NULL,
  value             text   NOT NULL,
  source_record_id  bigint NOT NULL REFERENCES source_record (id)
);
CREATE INDEX term_seen_value ON term_seen (field, value);
