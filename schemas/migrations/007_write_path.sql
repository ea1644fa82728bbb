-- 007: cheaper writes for the record writer, measured with bench/csv_import and pg_stat_statements (40,000 rows:
-- the match_key INSERT was the costliest statement of a batch, 30 ms for about 1,200 keys, of which the foreign
-- key's check was about 10 ms).
--
-- match_key is derived data, an index of blocking keys: the writer inserts a contact and its keys in one
-- transaction, keys move with merges and are rebuilt from the members on unmerge, and contacts are never deleted.
-- The foreign key to contact cost a row lookup per key and guarded nothing the writer does not already ensure.
ALTER TABLE match_key DROP CONSTRAINT IF EXISTS match_key_contact_id_fkey;

-- Counts are updated in place every batch: free space on each page lets PostgreSQL update them as heap-only tuples
-- (no new index entry per update).
ALTER TABLE term_count SET (fillfactor = 50);
