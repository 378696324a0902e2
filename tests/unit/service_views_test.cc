// The objects written straight to text (views::transaction_json_text, what every webhook event
// of a transaction carries; views::card_json_text, what Get Card Details answers) are byte for
// byte what the DOM path writes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "domain/card_status.h"
#include "domain/clock.h"
#include "domain/json_text.h"
#include "service/authorization.h"
#include "service/common.h"
#include "service/views.h"

namespace cardcore {
namespace {

TransactionRow row(int64_t amount, int64_t balance, std::string details) {
  TransactionRow t;
  t.txn_id = "ECTRAB12CD34E";
  t.partner_id = "CRAAAAAAA";
  t.company_id = "CEKAAAAAAA";
  t.company_name = "Acme \"Foods\" Pvt. Ltd. \\ Bengaluru";
  t.card_account_id = "CAAAAAAAA";
  t.card_id = "EKCAAAAAAA";
  t.user_id = "EKAAAAAA";
  t.card_last4 = "4242";
  t.holder_name = "Ānanya Rāo\tß ✓";
  t.direction = "DR";
  t.amount_paise = amount;
  t.balance_after_paise = balance;
  t.pg_reference = "RRN000001ABC";
  t.type = "PURCHASE";
  t.status = "APPROVED";
  t.description = "PURCHASE declined: over the \u0001 limit";
  t.created_at = 1764067449;
  t.modified_at = 1764067450;
  t.details_json = std::move(details);
  return t;
}

TEST(TransactionJsonText, IsWhatTheDomPathWritesByteForByte) {
  const nlohmann::json details{{"txnRefNo", "RRN000001ABC"}, {"merchantName", "Iso Test Store  Bengaluru"},
                               {"international", false}, {"mcc", "5411"}, {"authCode", "123456"}};
  for (int64_t amount : {0LL, 1LL, 100LL, 1050LL, 123456789LL}) {
    for (int64_t balance : {0LL, 99LL, 10'000'00LL}) {
      const TransactionRow t = row(amount, balance, details.dump());
      EXPECT_EQ(views::transaction_json_text(t), views::transaction_json(t).dump()) << amount << " " << balance;
    }
  }
}

TEST(TransactionJsonText, DetailsThatAreNotAnObjectBecomeAnEmptyObjectAsInTheDomPath) {
  for (const char* details : {"", "null", "[1,2]", "not json", "\"text\""}) {
    const TransactionRow t = row(100, 200, details);
    EXPECT_EQ(views::transaction_json_text(t), views::transaction_json(t).dump()) << details;
  }
}

// The txnDetails a load, a fee and a message about a card store: written as text, byte for byte
// the tree these rows carried before (the trees below are those builds' own).
TEST(TransactionDetailsText, IsWhatTheTreeOfEarlierBuildsWrote) {
  for (std::string reference : {std::string("LOAD-1"), std::string("Ref \"quoted\" ✓"), std::string()}) {
    const nlohmann::json load{{"txnRefNo", reference}, {"merchantName", ""},       {"merchantId", ""},
                              {"transactionType", "LOAD"}, {"mcc", ""},           {"channel", "API"},
                              {"retrievalRefNo", ""},  {"traceNo", ""},           {"txnCurrency", "356"},
                              {"network", "API"},      {"authCode", ""},          {"responseCode", "00"}};
    EXPECT_EQ(svc::transaction_details(reference, "LOAD", "API"), load.dump()) << reference;
    nlohmann::json fee = load;
    fee["transactionType"] = "FEE";
    fee["feeFor"] = reference;
    fee["paidFrom"] = "FUNDING_POOL";
    EXPECT_EQ(svc::transaction_details(reference, "FEE", "API",
                                       {{"feeFor", json_text::quote(reference)},
                                        {"paidFrom", json_text::quote("FUNDING_POOL")}}),
              fee.dump())
        << reference;
  }
  authorization::AuthRequest r;
  r.merchant_name = "Iso Test Store \"Ā\" Bengaluru";
  r.merchant_id = "M\\1";
  r.mcc = "5411";
  r.source = "ISO8583";
  authorization::MessageKey k{"123456", "RRN000001ABC", "TERM0001"};
  authorization::AuthResult out;
  out.auth_code = "654321";
  out.response_code = "00";
  out.authorization_id = "AUTH01ABC";
  for (bool international : {false, true}) {
    r.international = international;
    const nlohmann::json tree{{"txnRefNo", k.rrn},          {"merchantName", r.merchant_name}, {"merchantId", r.merchant_id},
                              {"transactionType", "AUTHORIZATION"}, {"mcc", r.mcc},       {"channel", "POS"},
                              {"international", r.international},   {"retrievalRefNo", k.rrn}, {"traceNo", k.stan},
                              {"terminalId", k.terminal_id},        {"txnCurrency", "356"}, {"network", r.source},
                              {"authCode", out.auth_code},          {"responseCode", out.response_code},
                              {"authorizationId", out.authorization_id}};
    EXPECT_EQ(authorization::message_details(r, "POS", k, out, "AUTHORIZATION"), tree.dump()) << international;
  }
}

TEST(JsonObjectText, SortsKeysAsNlohmannDoesAndEscapesThem) {
  nlohmann::json dom{{"type", "transaction.created"}, {"id", "EVT1"}, {"createdOn", "2025-11-25T16:14:09+05:30"},
                     {"partnerId", "CR\"1\""}, {"data", {{"b", 1}, {"a", "x"}}}, {"Zeta", nullptr}};
  const std::string text = json_text::object({{"type", json_text::quote("transaction.created")},
                                                    {"id", json_text::quote("EVT1")},
                                                    {"createdOn", json_text::quote("2025-11-25T16:14:09+05:30")},
                                                    {"partnerId", json_text::quote("CR\"1\"")},
                                                    {"data", R"({"a":"x","b":1})"},
                                                    {"Zeta", "null"}});
  EXPECT_EQ(text, dom.dump());
  EXPECT_EQ(json_text::object({}), "{}");
}

TEST(JsonStringText, EscapesEveryByteAsNlohmannDoes) {
  for (int ch = 0; ch < 0x80; ++ch) {
    std::string s = "a";
    s += static_cast<char>(ch);
    s += "b/";
    EXPECT_EQ(json_text::quote(s), nlohmann::json(s).dump()) << "byte " << ch;
  }
  // Non-ASCII first, after a plain prefix, and after an escape.
  for (std::string s : {std::string(), std::string("Ānanya ✓"), std::string("\xE2\x82\xB9 10"), std::string("Rao ✓"),
                        std::string("Rao \"Jr\"\n ✓")}) {
    EXPECT_EQ(json_text::quote(s), nlohmann::json(s).dump()) << s;
  }
  // Not UTF-8: U+FFFD, as every answer the server writes (dump with the replace handler).
  const std::string bad = "bad \xFF utf-8";
  EXPECT_EQ(json_text::quote(bad), nlohmann::json(bad).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  EXPECT_EQ(json_text::quote(bad), "\"bad \xEF\xBF\xBD utf-8\"");
}

// The card object as the tree the partner API wrote before Get Card Details wrote it as text.
nlohmann::json card_tree(const CardRow& c) {
  return {{"enKashCardId", c.card_id},
          {"userId", c.user_id},
          {"cardAccountId", c.card_account_id},
          {"companyId", c.company_id},
          {"token", c.token},
          {"maskedNumber", "XXXX XXXX XXXX " + c.pan_last4},
          {"expiryMonth", c.expiry_month < 10 ? "0" + std::to_string(c.expiry_month) : std::to_string(c.expiry_month)},
          {"expiryYear", std::to_string(c.expiry_year)},
          {"cardStatus", {{"name", status_code(c.status)}, {"label", status_label(c.status)}}},
          {"cardType", c.card_type},
          {"gift", c.gift},
          {"kycLevel", ppi::kyc_level_code(c.kyc_level)},
          {"primaryEnKashCard", c.primary_card},
          {"otbBalance", views::rupees_json(c.balance_paise - c.held_paise)},
          {"cardHolderName", c.holder_name},
          {"pinSet", !c.pin_hash.empty()},
          {"replacedBy", c.replaced_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.replaced_by)},
          {"createdOn", clock::format_ist(c.created_at)},
          {"modifiedOn", clock::format_ist(c.modified_at)}};
}

TEST(CardJsonText, IsWhatTheTreeWritesByteForByte) {
  CardRow c;
  c.card_id = "EKCAAAAAAA";
  c.user_id = "EKAAAAAA";
  c.card_account_id = "CAAAAAAAA";
  c.company_id = "CEKAAAAAAA";
  c.token = "0123456789abcdef0123";
  c.pan_last4 = "4242";
  c.card_type = "VIRTUAL";
  c.created_at = 1764067449;
  c.modified_at = 1764067450;
  int n = 0;
  for (const char* name : {"Ananya Rao", "\u0100nanya R\u0101o \u2713", "O\"Brien \\ \t\u0001", "bad \xFF"}) {
    for (CardStatus st : {CardStatus::kActivationInProgress, CardStatus::kUnlocked, CardStatus::kLocked, CardStatus::kBlocked}) {
      ++n;
      c.holder_name = name;
      c.status = st;
      c.expiry_month = 1 + n % 12;
      c.expiry_year = 2030 + n;
      c.gift = n % 2 == 0;
      c.primary_card = n % 3 == 0;
      c.kyc_level = n % 2 ? ppi::KycLevel::kMin : ppi::KycLevel::kFull;
      c.balance_paise = n * 12345;  // whole rupees and paise
      c.held_paise = n % 4 == 0 ? c.balance_paise % 100 : 7;
      c.pin_hash = n % 2 ? "" : "$argon2id$...";
      c.replaced_by = n % 5 == 0 ? "EKCBBBBBBB" : "";
      const std::string tree = card_tree(c).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      EXPECT_EQ(views::card_json_text(c), tree) << n;
      EXPECT_EQ(views::card_json(c).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), tree) << n;
    }
  }
}

}  // namespace
}  // namespace cardcore
