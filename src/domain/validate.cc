// Hand-written equivalents of simple regular expressions: std::regex is slow and recursive
// (stack use grows with input), and these patterns are a few lines each as loops.
#include "domain/validate.h"

#include <algorithm>

namespace cardcore::validate {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }

}  // namespace

bool digits(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), is_digit);
}

// ^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$ : the domain must hold a last '.' that is
// not its first character and is followed only by 2+ letters (any earlier '.' would leave a
// '.' in the [a-zA-Z]{2,} tail, so the regex can only match at the last one).
bool email(std::string_view s) {
  if (s.size() > 254) return false;
  const size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  const bool local_ok = std::all_of(local.begin(), local.end(), [](char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
  });
  const size_t dot = domain.rfind('.');
  if (!local_ok || dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) {
    return false;
  }
  const std::string_view head = domain.substr(0, dot), tld = domain.substr(dot + 1);
  return std::all_of(head.begin(), head.end(), [](char c) { return is_alnum(c) || c == '.' || c == '-'; }) &&
         std::all_of(tld.begin(), tld.end(), is_alpha);
}

bool mobile(std::string_view s) { return digits(s, 10); }
bool pincode(std::string_view s) { return digits(s, 6) && s[0] != '0'; }
bool pin4(std::string_view s) { return digits(s, 4); }
bool otp6(std::string_view s) { return digits(s, 6); }

// Control characters: C0 (< 0x20), DEL, and C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F). Other
// bytes >= 0x80 pass, so names in Indian scripts are printable.
bool printable(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9f &&
        static_cast<unsigned char>(s[i + 1]) >= 0x80) {
      return false;
    }
  }
  return true;
}

}  // namespace cardcore::validate
