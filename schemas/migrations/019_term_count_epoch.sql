-- 019: term_count's epoch (issue 18). Every statement that changes term_count (a fold, an erasure, a hand edit,
-- a TRUNCATE) takes the next value of term_count_epoch, in a statement trigger. A writer keeps the counts it read
-- while the epoch stays the same (store::TermCountCache), and reads the epoch once per batch instead of every
-- count. A sequence, not a row: taking its next value waits for nobody, so two folders, or a fold and an erasure,
-- never wait on each other for it. It is not rolled back: a change that is undone only empties the writers'
-- caches once more.
CREATE SEQUENCE term_count_epoch;

CREATE FUNCTION canon_term_count_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN PERFORM nextval('term_count_epoch'); RETURN NULL; END $$;

CREATE TRIGGER term_count_epoch AFTER INSERT OR UPDATE OR DELETE ON term_count
  FOR EACH STATEMENT EXECUTE FUNCTION canon_term_count_changed();
CREATE TRIGGER term_count_epoch_truncate AFTER TRUNCATE ON term_count
  FOR EACH STATEMENT EXECUTE FUNCTION canon_term_count_changed();
