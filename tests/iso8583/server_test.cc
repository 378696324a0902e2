// The real cardcore binary's ISO 8583 interface, driven over TCP by a C++ client: network
// management, malformed frames (answered 30 or closed, and the server lives on), pipelining,
// the authorization/financial/advice/reversal messages against a card funded through the HTTP
// API, PIN blocks under the zone PIN key, and 50 parallel authorizations racing for ₹100.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "iso_fixture.h"
#include "security/pin_block.h"

namespace isotest {
namespace {

TEST_F(IsoServer, EchoTest0800) {
  Message a = exchange({"0800", {{7, "0131235959"}, {11, "000042"}, {70, "301"}}});
  EXPECT_EQ(a.mti, "0810");
  EXPECT_EQ(a.get(39), "00");
  EXPECT_EQ(a.get(7), "0131235959");
  EXPECT_EQ(a.get(11), "000042");
  EXPECT_EQ(a.get(70), "301");
}

// GET /metrics counts every ISO 8583 answer by request MTI and field 39, and every decision by
// source; no card number in it.
TEST_F(IsoServer, MetricsCountMessagesAndDecisions) {
  Card c = funded_card(100);
  auto value = [](const std::string& text, const std::string& series) {
    double v = apitest::metric_value(text, series);
    return v < 0 ? 0.0 : v;  // a series not yet seen counts 0
  };
  const std::string approved_msg = R"(cardcore_iso_messages_total{mti="0100",response_code="00"})";
  const std::string declined_msg = R"(cardcore_iso_messages_total{mti="0100",response_code="51"})";
  const std::string echo_msg = R"(cardcore_iso_messages_total{mti="0800",response_code="00"})";
  const std::string approved = R"(cardcore_authorizations_total{approved="true",response_code="00",source="ISO8583"})";
  const std::string declined = R"(cardcore_authorizations_total{approved="false",response_code="51",source="ISO8583"})";
  const std::string timed = R"(cardcore_iso_message_duration_seconds_count{mti="0100"})";
  const std::string before = srv().get("/metrics").body;
  EXPECT_EQ(exchange(auth("0100", c, 1000, 701)).get(39), "00");
  EXPECT_EQ(exchange(auth("0100", c, 500'000, 702)).get(39), "51");
  EXPECT_EQ(exchange(auth("0100", c, 1000, 701)).get(39), "00");  // a duplicate: a message, no new decision
  EXPECT_EQ(exchange({"0800", {{7, "0131235959"}, {11, "000703"}, {70, "301"}}}).get(39), "00");
  const std::string after = srv().get("/metrics").body;
  EXPECT_EQ(value(after, approved_msg) - value(before, approved_msg), 2) << after;
  EXPECT_EQ(value(after, declined_msg) - value(before, declined_msg), 1);
  EXPECT_EQ(value(after, echo_msg) - value(before, echo_msg), 1);
  EXPECT_EQ(value(after, approved) - value(before, approved), 1);
  EXPECT_EQ(value(after, declined) - value(before, declined), 1);
  EXPECT_EQ(value(after, timed) - value(before, timed), 3);
  EXPECT_EQ(after.find(c.pan), std::string::npos);
}

TEST_F(IsoServer, UndecodableWithReadableMtiGetsFormatErrorAndConnectionStays) {
  Conn c(port());
  ASSERT_TRUE(c.ok());
  // 0100 with bit 5 (not supported) set.
  std::string bad = "0100";
  bad += std::string("\x08\x00\x00\x00\x00\x00\x00\x00", 8);
  bad += "000000001000";
  ASSERT_TRUE(c.send_bytes(frame(bad)));
  auto a = c.receive();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mti, "0110");
  EXPECT_EQ(a->get(39), "30");
  // A field that runs past the end, same connection.
  ASSERT_TRUE(c.send_bytes(frame(std::string("0200") + std::string("\x40\x00\x00\x00\x00\x00\x00\x00", 8) + "19123")));
  a = c.receive();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mti, "0210");
  EXPECT_EQ(a->get(39), "30");
  // Still usable.
  ASSERT_TRUE(c.send({"0800", {{11, "000001"}, {70, "301"}}}));
  a = c.receive();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mti, "0810");
}

TEST_F(IsoServer, MissingMandatoryFieldIsFormatError) {
  Message a = exchange({"0100", {{2, "6521500000000001"}, {3, "000000"}, {11, "000001"}, {41, "TERM0001"}}});
  EXPECT_EQ(a.mti, "0110");
  EXPECT_EQ(a.get(39), "30");
}

TEST_F(IsoServer, UnsupportedRequestMtiIsInvalidTransaction) {
  Message a = exchange({"0600", {{11, "000001"}}});
  EXPECT_EQ(a.mti, "0610");
  EXPECT_EQ(a.get(39), "12");
}

TEST_F(IsoServer, MalformedFramesCloseTheConnectionAndTheServerLivesOn) {
  struct Case {
    const char* name;
    std::string bytes;
    bool half_close;
  };
  std::vector<Case> cases = {
      {"garbage", frame("\x01\x02garbage that is no MTI at all"), false},
      {"zero length", std::string("\x00\x00", 2), false},
      {"huge length", std::string("\xff\xff", 2) + std::string(100, 'x'), false},
      {"length over 8 KiB", std::string("\x20\x01", 2), false},
      {"truncated frame", std::string("\x00\x64", 2) + "0800" + std::string(10, '\0'), true},
      {"response MTI sent to us", frame(*cardcore::iso8583::encode({"0110", {{39, "00"}}})), false},
      {"random binary", frame(std::string("\x80\x90\xff\x00\x13\x37\xde\xad\xbe\xef", 10)), false},
  };
  for (const Case& k : cases) {
    Conn c(port());
    ASSERT_TRUE(c.ok()) << k.name;
    ASSERT_TRUE(c.send_bytes(k.bytes)) << k.name;
    if (k.half_close) c.shutdown_send();
    EXPECT_TRUE(c.closed_by_peer()) << k.name;
    // The next connection is served.
    Message a = exchange({"0800", {{11, "000002"}, {70, "301"}}});
    EXPECT_EQ(a.get(39), "00") << "after " << k.name;
  }
}

TEST_F(IsoServer, PipelinedRequestsAreAnsweredInOrder) {
  Conn c(port());
  ASSERT_TRUE(c.ok());
  std::string burst;
  for (int i = 1; i <= 20; ++i) burst += frame(*cardcore::iso8583::encode({"0800", {{11, stan(i)}, {70, "301"}}}));
  ASSERT_TRUE(c.send_bytes(burst));
  for (int i = 1; i <= 20; ++i) {
    auto a = c.receive();
    ASSERT_TRUE(a) << i;
    EXPECT_EQ(a->mti, "0810");
    EXPECT_EQ(a->get(11), stan(i));
  }
}

TEST_F(IsoServer, AuthorizationReversalFinancialAdviceAndDuplicates) {
  Card c = funded_card(100);
  ASSERT_EQ(c.pan.size(), 16u);
  ASSERT_EQ(c.expiry_yymm.size(), 4u);

  Message req = auth("0100", c, 1000, 101);
  Message a = exchange(req);
  EXPECT_EQ(a.mti, "0110");
  ASSERT_EQ(a.get(39), "00") << "0100 declined";
  EXPECT_EQ(a.get(38).size(), 6u);
  EXPECT_EQ(balance_of(a), 9000);
  for (int bit : {2, 3, 4, 7, 11, 37, 41}) EXPECT_EQ(a.get(bit), req.get(bit)) << "echo of field " << bit;

  // The same message again: the stored answer, nothing posted twice.
  Message dup = exchange(req);
  EXPECT_EQ(dup.get(39), "00");
  EXPECT_EQ(dup.get(38), a.get(38));
  EXPECT_EQ(balance_of(dup), 9000);

  // Reversal naming the original through field 90 (original MTI + STAN + ...).
  Message rev = auth("0400", c, 1000, 102);
  rev.set(37, req.get(37));
  rev.set(90, "0100" + req.get(11) + req.get(7) + std::string(22, '0'));
  Message ra = exchange(rev);
  EXPECT_EQ(ra.mti, "0410");
  EXPECT_EQ(ra.get(39), "00");
  EXPECT_EQ(balance_of(ra), 10000);

  // A reversal of nothing we know: 25 for a request, acknowledged for an advice.
  Message unknown = auth("0400", c, 1000, 103);
  EXPECT_EQ(exchange(unknown).get(39), "25");
  unknown.mti = "0420";
  EXPECT_EQ(exchange(unknown).get(39), "00");

  // Partial reversal: authorize 30, then the sale turns out to be 12 (field 95): 18 come back.
  Message a30 = auth("0100", c, 3000, 104);
  ASSERT_EQ(exchange(a30).get(39), "00");
  Message part = auth("0420", c, 3000, 105);
  part.set(37, a30.get(37));
  part.set(90, "0100" + a30.get(11) + a30.get(7) + std::string(22, '0'));
  part.set(95, amount(1200) + std::string(30, '0'));
  Message pa = exchange(part);
  EXPECT_EQ(pa.mti, "0430");
  EXPECT_EQ(pa.get(39), "00");
  EXPECT_EQ(balance_of(pa), 8800);

  // 0200: authorized and cleared at once.
  Message fin = exchange(auth("0200", c, 500, 106));
  EXPECT_EQ(fin.mti, "0210");
  EXPECT_EQ(fin.get(39), "00");
  EXPECT_EQ(balance_of(fin), 8300);

  // 0120 advice: force post.
  Message adv = exchange(auth("0120", c, 300, 107));
  EXPECT_EQ(adv.mti, "0130");
  EXPECT_EQ(adv.get(39), "00");
  EXPECT_EQ(balance_of(adv), 8000);

  // Declines: wrong expiry (54), too much (51), unknown card (14), foreign currency (13).
  Message bad_exp = auth("0100", c, 100, 108);
  bad_exp.set(14, "0101");
  EXPECT_EQ(exchange(bad_exp).get(39), "54");
  EXPECT_EQ(exchange(auth("0100", c, 500'000, 109)).get(39), "51");
  Card other = c;
  other.pan = "6521509999999999";
  EXPECT_EQ(exchange(auth("0100", other, 100, 110)).get(39), "14");
  Message usd = auth("0100", c, 100, 111);
  usd.set(49, "840");
  EXPECT_EQ(exchange(usd).get(39), "13");

  // Card not present with CVV in field 48.
  Message ecom = auth("0100", c, 100, 112);
  ecom.set(22, "810");
  ecom.set(25, "59");
  ecom.set(48, "CV2" + (c.cvv == "000" ? std::string("001") : std::string("000")));
  EXPECT_EQ(exchange(ecom).get(39), "05");
  ecom.set(11, stan(113));
  ecom.set(37, rrn(113));
  ecom.set(48, "CV2" + c.cvv);
  EXPECT_EQ(exchange(ecom).get(39), "00");
}

TEST_F(IsoServer, PinBlockUnderTheZonePinKey) {
  Card c = funded_card(100);
  ASSERT_EQ(c.pan.size(), 16u);
  ASSERT_TRUE(IsOkA(srv().partner_post(c.p, "/setPin", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                         {"enKashCardId", c.card_id}, {"pinBlock", "2580"},
                                                         {"otpRequired", false}, {"otpMedium", "MOBILE"}})));
  auto zpk = cardcore::pin_block::ZonePinKey::from_hex(srv().read_file("zpk.key"));
  ASSERT_TRUE(zpk) << "zpk.key missing or invalid";

  Message right = auth("0100", c, 100, 201);
  right.set(52, *zpk->encrypt_pin("2580", c.pan));
  EXPECT_EQ(exchange(right).get(39), "00");

  Message wrong = auth("0100", c, 100, 202);
  wrong.set(52, *zpk->encrypt_pin("1111", c.pan));
  EXPECT_EQ(exchange(wrong).get(39), "55");

  // A block made under another key does not open as format 0: wrong PIN, not a crash.
  auto other = cardcore::pin_block::ZonePinKey::from_hex("0123456789ABCDEFFEDCBA9876543210");
  Message garbled = auth("0100", c, 100, 203);
  garbled.set(52, *other->encrypt_pin("2580", c.pan));
  EXPECT_EQ(exchange(garbled).get(39), "55");

  // ATM cash (processing code 01) needs ATM use enabled on the card: declined 57 by default.
  Message atm = auth("0100", c, 100, 204);
  atm.set(3, "010000");
  atm.set(52, *zpk->encrypt_pin("2580", c.pan));
  EXPECT_EQ(exchange(atm).get(39), "57");
}

// Merchant controls apply to the network's messages as to the sandbox's: field 18 (MCC), 42
// (merchant id) and 19 (acquirer country).
TEST_F(IsoServer, MerchantControlsDeclineWith57) {
  Card c = funded_card(500);
  HttpResponse rule = srv().partner_post(c.p, "/velocity/rule",
                                         {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                          {"enKashCardIds", {c.card_id}}, {"internationalAllowed", true},
                                          {"blockedMccs", {"7995"}}, {"blockedMerchantIds", {"BADSHOP00000001"}},
                                          {"blockedCountries", {"840"}}});
  ASSERT_TRUE(IsOkA(rule)) << rule.describe();
  EXPECT_EQ(exchange(auth("0100", c, 100, 8101)).get(39), "00");
  Message mcc = auth("0100", c, 100, 8102);
  mcc.fields[18] = "7995";
  EXPECT_EQ(exchange(mcc).get(39), "57");
  Message merchant = auth("0100", c, 100, 8103);
  merchant.fields[42] = "BADSHOP00000001";
  EXPECT_EQ(exchange(merchant).get(39), "57");
  Message country = auth("0100", c, 100, 8104);
  country.fields[19] = "840";
  EXPECT_EQ(exchange(country).get(39), "57");
  Message elsewhere = auth("0100", c, 100, 8105);
  elsewhere.fields[19] = "826";
  EXPECT_EQ(exchange(elsewhere).get(39), "00") << "another country, international allowed";
  // A financial advice (force post) at a blocked merchant is posted all the same.
  Message advice = auth("0120", c, 100, 8106);
  advice.fields[18] = "7995";
  EXPECT_EQ(exchange(advice).get(39), "00");
  EXPECT_EQ(available_paise(c), 500'00 - 300);
}

// The RBI PPI rules of the card's KYC level apply on the network as in the sandbox: a MIN card
// has no ATM cash (57) and ₹10,000 of debits a month (61).
TEST_F(IsoServer, KycLevelLimitsDeclineOnTheNetwork) {
  Card c = funded_card(9000);
  ASSERT_TRUE(IsOkA(srv().partner_post(c.p, "/velocity/rule", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                               {"enKashCardIds", {c.card_id}}, {"atmAllowed", true}})));
  Message cash = auth("0100", c, 100'00, 8201);
  cash.fields[3] = "010000";  // processing code 01: cash withdrawal
  EXPECT_EQ(exchange(cash).get(39), "57");
  EXPECT_EQ(exchange(auth("0100", c, 8000'00, 8202)).get(39), "00");
  // ₹8,000 held this month: ₹2,000.01 more would pass the ₹10,000 of debits; ₹1,000 does not.
  EXPECT_EQ(exchange(auth("0100", c, 2000'01, 8203)).get(39), "61");
  EXPECT_EQ(exchange(auth("0100", c, 1000'00, 8204)).get(39), "00");
  EXPECT_EQ(available_paise(c), 0);
}

TEST_F(IsoServer, FiftyParallelAuthorizationsOfTenRupeesOnOneHundredApproveExactlyTen) {
  Card c = funded_card(100);
  ASSERT_EQ(c.pan.size(), 16u);
  constexpr int kConnections = 5, kPerConnection = 10;
  std::mutex mu;
  std::map<std::string, int> codes;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kConnections; ++t) {
    threads.emplace_back([&, t] {
      Conn conn(port());
      if (!conn.ok()) return;
      std::string burst;
      for (int i = 0; i < kPerConnection; ++i) {
        burst += frame(*cardcore::iso8583::encode(auth("0100", c, 1000, 300 + t * kPerConnection + i)));
      }
      if (!conn.send_bytes(burst)) return;
      for (int i = 0; i < kPerConnection; ++i) {
        auto a = conn.receive();
        if (!a) return;
        ++answered;
        std::lock_guard<std::mutex> lock(mu);
        ++codes[a->get(39)];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(answered.load(), kConnections * kPerConnection);
  EXPECT_EQ(codes["00"], 10);
  EXPECT_EQ(codes["51"], 40);
  EXPECT_EQ(codes.size(), 2u);

  std::string verify_out;
  EXPECT_EQ(apitest::ledger_verify(srv().dir(), &verify_out), 0) << verify_out;
}

// 0200 is one purchase, decided and cleared in one unit: approved, the card is debited and no
// hold stays (the rest of the balance can still be authorized in full); a repeat gets the first
// answer and posts nothing; a purchase beyond the balance is 51 and takes nothing; one PURCHASE
// row per decision, and the ledger checks out.
TEST_F(IsoServer, FinancialRequestIsOnePurchase) {
  Card c = funded_card(100);
  Message buy = auth("0200", c, 4000, 201);
  Message a = exchange(buy);
  EXPECT_EQ(a.mti, "0210");
  ASSERT_EQ(a.get(39), "00");
  EXPECT_EQ(a.get(38).size(), 6u);
  EXPECT_EQ(balance_of(a), 6000);

  Message dup = exchange(buy);
  EXPECT_EQ(dup.get(39), "00");
  EXPECT_EQ(dup.get(38), a.get(38));
  EXPECT_EQ(balance_of(dup), 6000);

  Message too_much = exchange(auth("0200", c, 6001, 202));
  EXPECT_EQ(too_much.get(39), "51");
  EXPECT_EQ(balance_of(too_much), 6000);

  // Nothing is held for the purchase: all of the rest authorizes.
  Message rest = exchange(auth("0100", c, 6000, 203));
  EXPECT_EQ(rest.get(39), "00");
  EXPECT_EQ(balance_of(rest), 0);

  HttpResponse rows = srv().partner_post(c.p, "/transaction/all", {{"companyId", c.p.company_id},
                                                                  {"cardAccountId", c.account},
                                                                  {"enKashCardId", c.card_id}, {"pageSize", 500}});
  ASSERT_TRUE(IsOkA(rows)) << rows.describe();
  int approved = 0, declined = 0;
  for (const json& t : rows.j["payload"]["transactions"]) {
    if (t.value("type", "") != "PURCHASE") continue;
    if (t.value("status", "") == "APPROVED") {
      ++approved;
      EXPECT_EQ(apitest::paise(t["principalAmount"]), 4000);
      EXPECT_EQ(t.value("cardTransactionType", ""), "DR");
    } else {
      ++declined;
      EXPECT_EQ(t["txnDetails"].value("responseCode", ""), "51");
    }
  }
  EXPECT_EQ(approved, 1);
  EXPECT_EQ(declined, 1);
  std::string out;
  EXPECT_EQ(apitest::ledger_verify(srv().dir(), &out), 0) << out;
}

}  // namespace
}  // namespace isotest

namespace isotest {
namespace {

// Draining (isoDecisionBudgetMs 0): a message that would wait for a worker is answered 91 at
// once and stores nothing; network management (0800) is still answered.
class IsoDraining : public IsoServer {
 public:
  static void SetUpTestSuite() { start({{"isoDecisionBudgetMs", 0}}); }
};

TEST_F(IsoDraining, UndecidedMessagesGet91AndChangeNothing) {
  Card c = funded_card(100);
  ASSERT_EQ(c.pan.size(), 16u);
  Message req = auth("0100", c, 1000, 301);
  Message a = exchange(req);
  EXPECT_EQ(a.mti, "0110");
  EXPECT_EQ(a.get(39), "91");
  for (int bit : {2, 3, 4, 11, 37, 41}) EXPECT_EQ(a.get(bit), req.get(bit)) << "echo of field " << bit;
  EXPECT_EQ(exchange({"0800", {{11, "000301"}, {70, "301"}}}).get(39), "00");
  // Nothing was held or posted: the card still has all of its ₹100.
  EXPECT_EQ(available_paise(c), 100'00);
}

}  // namespace
}  // namespace isotest

namespace isotest {
namespace {

// One message in flight per connection (isoMaxInFlight 1): a pipelined burst is read on, every
// message is answered in order, those over the limit with 91 at once; only the approvals moved
// money.
class IsoOneInFlight : public IsoServer {
 public:
  static void SetUpTestSuite() { start({{"isoMaxInFlight", 1}}); }
};

TEST_F(IsoOneInFlight, MessagesOverTheLimitAre91AtOnceAndChangeNothing) {
  Card c = funded_card(1000);
  ASSERT_EQ(c.pan.size(), 16u);
  constexpr int kBurst = 200;
  Conn conn(port());
  ASSERT_TRUE(conn.ok());
  std::string burst;
  for (int i = 1; i <= kBurst; ++i) burst += frame(*cardcore::iso8583::encode(auth("0100", c, 100, 4000 + i)));
  ASSERT_TRUE(conn.send_bytes(burst));
  int approved = 0, unavailable = 0;
  for (int i = 1; i <= kBurst; ++i) {
    auto a = conn.receive();
    ASSERT_TRUE(a) << "answer " << i;
    EXPECT_EQ(a->mti, "0110");
    EXPECT_EQ(a->get(11), auth("0100", c, 100, 4000 + i).get(11)) << "answers keep the order of the requests";
    const std::string code = a->get(39);
    if (code == "00") ++approved;
    else if (code == "91") ++unavailable;
    else ADD_FAILURE() << "answer " << i << ": code " << code;
  }
  EXPECT_GE(approved, 1);
  // 200 frames in one write are read in microseconds; deciding one takes a commit.
  EXPECT_GE(unavailable, 1);
  // ₹1 per approval, nothing for a 91.
  EXPECT_EQ(available_paise(c), (1000 - approved) * 100) << approved << " approved";
  std::string out;
  EXPECT_EQ(apitest::ledger_verify(srv().dir(), &out), 0) << out;
}

}  // namespace
}  // namespace isotest

namespace isotest {
namespace {

// Crash safety at full load under group commit: 8 connections keep 16 authorizations each in
// flight (so batches carry many units) until the server is SIGKILLed. The server restarted on
// the same store answers every acknowledged (00) message again as a duplicate, with its auth
// code (so its authorization and hold are there, once); each card's held money lies between
// what was acknowledged and that plus the messages left unanswered; the ledger verifies.
class IsoCrash : public IsoServer {
 public:
  static void SetUpTestSuite() { start(json::object()); }
};

TEST_F(IsoCrash, AcknowledgedAuthorizationsSurviveSigkillAtFullLoad) {
  constexpr int kCards = 4, kConnections = 8, kWindow = 16, kKillAfter = 400, kMaxPerConnection = 4000;
  std::vector<Card> cards;
  for (int i = 0; i < kCards; ++i) {
    cards.push_back(funded_card(1000));
    ASSERT_EQ(cards.back().pan.size(), 16u);
  }
  struct Sent {
    int card;
    std::string auth_code;  // empty: no answer
  };
  std::mutex mu;
  std::map<int, Sent> sent;  // message number -> card and, once approved, its auth code
  std::atomic<int> approved{0};
  std::atomic<bool> stop{false};
  std::vector<std::string> unexpected;
  std::vector<std::thread> threads;
  for (int t = 0; t < kConnections; ++t) {
    threads.emplace_back([&, t] {
      Conn conn(port());
      if (!conn.ok()) return;
      for (int base = 0; base < kMaxPerConnection && !stop.load(); base += kWindow) {
        std::string burst;
        for (int i = 0; i < kWindow; ++i) {
          const int n = t * 100000 + base + i;
          const int card = (t + i) % kCards;
          burst += frame(*cardcore::iso8583::encode(auth("0100", cards[static_cast<size_t>(card)], 100, n)));
          std::lock_guard lock(mu);
          sent[n] = {card, ""};
        }
        if (!conn.send_bytes(burst)) return;
        for (int i = 0; i < kWindow; ++i) {
          auto a = conn.receive();
          if (!a) return;  // the server died under this burst
          const int n = t * 100000 + base + i;
          std::lock_guard lock(mu);
          if (a->get(39) == "00" && a->get(11) == stan(n)) {
            sent[n].auth_code = a->get(38);
            approved.fetch_add(1);
          } else {
            unexpected.push_back(std::to_string(n) + ": code " + a->get(39) + " stan " + a->get(11));
          }
        }
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (approved.load() < kKillAfter && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const int killed_at = approved.load();
  const std::string dir = srv().dir();
  srv().kill_hard();
  stop = true;
  for (auto& th : threads) th.join();
  ASSERT_GE(killed_at, kKillAfter) << "the authorizations did not get going";
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected answers, first: " << unexpected.front();
  std::string out;
  EXPECT_EQ(apitest::ledger_verify(dir, &out), 0) << "ledger verify after the crash: " << out;

  // The same store again; the first server object keeps (and finally removes) the directory.
  apitest::ServerOptions again;
  again.data_dir = dir;
  again.extra_config = {{"isoPort", 0}};
  std::unique_ptr<apitest::Server> second = apitest::Server::start(again);
  ASSERT_TRUE(second && second->running());
  json info = json::parse(second->read_file("server.json"), nullptr, false);
  ASSERT_TRUE(info.is_object() && info.contains("isoPort"));
  const uint16_t port2 = static_cast<uint16_t>(info["isoPort"].get<int>());

  auto spent_paise = [&](const Card& c) -> int64_t {
    json d = second->search_card(c.p, c.account, c.card_id);
    if (!d.is_object()) return -1;
    return 100000 - apitest::paise(d["otbBalance"]);
  };
  std::vector<int64_t> acked(kCards, 0), unanswered(kCards, 0), before(kCards, 0);
  for (const auto& [n, m] : sent) (m.auth_code.empty() ? unanswered : acked)[static_cast<size_t>(m.card)] += 100;
  for (int i = 0; i < kCards; ++i) {
    before[static_cast<size_t>(i)] = spent_paise(cards[static_cast<size_t>(i)]);
    EXPECT_GE(before[static_cast<size_t>(i)], acked[static_cast<size_t>(i)]) << "card " << i << ": acknowledged holds lost";
    EXPECT_LE(before[static_cast<size_t>(i)], acked[static_cast<size_t>(i)] + unanswered[static_cast<size_t>(i)])
        << "card " << i << ": more held than was sent";
  }
  // Every acknowledged message, sent again, is a duplicate answered with its first auth code.
  Conn conn(port2);
  ASSERT_TRUE(conn.ok());
  int lost = 0, checked = 0;
  for (const auto& [n, m] : sent) {
    if (m.auth_code.empty()) continue;
    ASSERT_TRUE(conn.send(auth("0100", cards[static_cast<size_t>(m.card)], 100, n)));
    auto a = conn.receive();
    ASSERT_TRUE(a) << "no answer to the resent message " << n;
    ++checked;
    if ((a->get(39) != "00" || a->get(38) != m.auth_code) && ++lost <= 5) {
      ADD_FAILURE() << "message " << n << " acknowledged with auth code " << m.auth_code << ", resent: code "
                    << a->get(39) << " auth code " << a->get(38);
    }
  }
  EXPECT_EQ(lost, 0) << "of " << checked << " acknowledged authorizations";
  for (int i = 0; i < kCards; ++i) {
    EXPECT_EQ(spent_paise(cards[static_cast<size_t>(i)]), before[static_cast<size_t>(i)])
        << "card " << i << ": a resent duplicate held money again";
  }
  std::printf("[ crash    ] killed after %d approvals; %d acknowledged in all of %zu sent\n", killed_at, checked,
              sent.size());
  second->stop();
  EXPECT_EQ(apitest::ledger_verify(dir, &out), 0) << "ledger verify after the restart: " << out;
}

}  // namespace
}  // namespace isotest
