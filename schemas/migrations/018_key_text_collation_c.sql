-- 018: the write path's text keys compare bytes (COLLATE "C"), not by the database's locale (issue 18). term_count
-- (field, value) and over_common_key (key) are only ever looked up by equality, so no order of theirs means
-- anything to anybody; under a locale's collation each comparison of their index descents went through strcoll
-- (with C.UTF-8, the lookup of 200,000 values in term_count at 1,000,000 entities took 0.93-0.96 s; with "C",
-- 0.64-0.68 s), and under en_US.UTF-8 it costs more. The values stay the same; the indexes are rebuilt.
ALTER TABLE term_count ALTER COLUMN field TYPE text COLLATE "C", ALTER COLUMN value TYPE text COLLATE "C";
ALTER TABLE over_common_key ALTER COLUMN key TYPE text COLLATE "C";
