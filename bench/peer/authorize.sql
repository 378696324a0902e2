-- One ₹1 authorization as one transaction (pgbench runs each script execution as one).
\set card random(1, :cards)
\set rrn random(1, 1000000000000000)
WITH held AS (
  UPDATE peer_cards SET held_paise = held_paise + 100
  WHERE card_id = :card AND balance_paise - held_paise >= 100
  RETURNING card_id
), hold AS (
  INSERT INTO peer_holds (card_id, amount_paise) SELECT card_id, 100 FROM held RETURNING hold_id
)
INSERT INTO peer_transactions (card_id, rrn, amount_paise, approved)
SELECT :card, :rrn, 100, EXISTS (SELECT 1 FROM hold);
