// Primary account numbers (card numbers): Luhn check digits, composition from a BIN, masking.
// Pure functions; the random body digits come from the caller (security/random).
#pragma once

#include <string>
#include <string_view>

namespace cardcore::pan {

inline constexpr size_t kPanLength = 16;

// Check digit that makes `digits_without_check` + digit pass Luhn. Precondition: all digits.
char luhn_check_digit(std::string_view digits_without_check);

// True when `pan` is 12..19 decimal digits and passes the Luhn check.
bool luhn_valid(std::string_view pan);

// True when `bin` is 6..8 decimal digits.
bool valid_bin(std::string_view bin);

// bin + body digits + Luhn check digit, 16 digits in all. Precondition: valid_bin(bin) and
// body.size() == 15 - bin.size(), all digits.
std::string compose(std::string_view bin, std::string_view body);

// "XXXX XXXX XXXX 1234" (the last four shown, nothing else).
std::string mask(std::string_view pan);

}  // namespace cardcore::pan
