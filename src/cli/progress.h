// Progress of long command-line work (migrate-data, ledger verify, backup, the benchmarks' scale
// generator) on standard error: a bar, the percentage, the count and the rate, redrawn at most
// ten times a second, and only when standard error is a terminal: in a pipe or a log it stays
// quiet. Hand-written: Debian packages no C++ progress-bar library, and this is forty lines.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cardcore::cli {

class Progress {
 public:
  // `total` 0 when unknown (then no bar, only the count and the rate).
  Progress(std::string label, uint64_t total, std::string unit = "rows")
      : label_(std::move(label)), unit_(std::move(unit)), total_(total), on_tty_(::isatty(STDERR_FILENO) == 1),
        started_(std::chrono::steady_clock::now()) {}
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void set_total(uint64_t total) { total_ = total; }
  // `done` so far (monotonic).
  void update(uint64_t done) {
    done_ = done;
    if (!on_tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done_ != total_) return;
    last_draw_ = now;
    drawn_ = true;
    draw(now);
  }
  void add(uint64_t n) { update(done_ + n); }
  // Ends the line (once).
  void finish() {
    if (!on_tty_ || finished_) return;
    finished_ = true;
    if (drawn_) {
      draw(std::chrono::steady_clock::now());
      std::fputc('\n', stderr);
    }
  }

 private:
  void draw(std::chrono::steady_clock::time_point now) const {
    const double seconds = std::chrono::duration<double>(now - started_).count();
    const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
    if (total_ > 0) {
      const double frac = done_ >= total_ ? 1.0 : static_cast<double>(done_) / static_cast<double>(total_);
      constexpr int kWidth = 30;
      std::string bar(static_cast<size_t>(frac * kWidth), '#');
      bar.resize(kWidth, '.');
      std::fprintf(stderr, "\r%s [%s] %5.1f%% %llu/%llu %s, %.0f/s ", label_.c_str(), bar.c_str(), frac * 100,
                   static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_), unit_.c_str(),
                   rate);
    } else {
      std::fprintf(stderr, "\r%s %llu %s, %.0f/s ", label_.c_str(), static_cast<unsigned long long>(done_),
                   unit_.c_str(), rate);
    }
    std::fflush(stderr);
  }

  std::string label_, unit_;
  uint64_t total_ = 0, done_ = 0;
  bool on_tty_;
  bool drawn_ = false, finished_ = false;
  std::chrono::steady_clock::time_point started_, last_draw_{};
};

}  // namespace cardcore::cli
