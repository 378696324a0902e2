// A deadline for the units of work the current thread starts. A unit that could not start by
// then, because it was still waiting for a database connection (PostgreSQL) or for its place
// in a group commit (SQLite), is refused with code::kUnavailable and changes nothing.
//
// The ISO 8583 server sets one per message: its decision budget, counted from when the message
// was read. The budget is checked when a worker takes the message up; this carries it past that
// check, through the waits that come after, so that under overload the message is answered 91
// in time rather than decided after the network has given up. Unset: a unit waits as long as
// the store's own limits allow.
#pragma once

#include <chrono>
#include <optional>

namespace cardcore::deadline {

using Clock = std::chrono::steady_clock;

namespace detail {
inline thread_local std::optional<Clock::time_point> current;
}

// The current thread's deadline, if one is set.
inline std::optional<Clock::time_point> current() { return detail::current; }

// Sets the current thread's deadline for its lifetime and restores the one before.
class Scope {
 public:
  explicit Scope(Clock::time_point by) : before_(detail::current) { detail::current = by; }
  ~Scope() { detail::current = before_; }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  std::optional<Clock::time_point> before_;
};

}  // namespace cardcore::deadline
