-- 010: fetch-based connectors (Meta Lead Ads) retry per lead, durably.
--
-- A notification carries lead ids only; each id becomes one fetch_job, fetched and retried with backoff across
-- restarts and nodes (claimed with FOR UPDATE SKIP LOCKED), and dead-lettered only when its retry window has
-- passed. The lead is written as the notification's record `record_index`, so source_record's
-- UNIQUE (inbox_id, record_index) keeps a replayed or redelivered lead from being written twice.
CREATE TABLE fetch_job (
  id                 bigserial PRIMARY KEY,
  source             text        NOT NULL,
  lead_id            text        NOT NULL,
  inbox_id           bigint      NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
  record_index       integer     NOT NULL,
  state              text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts           integer     NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  window_started_at  timestamptz NOT NULL DEFAULT now(),  -- the retry window runs from here (reset by a replay)
  last_error         text,                                -- the vendor's error, token scrubbed; never lead data
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, lead_id)
);
-- Workers claim due jobs; the partial index keeps that cheap as done jobs accumulate.
CREATE INDEX fetch_job_due ON fetch_job (next_attempt_at) WHERE state = 'pending';
CREATE INDEX fetch_job_inbox ON fetch_job (inbox_id);

-- A dead letter of a fetched lead names its job (a replay fetches it again); replayed_at makes a replay happen
-- once per dead letter.
ALTER TABLE dead_letter
  ADD COLUMN fetch_job_id bigint REFERENCES fetch_job (id) ON DELETE SET NULL,
  ADD COLUMN replayed_at  timestamptz;
CREATE INDEX dead_letter_stage ON dead_letter (stage, created_at);
