-- The operator console (docs/console.md).
-- A console session: the browser holds the token in an HttpOnly cookie and the CSRF token in a
-- readable one; the store keeps only their SHA-256 digests. Logout sets ended_at.
CREATE TABLE console_sessions (
  session_hash TEXT PRIMARY KEY,
  csrf_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ended_at BIGINT
);
CREATE INDEX console_sessions_by_expiry ON console_sessions(expires_at);
-- Finding a card by the last 4 digits of its number, the holder's mobile, or its company.
CREATE INDEX cards_by_last4 ON cards(pan_last4);
CREATE INDEX cards_by_mobile ON cards(mobile);
CREATE INDEX cards_by_company ON cards(company_id, card_id);
CREATE INDEX card_accounts_by_company ON card_accounts(company_id, card_account_id);
-- The ISO 8583 response code of a decision to spend, an authorization's or a purchase's ('' for
-- other transactions), so that the activity view counts decisions per code over a time range
-- from a partial index of its own.
ALTER TABLE card_transactions ADD COLUMN response_code TEXT NOT NULL DEFAULT '';
-- (Read from the text, not cast to jsonb: a row that is not valid JSON must not stop the migration.)
UPDATE card_transactions SET response_code = substring(details_json from '"responseCode":"([0-9A-Za-z]{2})"')
WHERE type IN ('AUTHORIZATION', 'PURCHASE') AND details_json ~ '"responseCode":"[0-9A-Za-z]{2}"';
CREATE INDEX card_txn_decisions ON card_transactions(created_at) WHERE response_code <> '';
-- The card a webhook event is about, so that the card page lists the deliveries of its events.
ALTER TABLE webhook_events ADD COLUMN card_id TEXT NOT NULL DEFAULT '';
UPDATE webhook_events
SET card_id = substring(payload_json from '"en[kK]ashCardId":"([^"]*)"')
WHERE payload_json ~ '"en[kK]ashCardId":"[^"]*"';
CREATE INDEX webhook_events_by_card ON webhook_events(card_id, created_at);
