-- 013: the writer's foreign key checks, dropped (issue 18). bench/pipeline with pg_stat_statements, 20,000 web
-- forms: the three checks below cost 15.5 of the ~100 shared buffers each record touches, and ~100 bytes of WAL
-- (a check locks the row it finds FOR KEY SHARE: the source record and the new contact, both inserted moments
-- before by the same transaction, are dirtied again and their lock logged).
--
-- Each guarded nothing the writers do not already ensure, in the same transaction:
-- - entity_member -> source_record and -> contact: WriteBatch inserts the source record, the new contact and the
--   member in one transaction, and joins a stored contact only after locking it FOR UPDATE (following merged_into
--   to the survivor); MergeContacts, unmerge and steward edits move or add members of contacts they lock; an
--   erasure deletes members before their records and contacts. contact_id still has its index, source_record_id
--   its primary key. The fault harness (scripts/faults) checks after every run that every member is a live
--   contact's and every record a member.
-- - source_record -> inbox: a worker writes a record only from an inbox row its transaction holds locked (the
--   claim, FOR UPDATE), and an erasure deletes an inbox row only once no record of it remains.
-- As 007 did for match_key -> contact.
ALTER TABLE entity_member DROP CONSTRAINT IF EXISTS entity_member_source_record_id_fkey;
ALTER TABLE entity_member DROP CONSTRAINT IF EXISTS entity_member_contact_id_fkey;
ALTER TABLE source_record DROP CONSTRAINT IF EXISTS source_record_inbox_id_fkey;
