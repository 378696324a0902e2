// Start-up of `cardcore serve` in sandbox mode on each engine: a brand-new, empty store makes its
// keys and the demo partner and prints the credentials; a store that holds data never starts
// without its keys (they would be made up, and the data could no longer be read).
#include <filesystem>

#include "harness.h"

namespace apitest {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKeyFiles[] = {"vault.keys", "hmac.key", "zpk.key"};

// Its own servers, no suite server.
class ApiStartup : public ::testing::Test {};

// A password-grant token for the demo partner of `creds` (sandbox-credentials.json).
HttpResponse demo_token(const Server& s, const json& creds) {
  PartnerCreds p;
  p.client_id = creds.value("clientId", "");
  p.client_secret = creds.value("clientSecret", "");
  p.username = creds.value("username", "");
  return s.token_request(p, creds.value("password", ""));
}

TEST_F(ApiStartup, FreshStoreCreatesKeysAndTheDemoPartnerAndPrintsItsCredentials) {
  std::unique_ptr<Server> s = Server::start();
  ASSERT_TRUE(s && s->running());
  const std::string out = s->read_file("stdout.log");
  EXPECT_NE(out.find("store " + test_engine()), std::string::npos) << out;
  if (test_engine() == "postgres") EXPECT_FALSE(fs::exists(s->dir() + "/cardcore.db"));
  for (const char* key : kKeyFiles) EXPECT_FALSE(s->read_file(key).empty()) << key << " not created";

  json creds = json::parse(s->read_file("sandbox-credentials.json"), nullptr, false);
  ASSERT_TRUE(creds.is_object()) << "no sandbox-credentials.json; stdout:\n" << out;
  EXPECT_NE(out.find("Sandbox credentials"), std::string::npos) << out;
  EXPECT_NE(out.find(creds.value("clientSecret", "<none>")), std::string::npos) << out;
  HttpResponse t = demo_token(*s, creds);
  EXPECT_EQ(t.status, 200) << t.describe();
}

TEST_F(ApiStartup, StoreWithDataRefusesToStartWithoutItsKeys) {
  std::unique_ptr<Server> first = Server::start();
  ASSERT_TRUE(first && first->running());
  PartnerCreds p = first->admin_create_partner("Keys Co");
  ASSERT_FALSE(first->create_account(p).empty());
  first->stop();
  for (const char* key : kKeyFiles) fs::remove(first->dir() + "/" + key);

  ServerOptions again;
  again.data_dir = first->dir();
  std::string out;
  EXPECT_EQ(Server::run_until_exit(again, &out), 2) << out;
  EXPECT_NE(out.find("missing " + first->dir() + "/vault.keys"), std::string::npos) << out;
  EXPECT_NE(out.find("the existing database cannot be used without its keys"), std::string::npos) << out;
  for (const char* key : kKeyFiles) EXPECT_FALSE(fs::exists(first->dir() + "/" + key)) << key << " made up";
}

// A data dir that outlived its store (an old sandbox-credentials.json) meets a new, empty store:
// the demo partner is made again and the file names the new one.
TEST_F(ApiStartup, FreshStoreReplacesTheCredentialsOfAnEarlierStore) {
  std::unique_ptr<Server> first = Server::start();
  ASSERT_TRUE(first && first->running());
  const json old_creds = json::parse(first->read_file("sandbox-credentials.json"), nullptr, false);
  ASSERT_TRUE(old_creds.is_object());
  first->stop();
  // Forget the store, keep the directory: a new SQLite file, or a new PostgreSQL schema.
  for (const char* f : {"cardcore.db", "cardcore.db-wal", "cardcore.db-shm", "test-postgres.dsn"}) {
    fs::remove(first->dir() + "/" + f);
  }

  ServerOptions again;
  again.data_dir = first->dir();
  std::unique_ptr<Server> second = Server::start(again);
  ASSERT_TRUE(second && second->running());
  const json creds = json::parse(second->read_file("sandbox-credentials.json"), nullptr, false);
  ASSERT_TRUE(creds.is_object());
  EXPECT_NE(creds.value("clientId", ""), old_creds.value("clientId", ""));
  HttpResponse fresh = demo_token(*second, creds);
  EXPECT_EQ(fresh.status, 200) << fresh.describe();
  HttpResponse stale = demo_token(*second, old_creds);
  EXPECT_EQ(stale.status, 401) << stale.describe();
}

}  // namespace
}  // namespace apitest
