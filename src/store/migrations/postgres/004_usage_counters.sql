-- Approved use of each card per Asia/Kolkata day and channel, kept by the store in the unit that
-- writes the authorization (insert, increment, reversal, expiry, final capture), so that a
-- limit check reads at most a year of day rows instead of summing a year of authorizations.
-- A row holds what card_usage used to sum: authorized_paise of the day's authorizations with
-- authorized_paise > 0, and how many they are. day_start is the day's IST midnight (unix s).
CREATE TABLE card_usage_days (
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  day_start BIGINT NOT NULL,
  channel TEXT NOT NULL,
  paise BIGINT NOT NULL CHECK (paise >= 0),
  count BIGINT NOT NULL CHECK (count >= 0),
  PRIMARY KEY (card_id, day_start, channel)
);
-- The authorizations written before this migration. IST is UTC+05:30 all year (no DST).
INSERT INTO card_usage_days (card_id, day_start, channel, paise, count)
SELECT card_id, ((created_at + 19800) / 86400) * 86400 - 19800, channel, SUM(authorized_paise), COUNT(*)
FROM authorizations WHERE authorized_paise > 0
GROUP BY card_id, ((created_at + 19800) / 86400) * 86400 - 19800, channel;
