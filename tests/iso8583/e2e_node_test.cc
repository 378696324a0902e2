// End to end with an external client: starts the real server, funds a card with a PIN through
// the HTTP API, then runs tests/e2e/iso8583_client.js, whose messages are built and parsed by the
// npm `iso_8583` package (installed into tests/e2e/node_modules by scripts/setup). Skipped only
// when node itself is missing.
#include <sys/wait.h>

#include <filesystem>

#include "iso_fixture.h"

#ifndef CARDCORE_E2E_DIR
#error "CARDCORE_E2E_DIR must be defined (the tests/e2e directory)"
#endif

namespace isotest {
namespace {

class IsoNodeClient : public IsoServer {};

TEST_F(IsoNodeClient, NpmIso8583ClientDrivesTheServer) {
  if (std::system("command -v node > /dev/null 2>&1") != 0) GTEST_SKIP() << "node is not installed";
  const std::string e2e = CARDCORE_E2E_DIR;
  ASSERT_TRUE(std::filesystem::exists(e2e + "/node_modules/iso_8583/package.json"))
      << "the npm iso_8583 package is not installed in " << e2e << "/node_modules: run scripts/setup";

  Card c = funded_card(100);
  ASSERT_EQ(c.pan.size(), 16u);
  ASSERT_TRUE(IsOkA(srv().partner_post(c.p, "/setPin", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                         {"enKashCardId", c.card_id}, {"pinBlock", "4826"},
                                                         {"otpRequired", false}, {"otpMedium", "MOBILE"}})));
  std::string zpk = srv().read_file("zpk.key");
  while (!zpk.empty() && (zpk.back() == '\n' || zpk.back() == '\r')) zpk.pop_back();
  ASSERT_FALSE(zpk.empty());

  const std::string out = srv().dir() + "/node-client.out";
  std::string cmd = "cd '" + e2e + "' && ISO_PORT=" + std::to_string(port()) + " CARD_PAN=" + c.pan +
                    " CARD_EXPIRY=" + c.expiry_yymm + " CARD_PIN=4826 ZPK=" + zpk +
                    " CARD_BALANCE_PAISE=10000 timeout 120 node iso8583_client.js > '" + out + "' 2>&1";
  int status = std::system(cmd.c_str());
  std::string output = srv().read_file("node-client.out");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "node client failed (status " << status << "):\n"
                                                             << output;
  EXPECT_NE(output.find(" passed, 0 failed"), std::string::npos) << output;
  std::printf("%s", output.c_str());
}

}  // namespace
}  // namespace isotest
