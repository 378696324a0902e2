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

}  // namespace cardcore::clock
