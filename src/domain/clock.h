// Time as the contract shows it: ISO 8601 in Asia/Kolkata (UTC+05:30, no daylight saving), and
// the dd-MM-yyyy dates EnKash uses. Pure functions of unix seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cardcore::clock {

inline constexpr int64_t kIstOffsetSeconds = 5 * 3600 + 30 * 60;

// 1764067449 -> "2025-11-25T16:14:09+05:30"
std::string format_ist(int64_t unix_seconds);

// Calendar date in Asia/Kolkata of an instant.
struct Date { int year; int month; int day; };
Date ist_date(int64_t unix_seconds);

// Unix seconds at 00:00 Asia/Kolkata of the given calendar date (proleptic Gregorian).
int64_t ist_midnight(Date d);

// The first second (unix) of the Asia/Kolkata day, calendar month and calendar year that hold
// an instant: the windows usage and loads are counted in.
int64_t ist_day_start(int64_t unix_seconds);
int64_t ist_month_start(int64_t unix_seconds);
int64_t ist_year_start(int64_t unix_seconds);

// "2025-01-24T08:47:01.505Z", "2025-01-24T14:17:01+05:30", "2025-01-24T14:17:01" (read as IST),
// "2025-01-24" (00:00 IST) or plain unix seconds -> unix seconds (fractions dropped).
std::optional<int64_t> parse_iso8601(std::string_view text);

// True for a real calendar date written dd-MM-yyyy, years 1900..2100.
bool valid_ddmmyyyy(std::string_view text);

}  // namespace cardcore::clock
