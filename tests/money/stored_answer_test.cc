// The answer a message stores for its duplicates (authorization::encode_stored_answer): it reads
// back field for field, the JSON objects of earlier builds still read, and anything else is a
// storage fault rather than a made-up answer.
#include <gtest/gtest.h>

#include <string>

#include "service/authorization.h"

namespace cardcore::testing {
namespace {

namespace az = cardcore::authorization;

az::AuthResult approved() {
  az::AuthResult r;
  r.approved = true;
  r.response_code = "00";
  r.reason = "approved";
  r.authorization_id = "AUTHABC123DEF456";
  r.txn_id = "ECTR12345ABCD";
  r.auth_code = "123456";
  r.amount_paise = 12345;
  r.available_paise = -5;
  return r;
}

void expect_same(const az::AuthResult& a, const az::AuthResult& b) {
  EXPECT_EQ(a.approved, b.approved);
  EXPECT_EQ(a.response_code, b.response_code);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.authorization_id, b.authorization_id);
  EXPECT_EQ(a.txn_id, b.txn_id);
  EXPECT_EQ(a.auth_code, b.auth_code);
  EXPECT_EQ(a.amount_paise, b.amount_paise);
  EXPECT_EQ(a.available_paise, b.available_paise);
}

TEST(StoredAnswer, ReadsBackEveryFieldAndIsADuplicate) {
  az::AuthResult r = approved();
  auto back = az::decode_stored_answer(az::encode_stored_answer(r));
  ASSERT_TRUE(back) << back.error().message;
  expect_same(r, *back);
  EXPECT_TRUE(back->duplicate);
}

TEST(StoredAnswer, ADeclineWithEmptyIdsAndATabInItsReason) {
  az::AuthResult r;
  r.response_code = "51";
  r.reason = "insufficient funds\tfor the amount";
  r.amount_paise = 100;
  auto back = az::decode_stored_answer(az::encode_stored_answer(r));
  ASSERT_TRUE(back) << back.error().message;
  expect_same(r, *back);
}

TEST(StoredAnswer, TheJsonOfEarlierBuildsStillReads) {
  auto back = az::decode_stored_answer(
      R"({"approved":true,"responseCode":"00","reason":"approved","authorizationId":"AUTHABC123DEF456",)"
      R"("txnId":"ECTR12345ABCD","authCode":"123456","amountPaise":12345,"availablePaise":-5})");
  ASSERT_TRUE(back) << back.error().message;
  expect_same(approved(), *back);
  EXPECT_TRUE(back->duplicate);
}

TEST(StoredAnswer, AnythingElseIsAStorageFault) {
  for (std::string bad : {std::string(), std::string("{not json"), std::string("A1\t1\t00"),
                          std::string("A2\t1\t00\tA\tT\tC\t1\t2\tr"), std::string("A1\tx\t00\tA\tT\tC\t1\t2\tr"),
                          std::string("A1\t1\t00\tA\tT\tC\tone\t2\tr"), std::string("A1\t1\t\tA\tT\tC\t1\t2\tr")}) {
    auto back = az::decode_stored_answer(bad);
    ASSERT_FALSE(back) << bad;
    EXPECT_EQ(back.error().code, code::kFailure) << bad;
  }
}

}  // namespace
}  // namespace cardcore::testing
