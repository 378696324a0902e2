// Field validation rules shared by every transport. Each returns true when the text is valid.
#pragma once

#include <string_view>

namespace cardcore::validate {

bool digits(std::string_view s, size_t n);  // exactly n ASCII digits
bool email(std::string_view s);          // EnKash's ^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$, <= 254
bool mobile(std::string_view s);         // exactly 10 digits
bool pincode(std::string_view s);        // exactly 6 digits, first not 0
bool pin4(std::string_view s);           // exactly 4 digits
bool otp6(std::string_view s);           // exactly 6 digits
bool printable(std::string_view s, size_t max_len);  // 1..max_len bytes, no control characters

}  // namespace cardcore::validate
