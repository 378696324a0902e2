#include "api/oauth.h"

#include <map>
#include <optional>

#include "api/envelope.h"
#include "security/crypto.h"
#include "service/auth.h"

namespace cardcore::api {
namespace {

std::string url_decode(std::string_view s, bool& ok) {
  std::string out;
  ok = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        ok = false;
        return {};
      }
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= body.size() && !body.empty()) {
    size_t amp = body.find('&', pos);
    std::string_view pair = body.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      bool ok1 = true, ok2 = true;
      std::string k = url_decode(pair.substr(0, eq), ok1);
      std::string v = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1), ok2);
      if (!ok1 || !ok2) return std::nullopt;
      out[k] = v;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

}  // namespace

http::Response token_endpoint(const Context& ctx, const http::Request& req) {
  if (req.method != "POST") return oauth_error(Error{code::kMethodNotAllowed, "method: use POST", "method"});
  std::string client_id, client_secret;
  std::string_view authz = req.header("authorization");
  if (authz.size() > 6 && (authz.substr(0, 6) == "Basic " || authz.substr(0, 6) == "basic ")) {
    auto decoded = crypto::base64_decode(trim(authz.substr(6)));
    if (decoded) {
      size_t colon = decoded->find(':');
      if (colon != std::string::npos) {
        client_id = decoded->substr(0, colon);
        client_secret = decoded->substr(colon + 1);
      }
    }
  }
  // Form fields may also come in the query string (Spring accepts both).
  std::string_view query = req.target.find('?') == std::string::npos
                               ? std::string_view()
                               : std::string_view(req.target).substr(req.target.find('?') + 1);
  auto form = parse_form(req.body);
  auto qform = parse_form(query);
  if (!form || !qform) return oauth_error(Error{code::kInvalidTokenRequest, "body: malformed form encoding", "body"});
  for (auto& [k, v] : *qform) form->emplace(k, v);
  auto field = [&](const char* k) { auto it = form->find(k); return it == form->end() ? std::string() : it->second; };
  std::string grant = field("grant_type");
  Result<auth::TokenGrant> granted;
  if (grant == "password") {
    granted = auth::password_grant(ctx, {client_id, client_secret, field("username"), field("password"), field("clientId")});
  } else if (grant == "refresh_token") {
    granted = auth::refresh_grant(ctx, client_id, client_secret, field("refresh_token"));
  } else if (grant.empty()) {
    return oauth_error(Error{code::kInvalidTokenRequest, "grant_type: missing", "grant_type"});
  } else {
    return oauth_error(Error{code::kUnsupportedGrantType, "grant_type: must be password or refresh_token", "grant_type"});
  }
  if (!granted) return oauth_error(granted.error());
  http::Response r = json_response(200, {{"access_token", granted->access_token},
                                         {"token_type", "bearer"},
                                         {"refresh_token", granted->refresh_token},
                                         {"expires_in", granted->expires_in_seconds},
                                         {"scope", "read write trust"}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace cardcore::api
