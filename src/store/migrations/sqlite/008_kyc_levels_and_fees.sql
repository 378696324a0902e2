-- RBI PPI rules (domain/ppi.h) and fees (domain/fees.h): every card's KYC level, a plan's program rules, and what each
-- card loaded per Asia/Kolkata calendar month and per financial year (1 April IST), kept by the
-- store in the unit that posts the load, so that a limit check reads two rows.
ALTER TABLE cards ADD COLUMN kyc_level TEXT NOT NULL DEFAULT 'MIN' CHECK (kyc_level IN ('MIN', 'FULL'));
-- The reference the issuer recorded the completed KYC under ('' while MIN).
ALTER TABLE cards ADD COLUMN kyc_reference TEXT NOT NULL DEFAULT '';
-- '' = the RBI defaults, 'NONE' = outside the PPI directions, else ppi::encode_program's text.
ALTER TABLE plans ADD COLUMN kyc_rules TEXT NOT NULL DEFAULT '';
-- The plan's fee schedule (domain/fees.h): '' = no fees, else fees::encode's text.
ALTER TABLE plans ADD COLUMN fees TEXT NOT NULL DEFAULT '';
-- period 'M': period_start is the IST midnight of the month's 1st; 'Y': of the financial
-- year's 1 April.
CREATE TABLE card_load_periods (
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  period TEXT NOT NULL CHECK (period IN ('M', 'Y')),
  period_start INTEGER NOT NULL,
  paise INTEGER NOT NULL CHECK (paise >= 0),
  PRIMARY KEY (card_id, period, period_start)
);
-- The loads posted before this migration (journal entries of kind LOAD credit the wallet).
-- IST is UTC+05:30 all year (no DST).
INSERT INTO card_load_periods (card_id, period, period_start, paise)
SELECT substr(p.account_id, 8), 'M',
       CAST(strftime('%s', e.created_at + 19800, 'unixepoch', 'start of month') AS INTEGER) - 19800, SUM(p.amount_paise)
FROM journal_entries e JOIN postings p ON p.entry_id = e.entry_id
WHERE e.kind = 'LOAD' AND p.account_id LIKE 'wallet:%' AND p.amount_paise > 0
GROUP BY substr(p.account_id, 8), CAST(strftime('%s', e.created_at + 19800, 'unixepoch', 'start of month') AS INTEGER) - 19800;
INSERT INTO card_load_periods (card_id, period, period_start, paise)
SELECT substr(p.account_id, 8), 'Y',
       CAST(strftime('%s', e.created_at + 19800, 'unixepoch', 'start of month', '-3 months', 'start of year', '+3 months') AS INTEGER) - 19800,
       SUM(p.amount_paise)
FROM journal_entries e JOIN postings p ON p.entry_id = e.entry_id
WHERE e.kind = 'LOAD' AND p.account_id LIKE 'wallet:%' AND p.amount_paise > 0
GROUP BY substr(p.account_id, 8),
         CAST(strftime('%s', e.created_at + 19800, 'unixepoch', 'start of month', '-3 months', 'start of year', '+3 months') AS INTEGER) - 19800;
