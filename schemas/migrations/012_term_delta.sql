-- 012: term counts written as deltas. The writer's upsert into term_count (one row per field and value of every
-- record, ON CONFLICT DO UPDATE) was the costliest statement of the write path (bench/pipeline with
-- pg_stat_statements, 20,000 web forms: 194 us per record written of 1,470). A batch now appends ONE row here
-- with its counts summed in memory (field, value and count as three parallel arrays), in its own transaction, so a
-- record's counts are committed exactly when the record is. store::FoldTermCounts moves every delta into
-- term_count in one statement (the DELETE ... RETURNING and the upsert commit together: a crash between them
-- loses nothing and counts nothing twice); the writers run it every few seconds and whenever they go idle.
-- Readers read term_count alone: frequencies lag the records by seconds, and never drift.
CREATE TABLE term_delta (
  fields text[]   NOT NULL,
  vals   text[]   NOT NULL,
  ns     bigint[] NOT NULL
);
