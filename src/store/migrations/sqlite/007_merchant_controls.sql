-- Merchant controls of Card Usage Controls: comma-separated lists (each item validated by the
-- service: MCCs and countries are digits, merchant ids carry no comma); '' is an empty list.
ALTER TABLE usage_controls ADD COLUMN allowed_mccs TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_controls ADD COLUMN blocked_mccs TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_controls ADD COLUMN blocked_merchant_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_controls ADD COLUMN blocked_countries TEXT NOT NULL DEFAULT '';
