// Static files under a URL prefix (the API reference page at /docs; the operator console later):
// read from a directory once, kept in memory, answered to GET and HEAD. Only plain names pass:
// no "..", no dot-files, no backslash, and only the extensions of the content-type table; the
// resolved path must stay inside the directory. Anything else is "not found".
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"

namespace cardcore::http {

class StaticFiles {
 public:
  // Serves DIR/<rest> for a request path PREFIX/<rest>; `index` answers PREFIX and PREFIX/ (""
  // for none). `headers` go on every answer (a Content-Security-Policy, say). `only`, when not
  // empty, lists the names served (a package directory of which a page needs a few files).
  StaticFiles(std::string prefix, std::string dir, std::string index = "index.html",
              std::vector<std::pair<std::string, std::string>> headers = {}, std::vector<std::string> only = {});

  // The answer when `req.path` is under the prefix (404 for a name that is not served), else
  // nullopt. A method other than GET or HEAD is answered 405.
  std::optional<Response> handle(const Request& req) const;

  // The content type by file extension; empty when the extension is not served.
  static std::string content_type(std::string_view name);

 private:
  const std::string prefix_, dir_, index_;
  const std::vector<std::pair<std::string, std::string>> headers_;
  const std::vector<std::string> only_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const std::string>, std::less<>> cache_;
};

}  // namespace cardcore::http
