// A minimal outbound HTTP(S) POST client for notify/ (SMS gateway, partner webhooks): one request
// per connection, a hard deadline over name resolution + connect + TLS + write + read, peer
// certificate and host name verified for https:// (system CA store, SNI for host names).
//
// Invariant: no Error produced here ever contains the request body or a header value, so callers
// may put these messages into logs and the store (bodies carry OTPs and card events).
// The header is free of Boost on purpose; Beast stays an implementation detail of the .cc.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/error.h"

namespace cardcore {

// A parsed http:// or https:// URL, ready to connect to.
struct HttpTarget {
  bool tls = false;
  std::string host;         // without IPv6 brackets: what is resolved and verified
  std::string port;         // digits, "80"/"443" when the URL has none
  std::string host_header;  // as the Host header carries it (the URL's authority)
  std::string target;       // path and query, starting with '/'
};

// Accepts http[s]://host[:port][/path][?query]. Refuses userinfo (credentials travel in headers),
// fragments, control characters and spaces (nothing may split the request line or a header), a
// port outside 1..65535, and unbracketed IPv6. Errors are code::kInvalidParameter, field "url".
Result<HttpTarget> parse_http_url(std::string_view url);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

inline constexpr int kMaxHttpTimeoutMs = 60'000;
inline constexpr size_t kMaxHttpHeaders = 32;

// POSTs `body` to `to` and returns the answer's status, whatever it is (the caller decides what
// counts as success); the answer's body is read (up to 64 KiB) and discarded. Host,
// Content-Length and "Connection: close" are set here; every other header comes from `headers`
// (names must be tokens, values free of control characters; at most kMaxHttpHeaders).
// `timeout_ms` (1..kMaxHttpTimeoutMs) bounds the whole exchange. Transport failures are
// code::kUpstreamFailure and messages such as "connect failed: Connection refused",
// "TLS handshake failed: ...", "timed out after 300 ms". Synchronous and thread-safe: each call
// runs on its own io_context, so calls may run concurrently from several threads.
Result<int> http_post(const HttpTarget& to, const HttpHeaders& headers, const std::string& body,
                      int timeout_ms);

}  // namespace cardcore
