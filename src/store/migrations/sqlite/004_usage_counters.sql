-- Approved use of each card per Asia/Kolkata day and per IST calendar month, and channel, kept
-- by the store in the unit that writes the authorization (insert, increment, reversal, expiry,
-- final capture), so that a limit check reads a few rows (today's, and this year's months)
-- instead of summing a year of authorizations. A row holds what card_usage used to sum:
-- authorized_paise of the period's authorizations with authorized_paise > 0, and how many.
-- period 'D': period_start is the day's IST midnight; 'M': the IST midnight of the month's 1st.
CREATE TABLE card_usage_periods (
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  period TEXT NOT NULL CHECK (period IN ('D', 'M')),
  period_start INTEGER NOT NULL,
  channel TEXT NOT NULL,
  paise INTEGER NOT NULL CHECK (paise >= 0),
  count INTEGER NOT NULL CHECK (count >= 0),
  PRIMARY KEY (card_id, period, period_start, channel)
);
-- The authorizations written before this migration. IST is UTC+05:30 all year (no DST).
INSERT INTO card_usage_periods (card_id, period, period_start, channel, paise, count)
SELECT card_id, 'D', ((created_at + 19800) / 86400) * 86400 - 19800, channel, SUM(authorized_paise), COUNT(*)
FROM authorizations WHERE authorized_paise > 0
GROUP BY card_id, ((created_at + 19800) / 86400) * 86400 - 19800, channel;
INSERT INTO card_usage_periods (card_id, period, period_start, channel, paise, count)
SELECT card_id, 'M', CAST(strftime('%s', created_at + 19800, 'unixepoch', 'start of month') AS INTEGER) - 19800,
       channel, SUM(authorized_paise), COUNT(*)
FROM authorizations WHERE authorized_paise > 0
GROUP BY card_id, CAST(strftime('%s', created_at + 19800, 'unixepoch', 'start of month') AS INTEGER) - 19800, channel;
