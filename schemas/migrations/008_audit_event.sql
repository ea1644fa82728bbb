-- 008: who did what on the admin API. One row per steward or admin action (a decision, an unmerge, an edit, a
-- rules reload), written after the action answered, with the name of the API token that was used (never the
-- token), its role, the route and the HTTP status. merge_event keeps the steward's own account of decisions
-- (actor, note); audit_event ties each one to a credential. Rows are only ever inserted.
CREATE TABLE IF NOT EXISTS audit_event (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  token_name  text NOT NULL,          -- [[token]] name, "admin_token", or "loopback" when no tokens are configured
  role        text NOT NULL,          -- the token's role: viewer, steward, admin
  method      text NOT NULL,
  route       text NOT NULL,          -- the route's pattern: /admin/queue/{id}/approve
  target      text NOT NULL,          -- the request path, without the query string
  status      integer NOT NULL,       -- the HTTP status answered
  actor       text,                   -- X-Canon-Actor as sent, when sent
  request_id  text                    -- X-Request-Id of the request
);
CREATE INDEX IF NOT EXISTS audit_event_at ON audit_event (at);
