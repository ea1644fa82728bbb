-- 016: one row per counted value (issue 18). Folds wrote every value into the folding backend's shard
-- (pg_backend_pid() % 16), so over time a common value became up to 16 rows on as many pages, and every tf read
-- probed them all (bench/match_latency at 1,000,000 entities: 170 buffers per read against 25 at 10,000). Only a
-- field's total (value ''), which every fold updates, stays sharded; store::FoldTermCounts now writes values to
-- shard 0. This folds the values' other shards into shard 0; the counts do not change.
WITH moved AS (
  DELETE FROM term_count WHERE value <> '' AND shard <> 0 RETURNING field, value, n
)
INSERT INTO term_count (field, value, shard, n)
SELECT field, value, 0, sum(n) FROM moved GROUP BY field, value
ON CONFLICT (field, value, shard) DO UPDATE SET n = term_count.n + excluded.n;
