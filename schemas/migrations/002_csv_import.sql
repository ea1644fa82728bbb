-- 002: CSV drop-folder imports. The file on disk is the durable copy; progress commits in the same transaction
-- as the rows it covers, so an import resumes after a crash with no row lost and none taken twice.
CREATE TABLE csv_import (
  id            bigserial PRIMARY KEY,
  source        text        NOT NULL,
  file_name     text        NOT NULL,
  file_hash     text        NOT NULL,
  file_size     bigint      NOT NULL,
  status        text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  next_offset   bigint      NOT NULL DEFAULT 0,
  next_line     bigint      NOT NULL DEFAULT 2,
  header        jsonb,
  delimiter     text,
  encoding      text,
  rows_ok       bigint      NOT NULL DEFAULT 0,
  rows_refused  bigint      NOT NULL DEFAULT 0,
  error         text,
  started_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  UNIQUE (source, file_hash)
);

-- Every refused row of an import, with its physical line and reason: the .report.csv is written from here.
CREATE TABLE csv_import_error (
  import_id  bigint NOT NULL REFERENCES csv_import (id),
  line       bigint NOT NULL,
  reason     text   NOT NULL,
  PRIMARY KEY (import_id, line)
);

-- A CSV row becomes at most one source record (delivery key = file hash : line), whatever happens to progress.
CREATE UNIQUE INDEX source_record_file_row ON source_record (source, delivery_key)
  WHERE inbox_id IS NULL AND delivery_key IS NOT NULL;
