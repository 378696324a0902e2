// The transaction object written straight to text (views::transaction_json_text, what every
// webhook event of a transaction carries) is byte for byte what the DOM path writes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(JsonObjectText, SortsKeysAsNlohmannDoesAndEscapesThem) {
  nlohmann::json dom{{"type", "transaction.created"}, {"id", "EVT1"}, {"createdOn", "2025-11-25T16:14:09+05:30"},
                     {"partnerId", "CR\"1\""}, {"data", {{"b", 1}, {"a", "x"}}}, {"Zeta", nullptr}};
  const std::string text = views::json_object_text({{"type", views::json_string_text("transaction.created")},
                                                    {"id", views::json_string_text("EVT1")},
                                                    {"createdOn", views::json_string_text("2025-11-25T16:14:09+05:30")},
                                                    {"partnerId", views::json_string_text("CR\"1\"")},
                                                    {"data", R"({"a":"x","b":1})"},
                                                    {"Zeta", "null"}});
  EXPECT_EQ(text, dom.dump());
  EXPECT_EQ(views::json_object_text({}), "{}");
}

TEST(JsonStringText, EscapesEveryByteAsNlohmannDoes) {
  for (int ch = 0; ch < 0x80; ++ch) {
    std::string s = "a";
    s += static_cast<char>(ch);
    s += "b/";
    EXPECT_EQ(views::json_string_text(s), nlohmann::json(s).dump()) << "byte " << ch;
  }
  for (std::string s : {std::string(), std::string("Ānanya ✓"), std::string("\xE2\x82\xB9 10")}) {
    EXPECT_EQ(views::json_string_text(s), nlohmann::json(s).dump()) << s;
  }
  EXPECT_THROW(views::json_string_text("bad \xFF utf-8"), nlohmann::json::exception) << "as nlohmann::json does";
}

}  // namespace
}  // namespace cardcore
