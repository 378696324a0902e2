-- cardcore schema v1 (PostgreSQL). Money in integer paise; times in unix seconds UTC.
-- Same tables and columns as ../sqlite/001_init.sql: BIGINT for money and times, BOOLEAN for flags,
-- BYTEA for sealed blobs, identity columns where SQLite has AUTOINCREMENT or orders by rowid.
CREATE TABLE partners (
  partner_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  mobile TEXT NOT NULL,
  webhook_url TEXT NOT NULL DEFAULT '',
  encryption TEXT NOT NULL DEFAULT 'none',
  client_id TEXT NOT NULL UNIQUE,
  client_secret_hash TEXT NOT NULL,
  payload_key_id TEXT NOT NULL,
  payload_key_blob BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE companies (
  company_id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners(partner_id),
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE plans (
  plan_master_id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners(partner_id),
  name TEXT NOT NULL,
  bin TEXT NOT NULL,
  validity_years INTEGER NOT NULL,
  max_balance_paise BIGINT NOT NULL CHECK (max_balance_paise >= 0),
  gift BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE logins (
  username TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners(partner_id),
  password_hash TEXT NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked BOOLEAN NOT NULL DEFAULT FALSE,
  updated_at BIGINT NOT NULL
);
CREATE TABLE tokens (
  digest TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  partner_id TEXT NOT NULL,
  username TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX tokens_expiry ON tokens(expires_at);
CREATE TABLE card_accounts (
  card_account_id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners(partner_id),
  company_id TEXT NOT NULL REFERENCES companies(company_id),
  company_name TEXT NOT NULL,
  plan_master_id TEXT NOT NULL REFERENCES plans(plan_master_id),
  user_id TEXT NOT NULL,
  email TEXT NOT NULL,
  mobile TEXT NOT NULL,
  account_title TEXT NOT NULL,
  account_type TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE cards (
  card_id TEXT PRIMARY KEY,
  card_account_id TEXT NOT NULL REFERENCES card_accounts(card_account_id),
  partner_id TEXT NOT NULL,
  company_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  pan_key_id TEXT NOT NULL,
  pan_blob BYTEA NOT NULL,
  pan_last4 TEXT NOT NULL,
  pan_fingerprint TEXT NOT NULL UNIQUE,
  cvv_key_id TEXT NOT NULL,
  cvv_blob BYTEA NOT NULL,
  expiry_month INTEGER NOT NULL,
  expiry_year INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('AP','UL','L','BL')),
  card_type TEXT NOT NULL,
  gift BOOLEAN NOT NULL,
  primary_card BOOLEAN NOT NULL,
  holder_name TEXT NOT NULL,
  mobile TEXT NOT NULL,
  email TEXT NOT NULL,
  profile_json TEXT NOT NULL,
  pin_hash TEXT NOT NULL DEFAULT '',
  pin_failures INTEGER NOT NULL DEFAULT 0,
  mfa_key_id TEXT,
  mfa_blob BYTEA,
  mfa_last_step BIGINT NOT NULL DEFAULT 0,
  mfa_failures INTEGER NOT NULL DEFAULT 0,
  replaced_by TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  modified_at BIGINT NOT NULL
);
CREATE INDEX cards_by_account ON cards(card_account_id, created_at);
CREATE TABLE card_status_changes (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  old_status TEXT NOT NULL,
  new_status TEXT NOT NULL,
  reason TEXT NOT NULL,
  channel TEXT NOT NULL,
  actor TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX status_changes_by_card ON card_status_changes(card_id, id);
CREATE TABLE audit (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  partner_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_id TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_by_partner ON audit(partner_id, id);
CREATE INDEX audit_by_object ON audit(object_id, id);
CREATE TABLE otp_requests (
  otp_request_id TEXT PRIMARY KEY,
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  partner_id TEXT NOT NULL,
  action TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  wrong_tries INTEGER NOT NULL DEFAULT 0,
  used BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL
);
CREATE INDEX otp_by_card ON otp_requests(card_id, created_at);
CREATE TABLE usage_controls (
  card_id TEXT PRIMARY KEY REFERENCES cards(card_id),
  pos_allowed BOOLEAN NOT NULL,
  online_allowed BOOLEAN NOT NULL,
  atm_allowed BOOLEAN NOT NULL,
  international_allowed BOOLEAN NOT NULL,
  contactless_allowed BOOLEAN NOT NULL,
  per_txn_limit_paise BIGINT, dtd_paise BIGINT, mtd_paise BIGINT, ytd_paise BIGINT,
  dtd_count BIGINT, mtd_count BIGINT, ytd_count BIGINT,
  pos_daily_paise BIGINT, pos_daily_count BIGINT,
  ecom_daily_paise BIGINT, ecom_daily_count BIGINT,
  contactless_daily_paise BIGINT, contactless_daily_count BIGINT,
  admin_user BOOLEAN NOT NULL,
  created_by TEXT NOT NULL,
  created_on BIGINT NOT NULL,
  modified_on BIGINT NOT NULL
);
CREATE TABLE physical_orders (
  seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,  -- insertion order (SQLite's rowid): latest is seq DESC
  order_id TEXT PRIMARY KEY,
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  partner_id TEXT NOT NULL,
  address TEXT NOT NULL, address2 TEXT NOT NULL, city TEXT NOT NULL, state TEXT NOT NULL,
  country TEXT NOT NULL, pincode TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX physical_orders_by_card ON physical_orders(card_id, seq);
