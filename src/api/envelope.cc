#include "api/envelope.h"

namespace cardcore::api {

http::Response json_response(int status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

http::Response ok(const nlohmann::json& payload, Envelope e) {
  if (e == Envelope::kB) {
    return json_response(200, {{"response_code", 0}, {"response_message", "Success"}, {"payload", payload}});
  }
  return json_response(200, {{"code", 0}, {"message", "Success"}, {"payload", payload}});
}

http::Response error(const Error& err, Envelope e) {
  int status = err.http_status >= 400 && err.http_status <= 599 ? err.http_status : 500;
  if (e == Envelope::kB) {
    return json_response(status, {{"response_code", err.code}, {"response_message", err.message}, {"payload", nullptr}});
  }
  return json_response(status, {{"code", err.code}, {"message", err.message}, {"payload", nullptr}});
}

http::Response oauth_error(int http_status, std::string_view error, std::string_view description) {
  http::Response r = json_response(http_status, {{"error", error}, {"error_description", description}});
  if (http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cardcore\"");
  return r;
}

}  // namespace cardcore::api
