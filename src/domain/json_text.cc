#include "domain/json_text.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace cardcore::json_text {

namespace {

// Whether `ch` is written as an escape (or, at 0x80 and above, checked as UTF-8 by nlohmann).
bool special(unsigned char ch) { return ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x80; }

void append_quoted(std::string& out, std::string_view s) {
  size_t plain = 0;
  while (plain < s.size() && !special(static_cast<unsigned char>(s[plain]))) ++plain;
  out += '"';
  out.append(s.data(), plain);  // most strings are plain ASCII: copied in one piece
  if (plain < s.size()) {
    for (size_t i = plain; i < s.size(); ++i) {
      if (static_cast<unsigned char>(s[i]) >= 0x80) {
        out.resize(out.size() - plain - 1);
        out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = plain; i < s.size(); ++i) {
      const unsigned char ch = static_cast<unsigned char>(s[i]);
      switch (ch) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (ch < 0x20) {
            out += "\\u00";
            out += kHex[ch >> 4];
            out += kHex[ch & 0xF];
          } else {
            out += static_cast<char>(ch);
          }
      }
    }
  }
  out += '"';
}

}  // namespace

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_quoted(out, s);
  return out;
}

std::string object(std::vector<std::pair<std::string_view, std::string>> members) {
  auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(members.begin(), members.end(), by_key)) std::sort(members.begin(), members.end(), by_key);
  size_t size = 2;
  for (const auto& [key, value] : members) size += key.size() + value.size() + 4;
  std::string out;
  out.reserve(size);
  out += '{';
  for (const auto& [key, value] : members) {
    if (out.size() > 1) out += ',';
    append_quoted(out, key);
    out += ':';
    out += value;
  }
  out += '}';
  return out;
}

}  // namespace cardcore::json_text
