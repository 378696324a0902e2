-- Card authorizations (holds) and the message log that answers duplicates.
CREATE TABLE authorizations (
  authorization_id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL,
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  channel TEXT NOT NULL,
  international BOOLEAN NOT NULL,
  mcc TEXT NOT NULL,
  merchant_name TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  source TEXT NOT NULL,
  stan TEXT NOT NULL,
  rrn TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  authorized_paise BIGINT NOT NULL CHECK (authorized_paise >= 0),  -- counts toward limits
  held_paise BIGINT NOT NULL CHECK (held_paise >= 0),              -- still reserved
  captured_paise BIGINT NOT NULL CHECK (captured_paise >= 0),
  status TEXT NOT NULL CHECK (status IN ('OPEN', 'CLOSED', 'REVERSED', 'EXPIRED')),
  auth_code TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX authorizations_by_card ON authorizations(card_id, created_at);
CREATE INDEX authorizations_open ON authorizations(status, created_at);
CREATE INDEX authorizations_by_message ON authorizations(card_id, source, stan, rrn, terminal_id);
CREATE TABLE card_messages (
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  stan TEXT NOT NULL,
  rrn TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  answer_json TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (source, kind, stan, rrn, terminal_id)
);
