-- 005: term frequencies as counts. 004 kept one term_seen row per record and value and counted them with a cap of
-- 1,000, which made a value held by 10% of a million records look rare (a shared "Springfield" then counted as
-- strong evidence). Counts are exact now: one row per (field, value, shard); a writer adds to the shard of its
-- backend (pg_backend_pid() % 16), so concurrent writers rarely wait on one counter row, and readers sum the shards.
-- value '' holds the field's total: the number of records that have the field at all.
CREATE TABLE term_count (
  field  text     NOT NULL,
  value  text     NOT NULL,
  shard  smallint NOT NULL,
  n      bigint   NOT NULL,
  PRIMARY KEY (field, value, shard)
);
INSERT INTO term_count (field, value, shard, n)
SELECT field, value, 0, count(*) FROM term_seen GROUP BY field, value
UNION ALL
SELECT field, '', 0, count(*) FROM term_seen GROUP BY field;
DROP TABLE term_seen;
