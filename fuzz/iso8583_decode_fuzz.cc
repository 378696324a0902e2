// libFuzzer target for the ISO 8583 decoder (src/iso8583/codec.cc): any byte string must be
// either refused or decoded into a message that re-encodes and decodes back to itself; the
// helpers the server calls on undecodable frames must not misbehave either. Built with clang
// (-fsanitize=fuzzer,address,undefined) by tests/iso8583/tests.cmake; CTest runs it for 20 s on
// the seed corpus fuzz/corpus/iso8583_decode (valid messages of every MTI the server speaks).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "iso8583/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace iso = cardcore::iso8583;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)iso::readable_request_mti(bytes);
  if (size >= 2) (void)iso::frame_length(bytes);
  auto m = iso::decode(bytes);
  if (!m) return 0;
  auto again = iso::encode(*m);
  if (!again) std::abort();  // decode accepted what encode refuses
  auto back = iso::decode(*again);
  if (!back || !(*back == *m)) std::abort();  // not a round trip
  (void)iso::response_mti(m->mti);
  return 0;
}
