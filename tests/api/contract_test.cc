// The API against its OpenAPI document: a scenario that calls every operation of
// docs/openapi.json, failures included (tests/e2e/contract.js), goes through Prism's validating
// proxy (`prism proxy --errors`, from tests/e2e/node_modules): any request or answer that does not
// match the document, and any operation the scenario leaves out, fails the test. Also: the server
// serves that very document at GET /openapi.json and renders it at GET /docs, offline.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "harness.h"

namespace apitest {
namespace {

using namespace std::chrono_literals;

std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ApiContract, ServesItsOwnDocumentAndTheReferencePage) {
  auto s = Server::start();
  ASSERT_TRUE(s);
  HttpResponse doc = s->get("/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.header("content-type"), "application/json");
  EXPECT_EQ(doc.body, slurp_file(CARDCORE_OPENAPI)) << "the server serves docs/openapi.json as it is";
  ASSERT_TRUE(doc.is_json);
  EXPECT_EQ(doc.j.value("openapi", ""), "3.1.0");

  HttpResponse page = s->get("/docs");
  ASSERT_EQ(page.status, 200) << page.describe();
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  // Everything the page loads comes from the server itself.
  for (const char* asset : {"/docs/swagger-ui/swagger-ui-bundle.js", "/docs/swagger-ui/swagger-ui.css", "/docs/init.js"}) {
    EXPECT_NE(page.body.find(asset), std::string::npos) << asset;
    HttpResponse a = s->get(asset);
    EXPECT_EQ(a.status, 200) << asset << " " << a.describe().substr(0, 200);
    EXPECT_GT(a.body.size(), 100u) << asset;
  }
  EXPECT_EQ(page.body.find("http://"), std::string::npos) << "no remote resource";
  EXPECT_EQ(page.body.find("https://"), std::string::npos) << "no remote resource";
  // Nothing outside the served files: traversal, dot-files and unknown types are not found.
  for (const char* bad : {"/docs/../../CMakeLists.txt", "/docs/swagger-ui/../package.json", "/docs/.hidden.js",
                          "/docs/swagger-ui/swagger-ui-bundle.js.map", "/docs/swagger-ui/index.html"}) {
    EXPECT_EQ(s->get(bad).status, 404) << bad;
  }
  EXPECT_EQ(s->post_raw("/docs", "{}").status, 405);
}

// Prism's validating proxy in front of the server; stopped with the object.
class PrismProxy {
 public:
  PrismProxy(const std::string& dir, uint16_t upstream_port, uint16_t port)
      : port_(port),
        process_({std::string(CARDCORE_E2E_DIR) + "/node_modules/.bin/prism", "proxy", "--errors", "--host", "127.0.0.1",
                  "--port", std::to_string(port), CARDCORE_OPENAPI, "http://127.0.0.1:" + std::to_string(upstream_port)},
                 dir + "/prism.log") {}
  // Waits (bounded) until the proxy answers: /healthz through it.
  bool ready() const {
    for (auto deadline = std::chrono::steady_clock::now() + 90s; std::chrono::steady_clock::now() < deadline;) {
      if (!process_.running()) return false;
      if (http_get(port_, "/healthz").status == 200) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
  std::string log() const { return process_.log(); }

 private:
  uint16_t port_;
  HelperProcess process_;
};

TEST(ApiContract, EveryOperationThroughPrismsValidatingProxyMatchesTheDocument) {
  ASSERT_TRUE(std::filesystem::exists(std::string(CARDCORE_E2E_DIR) + "/node_modules/.bin/prism"))
      << "Prism is not installed in tests/e2e/node_modules: run scripts/setup";
  auto s = Server::start();
  ASSERT_TRUE(s);
  const uint16_t port = free_loopback_port();
  PrismProxy prism(s->dir(), s->port(), port);
  ASSERT_TRUE(prism.ready()) << prism.log();
  const std::string out = s->dir() + "/contract.out";
  const std::string cmd = std::string("cd '") + CARDCORE_E2E_DIR + "' && timeout 300 node contract.js --base http://127.0.0.1:" +
                          std::to_string(port) + " --admin-key '" + kAdminKey + "' --data-dir '" + s->dir() +
                          "' --spec '" + CARDCORE_OPENAPI + "' > '" + out + "' 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the contract scenario failed:\n" << slurp_file(out) << "\nprism:\n" << prism.log().substr(0, 20000);
}

}  // namespace
}  // namespace apitest
