#include "http/json_body.h"

#include "domain/money.h"

namespace cardcore::http {

Result<JsonBody> JsonBody::parse(std::string_view text) {
  bool too_deep = false;
  auto guard = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start ||
         event == nlohmann::json::parse_event_t::array_start) && depth > kMaxDepth) {
      too_deep = true;
      // Returning false discards the element; a thrown error stops the parse early instead.
      throw std::runtime_error("too deep");
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end(), guard, /*allow_exceptions=*/true);
  } catch (const std::exception& e) {
    if (too_deep) {
      return fail(code::kMalformedRequest,
                  "body: JSON nested deeper than " + std::to_string(kMaxDepth) + " levels", "body");
    }
    return fail(code::kMalformedRequest, "body: malformed JSON", "body");
  }
  if (!j.is_object()) return fail(code::kMalformedRequest, "body: must be a JSON object", "body");
  return JsonBody(std::move(j));
}

const nlohmann::json* JsonBody::find(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool JsonBody::has(std::string_view key) const { return find(key) != nullptr; }

Result<std::string> JsonBody::str(std::string_view key, size_t max_len, bool allow_number) const {
  const nlohmann::json* v = find(key);
  std::string k(key);
  if (!v) return std::string();
  std::string out;
  if (v->is_string()) {
    out = v->get<std::string>();
  } else if (allow_number && (v->is_number_unsigned() || v->is_number_integer())) {
    out = v->dump();
  } else {
    return invalid_param(k, "must be a string");
  }
  if (out.size() > max_len) return invalid_param(k, "longer than " + std::to_string(max_len) + " characters");
  return out;
}

Result<std::optional<bool>> JsonBody::boolean(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return invalid_param(std::string(key), "must be true or false");
}

Result<std::optional<int64_t>> JsonBody::amount_paise(std::string_view key) const {
  const nlohmann::json* v = find(key);
  std::string k(key);
  if (!v) return std::nullopt;
  if (v->is_string()) {
    CC_ASSIGN_OR_RETURN(int64_t paise, money::parse_rupees_text(v->get_ref<const std::string&>(), k));
    return paise;
  }
  if (v->is_number_integer() || v->is_number_unsigned()) {
    // Integers go through the exact text path, so huge values are refused without overflow.
    CC_ASSIGN_OR_RETURN(int64_t paise, money::parse_rupees_text(v->dump(), k));
    return paise;
  }
  if (v->is_number_float()) {
    CC_ASSIGN_OR_RETURN(int64_t paise, money::rupees_double_to_paise(v->get<double>(), k));
    return paise;
  }
  return invalid_param(k, "must be an amount in rupees (number or numeric string)");
}

Result<std::optional<int64_t>> JsonBody::count(std::string_view key) const {
  const nlohmann::json* v = find(key);
  std::string k(key);
  if (!v) return std::nullopt;
  std::string text;
  if (v->is_number_unsigned() || v->is_number_integer()) text = v->dump();
  else if (v->is_string()) text = v->get<std::string>();
  else return invalid_param(k, "must be a whole number");
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos) {
    return invalid_param(k, "must be a whole number from 0 to 999999999999");
  }
  return std::stoll(text);
}

Result<JsonBody::Tri> JsonBody::amount_tri(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end()) return Tri{};
  if (it->is_null()) return Tri{std::optional<int64_t>{}};
  CC_ASSIGN_OR_RETURN(std::optional<int64_t> v, amount_paise(key));
  if (*v < 0) return invalid_param(std::string(key), "must not be negative");
  return Tri{v};
}

Result<JsonBody::Tri> JsonBody::count_tri(std::string_view key) const {
  auto it = j_.find(key);
  if (it == j_.end()) return Tri{};
  if (it->is_null()) return Tri{std::optional<int64_t>{}};
  CC_ASSIGN_OR_RETURN(std::optional<int64_t> v, count(key));
  return Tri{v};
}

Result<std::vector<std::string>> JsonBody::str_list(std::string_view key, size_t max_items, size_t max_len) const {
  const nlohmann::json* v = find(key);
  std::string k(key);
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > max_items) return invalid_param(k, "at most " + std::to_string(max_items) + " items");
    for (const auto& item : *v) {
      if (!item.is_string()) return invalid_param(k, "must be an array of strings");
      out.push_back(item.get<std::string>());
    }
  } else {
    return invalid_param(k, "must be an array of strings or a string");
  }
  for (const auto& s : out) {
    if (s.empty() || s.size() > max_len) return invalid_param(k, "items must be 1.." + std::to_string(max_len) + " characters");
  }
  return out;
}

Result<std::vector<JsonBody>> JsonBody::objects(std::string_view key, size_t max_items) const {
  const nlohmann::json* v = find(key);
  std::string k(key);
  std::vector<JsonBody> out;
  if (!v) return out;
  if (!v->is_array()) return invalid_param(k, "must be an array of objects");
  if (v->size() > max_items) return invalid_param(k, "at most " + std::to_string(max_items) + " items");
  for (const auto& item : *v) {
    if (!item.is_object()) return invalid_param(k, "must be an array of objects");
    out.emplace_back(item);
  }
  return out;
}

}  // namespace cardcore::http
