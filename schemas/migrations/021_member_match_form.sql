-- 021: each member carries the parts of its source record that matching reads (issue 18). A record's candidate
-- members (store/candidates.cc MembersQuery) were each an index descent into source_record by id and a visit to
-- its wide row (raw and normalized JSON, ~870 bytes), whose normalized fields, keys and flags the server then
-- rendered as text: with 1,000,000 contacts stored, the statement that fetches them was the write path's costliest
-- (about 4.3 members per record written, ~7 shared buffers each). A source record never changes once written, so
-- its member row can hold a copy of what is compared, rendered once when the member is inserted
-- (store::kMemberFormColumns, filled from the record in the same statement), and the members of a contact are read
-- from entity_member alone. A merge or unmerge moves member rows with their copy; an erasure deletes both.
ALTER TABLE entity_member
  ADD COLUMN source      text,
  ADD COLUMN fingerprint text,
  ADD COLUMN is_test     boolean,
  ADD COLUMN received_at timestamptz,
  ADD COLUMN fields      text,
  ADD COLUMN keys        text,
  ADD COLUMN flags       text;
UPDATE entity_member e
   SET source = s.source, fingerprint = s.fingerprint, is_test = s.is_test, received_at = s.received_at,
       fields = coalesce(s.normalized -> 'fields', '{}')::text, keys = coalesce(s.normalized -> 'keys', '{}')::text,
       flags = coalesce(s.normalized -> 'flags', '[]')::text
  FROM source_record s WHERE s.id = e.source_record_id;
ALTER TABLE entity_member
  ALTER COLUMN source SET NOT NULL, ALTER COLUMN is_test SET NOT NULL,
  ALTER COLUMN received_at SET NOT NULL, ALTER COLUMN fields SET NOT NULL, ALTER COLUMN keys SET NOT NULL,
  ALTER COLUMN flags SET NOT NULL;
