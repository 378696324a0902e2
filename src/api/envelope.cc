#include "api/envelope.h"

#include "api/error_table.h"

namespace cardcore::api {

http::Response json_response(int status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

http::Response ok(nlohmann::json payload, Envelope e) {
  // The payload is moved into the envelope, not copied: a card list is a deep tree.
  nlohmann::json body = nlohmann::json::object();
  if (e == Envelope::kB) {
    body["response_code"] = 0;
    body["response_message"] = "Success";
  } else {
    body["code"] = 0;
    body["message"] = "Success";
  }
  body["payload"] = std::move(payload);
  return json_response(200, body);
}

http::Response ok(Payload payload, Envelope e) {
  if (!payload.json_text) return ok(std::move(payload.tree), e);
  // The envelope's members in the order ok(json) writes them (sorted), around the text as it is.
  http::Response r;
  r.status = 200;
  const std::string_view before = e == Envelope::kB ? "{\"payload\":" : "{\"code\":0,\"message\":\"Success\",\"payload\":";
  const std::string_view after = e == Envelope::kB ? ",\"response_code\":0,\"response_message\":\"Success\"}" : "}";
  r.body.reserve(before.size() + payload.json_text->size() + after.size());
  r.body.append(before).append(*payload.json_text).append(after);
  return r;
}

http::Response error(const Error& err, Envelope e) {
  const ErrorAnswer& a = answer_for(err.code);
  if (e == Envelope::kB) {
    return json_response(a.http_status,
                         {{"response_code", a.wire_code}, {"response_message", err.message}, {"payload", nullptr}});
  }
  return json_response(a.http_status, {{"code", a.wire_code}, {"message", err.message}, {"payload", nullptr}});
}

http::Response oauth_error(const Error& err) {
  const ErrorAnswer& a = answer_for(err.code);
  const char* name = a.oauth_error ? a.oauth_error : a.http_status >= 500 ? "server_error" : "invalid_request";
  http::Response r = json_response(a.http_status, {{"error", name}, {"error_description", err.message}});
  if (a.http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cardcore\"");
  return r;
}

std::string trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(" \t");
  return std::string(s.substr(a, b - a + 1));
}

bool is_json_content_type(std::string_view ct) {
  std::string lower;
  for (char c : ct.substr(0, ct.find(';'))) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return trim(lower) == "application/json";
}

}  // namespace cardcore::api
