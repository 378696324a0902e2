// Baseline: how many durable syncs per second does this disk give one thread?
//
// SQLite runs with synchronous=FULL in WAL mode, so every COMMIT that wrote something ends with a
// sync of the WAL file; single-unit write throughput can never exceed this number (docs/decisions.md,
// Durability: several units per sync is the only way past it). Three patterns, each bounded by a time budget
// and an iteration cap:
//   overwrite+fdatasync  rewrite the same 4 KiB block, fdatasync (no metadata change)
//   overwrite+fsync      same, fsync
//   append+fdatasync     append 4 KiB then fdatasync (file size changes: metadata is synced too),
//                        the WAL's pattern until it is checkpointed and reused
//
// Usage: fsync_bench [--dir DIR (default /tmp)] [--seconds 2] [--max-ops 100000]
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "fsync_bench: %s (%s)\n", msg.c_str(), std::strerror(errno));
  std::exit(2);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

void run(const char* name, const std::string& dir, bool append, bool full_fsync, double seconds, long max_ops) {
  std::string path = dir + "/fsync-bench-XXXXXX";
  std::vector<char> tmpl(path.begin(), path.end());
  tmpl.push_back('\0');
  int fd = mkstemp(tmpl.data());
  if (fd < 0) die("mkstemp in " + dir);
  ::unlink(tmpl.data());  // the file lives until close
  char block[4096];
  std::memset(block, 'x', sizeof block);
  std::vector<double> us;
  us.reserve(static_cast<size_t>(std::min<long>(max_ops, 200000)));
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  long ops = 0;
  for (; ops < max_ops; ++ops) {
    auto t0 = Clock::now();
    off_t at = append ? static_cast<off_t>(ops) * 4096 : 0;
    if (::pwrite(fd, block, sizeof block, at) != static_cast<ssize_t>(sizeof block)) die("pwrite");
    if ((full_fsync ? ::fsync(fd) : ::fdatasync(fd)) != 0) die("sync");
    auto t1 = Clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    if (t1 > end) {
      ++ops;
      break;
    }
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::printf("| %s | %ld | %.2f | %.0f | %.0f | %.0f | %.0f |\n", name, ops, secs, static_cast<double>(ops) / secs,
              percentile(us, 50), percentile(us, 99), percentile(us, 100));
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp";
  double seconds = 2;
  long max_ops = 100000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) die("usage: fsync_bench [--dir DIR] [--seconds S] [--max-ops N]");
    if (a == "--dir") dir = argv[++i];
    else if (a == "--seconds") seconds = std::stod(argv[++i]);
    else if (a == "--max-ops") max_ops = std::stol(argv[++i]);
    else die("unknown argument " + a);
  }
  if (seconds <= 0 || seconds > 60 || max_ops < 1) die("--seconds must be in (0, 60], --max-ops >= 1");
  std::printf("| pattern (4 KiB, one thread) | ops | seconds | ops/s | p50 µs | p99 µs | max µs |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  run("overwrite + fdatasync", dir, false, false, seconds, max_ops);
  run("overwrite + fsync", dir, false, true, seconds, max_ops);
  run("append + fdatasync", dir, true, false, seconds, max_ops);
  return 0;
}
