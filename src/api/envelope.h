// The one place where results become wire envelopes (docs/api.md, "Envelopes"):
//   A: {"code": 0, "message": "Success", "payload": ...}
//   B: {"response_code": 0, "response_message": "Success", "payload": ...}  (cardAccount/get, search)
//   OAuth: {"error": "...", "error_description": "..."} for /oauth/token and bearer failures.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "domain/error.h"
#include "http/server.h"

namespace cardcore::api {

enum class Envelope { kA, kB };

// What a route answers with: a JSON tree, or JSON text the route wrote itself
// (domain/json_text.h) where the tree costs more than the rest of the request (Get Card Details).
struct Payload {
  Payload(nlohmann::json tree) : tree(std::move(tree)) {}  // NOLINT: every route returns a tree
  static Payload text(std::string json_text) {
    Payload p(nullptr);
    p.json_text = std::move(json_text);
    return p;
  }
  nlohmann::json tree;
  std::optional<std::string> json_text;  // when set, the payload as it is written
};

http::Response ok(nlohmann::json payload, Envelope e = Envelope::kA);
http::Response ok(Payload payload, Envelope e = Envelope::kA);
// Status and wire code come from the error table (api/error_table.h).
http::Response error(const Error& err, Envelope e = Envelope::kA);
http::Response oauth_error(const Error& err);
http::Response json_response(int status, const nlohmann::json& body);

// Request-header helpers shared by the partner and admin adapters.
std::string trim(std::string_view s);
bool is_json_content_type(std::string_view content_type);  // "application/json[; charset=…]", any case

}  // namespace cardcore::api
