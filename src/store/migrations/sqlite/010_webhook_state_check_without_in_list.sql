-- webhook_events.state was checked as state IN ('PENDING', 'DELIVERED', 'FAILED'). As with
-- authorizations.status before 009, SQLite evaluated that through a temporary b-tree built anew
-- on every insert and on every change of state: on every event recorded for a partner with a
-- webhook (one per authorization, load, status change) and every delivery attempt. The same check
-- written as comparisons costs a few instructions. SQLite cannot change a CHECK in place, so the
-- table is rebuilt, and webhook_attempts with it, since it references the events: the new tables
-- are filled, the old ones dropped (attempts first), and renaming the new events table carries
-- the attempts' reference over to its name (SQLite 3.26 and later). The rows are unchanged.
CREATE TABLE webhook_events_010 (
  event_id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state = 'PENDING' OR state = 'DELIVERED' OR state = 'FAILED'),
  last_error TEXT NOT NULL DEFAULT '',
  card_id TEXT NOT NULL DEFAULT ''
);
INSERT INTO webhook_events_010 (event_id, partner_id, type, payload_json, created_at, next_attempt_at, attempts, state,
                                last_error, card_id)
SELECT event_id, partner_id, type, payload_json, created_at, next_attempt_at, attempts, state, last_error, card_id
FROM webhook_events;
CREATE TABLE webhook_attempts_010 (
  event_id TEXT NOT NULL REFERENCES webhook_events_010(event_id),
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  http_status INTEGER NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY (event_id, attempt)
);
INSERT INTO webhook_attempts_010 (event_id, attempt, at, http_status, error)
SELECT event_id, attempt, at, http_status, error FROM webhook_attempts;
DROP TABLE webhook_attempts;
DROP TABLE webhook_events;
ALTER TABLE webhook_events_010 RENAME TO webhook_events;
ALTER TABLE webhook_attempts_010 RENAME TO webhook_attempts;
CREATE INDEX webhook_events_due ON webhook_events(state, next_attempt_at);
CREATE INDEX webhook_events_by_card ON webhook_events(card_id, created_at);
