// Asia/Kolkata is a fixed UTC+05:30 (no daylight saving since 1945), so a constant offset and
// the std::chrono civil calendar (days_from_civil and its inverse) are all that is needed.
#include "domain/clock.h"

#include <chrono>
#include <cstdio>

namespace cardcore::clock {
namespace {

namespace chr = std::chrono;

// Local (IST) days and seconds-of-day of an instant; floor division, so pre-1970 works too.
struct LocalTime { chr::year_month_day ymd; int64_t second_of_day; };

LocalTime to_ist(int64_t unix_seconds) {
  const chr::sys_seconds local{chr::seconds{unix_seconds + kIstOffsetSeconds}};
  const auto day = chr::floor<chr::days>(local);
  return {chr::year_month_day{day}, (local - day).count()};
}

}  // namespace

std::string format_ist(int64_t unix_seconds) {
  const LocalTime t = to_ist(unix_seconds);
  const int64_t s = t.second_of_day;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+05:30", static_cast<int>(t.ymd.year()),
                static_cast<unsigned>(t.ymd.month()), static_cast<unsigned>(t.ymd.day()),
                static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  return buf;
}

Date ist_date(int64_t unix_seconds) {
  const chr::year_month_day ymd = to_ist(unix_seconds).ymd;
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

int64_t ist_midnight(Date d) {
  const chr::sys_days day{chr::year{d.year} / chr::month{static_cast<unsigned>(d.month)} /
                          chr::day{static_cast<unsigned>(d.day)}};
  return chr::sys_seconds{day}.time_since_epoch().count() - kIstOffsetSeconds;
}

int64_t ist_day_start(int64_t unix_seconds) { return ist_midnight(ist_date(unix_seconds)); }

int64_t ist_month_start(int64_t unix_seconds) {
  const Date d = ist_date(unix_seconds);
  return ist_midnight({d.year, d.month, 1});
}

int64_t ist_year_start(int64_t unix_seconds) { return ist_midnight({ist_date(unix_seconds).year, 1, 1}); }

bool valid_ddmmyyyy(std::string_view text) {
  if (text.size() != 10 || text[2] != '-' || text[5] != '-') return false;
  auto number = [&](size_t pos, size_t len, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int day = 0, month = 0, year = 0;
  if (!number(0, 2, day) || !number(3, 2, month) || !number(6, 4, year)) return false;
  if (year < 1900 || year > 2100) return false;
  return chr::year_month_day{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                             chr::day{static_cast<unsigned>(day)}}.ok();
}

std::optional<int64_t> parse_iso8601(std::string_view t) {
  auto digits = [&](size_t pos, size_t len, int& out) {
    if (pos + len > t.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  if (!t.empty() && t.size() <= 12 && t.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t v = 0;
    for (char c : t) v = v * 10 + (c - '0');
    return v;
  }
  int y = 0, mo = 0, d = 0;
  if (t.size() < 10 || !digits(0, 4, y) || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d)) {
    return std::nullopt;
  }
  if (y < 1900 || y > 2100) return std::nullopt;
  chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(mo)}, chr::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  if (t.size() == 10) return ist_midnight({y, mo, d});
  int h = 0, mi = 0, sec = 0;
  if (t[10] != 'T' && t[10] != ' ') return std::nullopt;
  if (!digits(11, 2, h) || t.size() < 16 || t[13] != ':' || !digits(14, 2, mi)) return std::nullopt;
  size_t pos = 16;
  if (pos < t.size() && t[pos] == ':') {
    if (!digits(pos + 1, 2, sec)) return std::nullopt;
    pos += 3;
    if (pos < t.size() && t[pos] == '.') {
      ++pos;
      size_t start = pos;
      while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
      if (pos == start || pos - start > 9) return std::nullopt;
    }
  }
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  int64_t local = chr::sys_seconds{chr::sys_days{ymd}}.time_since_epoch().count() + h * 3600 + mi * 60 + sec;
  if (pos == t.size()) return local - kIstOffsetSeconds;  // no offset: Asia/Kolkata
  if (t[pos] == 'Z' && pos + 1 == t.size()) return local;
  if ((t[pos] == '+' || t[pos] == '-') && t.size() == pos + 6 && t[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (!digits(pos + 1, 2, oh) || !digits(pos + 4, 2, om) || oh > 14 || om > 59) return std::nullopt;
    int64_t offset = oh * 3600 + om * 60;
    return t[pos] == '+' ? local - offset : local + offset;
  }
  return std::nullopt;
}

}  // namespace cardcore::clock
