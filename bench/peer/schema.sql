-- The peer: the authorization a partner would write themselves on PostgreSQL, with the same
-- durable guarantees (fsync and synchronous_commit on) and the same three writes per approval as
-- cardcore: a conditional balance update that never overdraws, a hold, a transaction row whose
-- unique RRN refuses a message seen twice.
CREATE TABLE peer_cards (
  card_id INTEGER PRIMARY KEY,
  balance_paise BIGINT NOT NULL,
  held_paise BIGINT NOT NULL DEFAULT 0,
  CHECK (held_paise <= balance_paise)
);
CREATE TABLE peer_holds (
  hold_id BIGSERIAL PRIMARY KEY,
  card_id INTEGER NOT NULL REFERENCES peer_cards(card_id),
  amount_paise BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE peer_transactions (
  txn_id BIGSERIAL PRIMARY KEY,
  card_id INTEGER NOT NULL REFERENCES peer_cards(card_id),
  rrn BIGINT NOT NULL UNIQUE,
  amount_paise BIGINT NOT NULL,
  approved BOOLEAN NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO peer_cards (card_id, balance_paise) SELECT g, 1000000 FROM generate_series(1, :cards) g;
