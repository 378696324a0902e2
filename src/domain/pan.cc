// Luhn (ISO/IEC 7812-1 annex B): from the rightmost digit, every second digit is doubled and
// its digits summed; the total of a valid number is a multiple of 10.
#include "domain/pan.h"

#include <algorithm>
#include <cassert>

namespace cardcore::pan {
namespace {

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Luhn sum of `digits`, doubling the rightmost digit when `double_rightmost` (i.e. when a check
// digit is still to be appended).
int luhn_sum(std::string_view digits, bool double_rightmost) {
  int sum = 0;
  bool twice = double_rightmost;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, twice = !twice) {
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum;
}

}  // namespace

char luhn_check_digit(std::string_view digits_without_check) {
  assert(all_digits(digits_without_check));
  return static_cast<char>('0' + (10 - luhn_sum(digits_without_check, true) % 10) % 10);
}

bool luhn_valid(std::string_view pan) {
  return pan.size() >= 12 && pan.size() <= 19 && all_digits(pan) && luhn_sum(pan, false) % 10 == 0;
}

bool valid_bin(std::string_view bin) {
  return bin.size() >= 6 && bin.size() <= 8 && all_digits(bin);
}

std::string compose(std::string_view bin, std::string_view body) {
  assert(valid_bin(bin) && body.size() + bin.size() == kPanLength - 1 && all_digits(body));
  std::string pan;
  pan.reserve(kPanLength);
  pan.append(bin).append(body);
  pan += luhn_check_digit(pan);
  return pan;
}

std::string mask(std::string_view pan) {
  return "XXXX XXXX XXXX " + std::string(pan.substr(pan.size() - std::min<size_t>(4, pan.size())));
}

}  // namespace cardcore::pan
