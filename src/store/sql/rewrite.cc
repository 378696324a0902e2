#include "store/sql/seam.h"

namespace cardcore::sql {

std::string rewrite(std::string_view in, const Dialect& d) {
  struct Marker {
    std::string_view name;
    std::string_view value;
  };
  const Marker markers[] = {{"{FOR UPDATE}", d.for_update},
                            {"{SKIP LOCKED}", d.skip_locked},
                            {"{seq}", d.insertion_seq},
                            {"{+}", d.no_index}};
  std::string out;
  out.reserve(in.size() + 16);
  bool quoted = false;
  for (size_t i = 0; i < in.size();) {
    char ch = in[i];
    if (ch == '\'') {
      quoted = !quoted;
      out.push_back(ch);
      ++i;
      continue;
    }
    if (!quoted && ch == '?') {
      out.push_back(d.placeholder);
      ++i;
      continue;
    }
    if (!quoted && ch == '{') {
      bool replaced = false;
      for (const Marker& m : markers) {
        if (in.substr(i, m.name.size()) == m.name) {
          out.append(m.value);
          i += m.name.size();
          replaced = true;
          break;
        }
      }
      if (replaced) continue;
    }
    out.push_back(ch);
    ++i;
  }
  return out;
}

}  // namespace cardcore::sql
