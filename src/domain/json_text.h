// JSON text written straight to a string, for what is written on every request or message: the
// card of Get Card Details, the transaction object every webhook event of a transaction carries,
// the access log line. nlohmann::json builds a tree first (a map node and strings per member)
// and checks every byte of every string as UTF-8 while writing it; for Get Card Details that was
// about a third of the server's instructions per request (callgrind, bench/instructions.sh).
//
// The text is byte for byte what nlohmann::json::dump(-1, ' ', false, replace) writes for the
// same values, so the two can be mixed and compared (tests/unit/service_views_test.cc).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cardcore::json_text {

// `s` as a JSON string, quoted and escaped as nlohmann::json writes it; bytes that are not
// UTF-8 become U+FFFD, as in every answer the server writes.
std::string quote(std::string_view s);

// A JSON object from members whose values are already JSON text, keys sorted as nlohmann::json
// sorts them.
std::string object(std::vector<std::pair<std::string_view, std::string>> members);

}  // namespace cardcore::json_text
