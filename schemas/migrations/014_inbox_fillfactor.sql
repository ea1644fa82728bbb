-- 014: room on each inbox page for the row's one update (issue 18). A worker marks every row it claimed (status,
-- processed_at, error, attempts: the columns after the payload); on a full page the new version went to another
-- page and the whole row, payload included, was written to the WAL again. With half of each page free at insert,
-- the new version stays on its page and the WAL holds only the changed tail (bench/pipeline, 20,000 web forms: the
-- marks' UPDATE from 640 to 188 bytes of WAL per record). status is in inbox_pending's predicate, so the update is
-- not heap-only either way; the dead version is pruned in place.
ALTER TABLE inbox SET (fillfactor = 50);
