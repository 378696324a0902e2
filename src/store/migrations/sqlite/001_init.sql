-- cardcore schema v1 (SQLite). Money in integer paise; times in unix seconds UTC.
CREATE TABLE partners (
  partner_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  mobile TEXT NOT NULL,
  webhook_url TEXT NOT NULL DEFAULT '',
  encryption TEXT NOT NULL DEFAULT 'none',
  client_id TEXT NOT NULL UNIQUE,
  client_secret_hash TEXT NOT NULL,
  payload_key_id TEXT NOT NULL,
  payload_key_blob BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE companies (
  company_id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners(partner_id),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE plans (
  plan_master_id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners(partner_id),
  name TEXT NOT NULL,
  bin TEXT NOT NULL,
  validity_years INTEGER NOT NULL,
  max_balance_paise INTEGER NOT NULL CHECK (max_balance_paise >= 0),
  gift INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE logins (
  username TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners(partner_id),
  password_hash TEXT NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE TABLE tokens (
  digest TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  partner_id TEXT NOT NULL,
  username TEXT NOT NULL,
  expires_at INTEGER NOT NULL
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
  created_at INTEGER NOT NULL
);
CREATE TABLE cards (
  card_id TEXT PRIMARY KEY,
  card_account_id TEXT NOT NULL REFERENCES card_accounts(card_account_id),
  partner_id TEXT NOT NULL,
  company_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  pan_key_id TEXT NOT NULL,
  pan_blob BLOB NOT NULL,
  pan_last4 TEXT NOT NULL,
  pan_fingerprint TEXT NOT NULL UNIQUE,
  cvv_key_id TEXT NOT NULL,
  cvv_blob BLOB NOT NULL,
  expiry_month INTEGER NOT NULL,
  expiry_year INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('AP','UL','L','BL')),
  card_type TEXT NOT NULL,
  gift INTEGER NOT NULL,
  primary_card INTEGER NOT NULL,
  holder_name TEXT NOT NULL,
  mobile TEXT NOT NULL,
  email TEXT NOT NULL,
  profile_json TEXT NOT NULL,
  pin_hash TEXT NOT NULL DEFAULT '',
  pin_failures INTEGER NOT NULL DEFAULT 0,
  mfa_key_id TEXT,
  mfa_blob BLOB,
  mfa_last_step INTEGER NOT NULL DEFAULT 0,
  mfa_failures INTEGER NOT NULL DEFAULT 0,
  replaced_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL
);
CREATE INDEX cards_by_account ON cards(card_account_id, created_at);
CREATE TABLE card_status_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  old_status TEXT NOT NULL,
  new_status TEXT NOT NULL,
  reason TEXT NOT NULL,
  channel TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX status_changes_by_card ON card_status_changes(card_id, id);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
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
  expires_at INTEGER NOT NULL,
  wrong_tries INTEGER NOT NULL DEFAULT 0,
  used INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX otp_by_card ON otp_requests(card_id, created_at);
CREATE TABLE usage_controls (
  card_id TEXT PRIMARY KEY REFERENCES cards(card_id),
  pos_allowed INTEGER NOT NULL,
  online_allowed INTEGER NOT NULL,
  atm_allowed INTEGER NOT NULL,
  international_allowed INTEGER NOT NULL,
  contactless_allowed INTEGER NOT NULL,
  per_txn_limit_paise INTEGER, dtd_paise INTEGER, mtd_paise INTEGER, ytd_paise INTEGER,
  dtd_count INTEGER, mtd_count INTEGER, ytd_count INTEGER,
  pos_daily_paise INTEGER, pos_daily_count INTEGER,
  ecom_daily_paise INTEGER, ecom_daily_count INTEGER,
  contactless_daily_paise INTEGER, contactless_daily_count INTEGER,
  admin_user INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_on INTEGER NOT NULL,
  modified_on INTEGER NOT NULL
);
CREATE TABLE physical_orders (
  order_id TEXT PRIMARY KEY,
  card_id TEXT NOT NULL REFERENCES cards(card_id),
  partner_id TEXT NOT NULL,
  address TEXT NOT NULL, address2 TEXT NOT NULL, city TEXT NOT NULL, state TEXT NOT NULL,
  country TEXT NOT NULL, pincode TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX physical_orders_by_card ON physical_orders(card_id, created_at);
