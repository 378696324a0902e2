-- authorizations_by_card (card_id, created_at) served the yearly sum of a card's authorizations
-- that card_usage_periods (004) replaced; no query reads it any more, and every authorization
-- paid for it with one more b-tree insert in the writer (bench/iso_load.sh, perf). The lookups
-- by card use authorizations_by_message, whose first column is card_id.
DROP INDEX authorizations_by_card;
