#include "api/payload_encryption.h"

#include <nlohmann/json.hpp>

#include "security/payload_crypto.h"

namespace cardcore::api {

Result<DecodedBody> decode_body(const Context& ctx, const PartnerRow& partner, const std::string& body) {
  if (partner.encryption != "aes128ecb") return DecodedBody{body, std::nullopt};
  // Encrypted partners may still send plain JSON; {"request": "<b64>"} alone means ciphertext.
  auto probe = nlohmann::json::parse(body, nullptr, false);
  if (probe.is_discarded() || !probe.is_object() || probe.size() != 1 || !probe.contains("request") ||
      !probe["request"].is_string()) {
    return DecodedBody{body, std::nullopt};
  }
  CC_ASSIGN_OR_RETURN(std::string key, ctx.vault.open(partner.payload_key, partner.partner_id));
  auto plain = payload_crypto::decrypt_from_base64(key, probe["request"].get<std::string>());
  if (!plain) return fail(code::kInvalidParameter, "Invalid encrypted request", "request");
  return DecodedBody{*plain, key};
}

http::Response encrypt_response(http::Response r, const std::string& key) {
  r.body = nlohmann::json{{"request", payload_crypto::encrypt_to_base64(key, r.body)}}.dump();
  return r;
}

}  // namespace cardcore::api
