// Test fixture for the ISO 8583 interface of the real cardcore binary: one server per suite
// (HTTP and ISO on ephemeral ports), helpers to fund a card through the HTTP API and read its
// number, and builders for ISO 8583 requests.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "../api/harness.h"
#include "iso_client.h"

namespace isotest {

using apitest::HttpResponse;
using apitest::IsOkA;
using apitest::json;
using apitest::PartnerCreds;
using cardcore::iso8583::Message;
using cardcore::iso8583::frame;

class IsoServer : public ::testing::Test {
 public:
  static void SetUpTestSuite() { start(json::object()); }
  // One server for the suite, with `extra` merged into its config.
  static void start(const json& extra) {
    apitest::ServerOptions o;
    o.extra_config = {{"isoPort", 0}};
    for (const auto& [k, v] : extra.items()) o.extra_config[k] = v;
    server_ = apitest::Server::start(o);
    if (!server_) return;
    json info = json::parse(server_->read_file("server.json"), nullptr, false);
    if (info.is_object() && info.contains("isoPort")) iso_port_ = static_cast<uint16_t>(info["isoPort"].get<int>());
  }
  static void TearDownTestSuite() { server_.reset(); }

 protected:
  void SetUp() override {
    ASSERT_TRUE(server_ && server_->running()) << "the cardcore server is not running";
    ASSERT_NE(iso_port_, 0) << "server.json has no isoPort: " << server_->read_file("server.json");
  }
  static apitest::Server& srv() { return *server_; }
  static uint16_t port() { return iso_port_; }

  struct Card {
    PartnerCreds p;
    std::string account, card_id, pan, expiry_yymm, cvv;
  };
  // A fresh partner, account and card loaded with `rupees`; the PAN read through /viewCard.
  static Card funded_card(int rupees) {
    Card c;
    c.p = srv().admin_create_partner("Iso Test Co");
    c.account = srv().create_account(c.p);
    HttpResponse f = srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", c.p.company_id},
                                                                      {"cardAccountId", c.account},
                                                                      {"amount", rupees + 1000},
                                                                      {"reference", "ISO-FUND-" + c.account}});
    EXPECT_TRUE(IsOkA(f)) << f.describe();
    json card = srv().create_card(c.p, c.account, {{"loadAmount", std::to_string(rupees) + ".00"}});
    if (!card.is_object()) return c;
    c.card_id = card.value("enKashCardId", "");
    auto [id, code] = srv().otp(c.p, c.account, c.card_id, "VIEW_CARD");
    HttpResponse v = srv().partner_post(c.p, "/viewCard", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                           {"enKashCardId", c.card_id}, {"otpMedium", "MOBILE"},
                                                           {"otpRequired", true}, {"otpRequestId", id}, {"otp", code}});
    EXPECT_TRUE(IsOkA(v)) << v.describe();
    const json& pl = v.j["payload"];
    c.pan = pl.value("cardNumber", "");
    c.cvv = pl.value("cvv", "");
    auto num = [](const json& j) { return j.is_string() ? std::atoi(j.get<std::string>().c_str()) : j.get<int>(); };
    if (pl.contains("expiryMonth") && pl.contains("expiryYear")) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%02d%02d", num(pl["expiryYear"]) % 100, num(pl["expiryMonth"]));
      c.expiry_yymm = buf;
    }
    return c;
  }

  static std::string stan(int n) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06d", n % 1000000);
    return buf;
  }
  static std::string amount(int64_t paise) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%012lld", static_cast<long long>(paise));
    return buf;
  }
  static std::string rrn(int n) { return "RRN" + stan(n) + "ABC"; }

  static Message auth(const std::string& mti, const Card& c, int64_t paise, int n) {
    return Message{mti,
                   {{2, c.pan}, {3, "000000"}, {4, amount(paise)}, {7, "0101120000"}, {11, stan(n)}, {14, c.expiry_yymm},
                    {18, "5411"}, {19, "356"}, {22, "051"}, {25, "00"}, {32, "123456"}, {37, rrn(n)},
                    {41, "TERM0001"}, {42, "MERCHANT0000001"}, {43, "Iso Test Store          Bengaluru    IN "},
                    {49, "356"}}};
  }

  static Message exchange(const Message& m) {
    Conn c(port());
    EXPECT_TRUE(c.ok());
    EXPECT_TRUE(c.send(m));
    auto a = c.receive();
    EXPECT_TRUE(a.has_value()) << "no answer to " << m.mti;
    return a.value_or(Message{});
  }

  // The card's available balance (otbBalance of Get Card Details) in paise; -1 if unreadable.
  static int64_t available_paise(const Card& c) {
    json d = srv().search_card(c.p, c.account, c.card_id);
    return d.is_object() && d.contains("otbBalance") ? apitest::paise(d["otbBalance"]) : -1;
  }

  static int64_t balance_of(const Message& answer) {
    const std::string& f54 = answer.get(54);
    if (f54.size() != 20) return -1;
    int64_t v = std::atoll(f54.substr(8).c_str());
    return f54[7] == 'D' ? -v : v;
  }

  static inline std::unique_ptr<apitest::Server> server_;
  static inline uint16_t iso_port_ = 0;
};


}  // namespace isotest
