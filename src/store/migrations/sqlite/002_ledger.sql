-- The double-entry ledger, card transactions, idempotency keys and the webhook outbox.
CREATE TABLE ledger_accounts (
  account_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  allow_negative INTEGER NOT NULL,
  balance_paise INTEGER NOT NULL DEFAULT 0,
  held_paise INTEGER NOT NULL DEFAULT 0 CHECK (held_paise >= 0),
  created_at INTEGER NOT NULL,
  -- Backstop for the conditional updates: an internal account never goes below zero.
  CHECK (allow_negative = 1 OR (balance_paise >= 0 AND balance_paise >= held_paise))
);
CREATE TABLE journal_entries (
  entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  reference TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (scope, kind, reference)
);
CREATE TABLE postings (
  entry_id INTEGER NOT NULL REFERENCES journal_entries(entry_id),
  account_id TEXT NOT NULL REFERENCES ledger_accounts(account_id),
  amount_paise INTEGER NOT NULL CHECK (amount_paise <> 0),
  PRIMARY KEY (entry_id, account_id)
);
CREATE INDEX postings_by_account ON postings(account_id, entry_id);
CREATE TABLE card_transactions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order: "newest first" is seq DESC
  txn_id TEXT NOT NULL UNIQUE,
  partner_id TEXT NOT NULL,
  company_id TEXT NOT NULL,
  card_account_id TEXT NOT NULL,
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  user_id TEXT NOT NULL,
  card_last4 TEXT NOT NULL,
  holder_name TEXT NOT NULL,
  company_name TEXT NOT NULL,
  entry_id INTEGER REFERENCES journal_entries(entry_id),
  direction TEXT NOT NULL CHECK (direction IN ('CR', 'DR')),
  amount_paise INTEGER NOT NULL CHECK (amount_paise >= 0),
  balance_after_paise INTEGER NOT NULL,
  pg_reference TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  description TEXT NOT NULL,
  remarks TEXT NOT NULL,
  created_by TEXT NOT NULL,
  details_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL
);
CREATE INDEX card_txn_by_account ON card_transactions(card_account_id, seq);
CREATE INDEX card_txn_by_card ON card_transactions(card_id, seq);
CREATE INDEX card_txn_by_account_time ON card_transactions(card_account_id, created_at);
CREATE INDEX card_txn_by_account_amount ON card_transactions(card_account_id, amount_paise);
CREATE INDEX card_txn_by_reference ON card_transactions(partner_id, pg_reference);
CREATE TABLE idempotency_keys (
  partner_id TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_digest TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('RUNNING', 'DONE')),
  http_status INTEGER NOT NULL DEFAULT 0,
  response_body TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (partner_id, idem_key)
);
CREATE INDEX idempotency_by_age ON idempotency_keys(created_at);
CREATE TABLE webhook_events (
  event_id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED')),
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_events_due ON webhook_events(state, next_attempt_at);
CREATE TABLE webhook_attempts (
  event_id TEXT NOT NULL REFERENCES webhook_events(event_id),
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  http_status INTEGER NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY (event_id, attempt)
);
ALTER TABLE partners ADD COLUMN webhook_secret_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN webhook_secret_blob BLOB NOT NULL DEFAULT x'';
