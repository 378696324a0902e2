// ISO 8583 load generator for a running cardcore (loopback only).
//
// Opens --connections TCP connections to 127.0.0.1:--port and sends 0100 authorizations (or 0800
// echo tests) framed with the 2-byte length header, each with a unique STAN per connection and a
// unique RRN per run, on cards taken round-robin from --cards (lines "PAN YYMM"). Two modes:
//
//   closed loop (default): every connection keeps --window messages in flight and sends the next
//     one as soon as an answer arrives, for --seconds: the maximum rate the server sustains.
//   open loop (--rate N): N messages per second in all, spread evenly over the connections, sent
//     on schedule whatever the answers do; latency counts from the scheduled send time, so a
//     server that falls behind shows it (no coordinated omission).
//
// Answers are matched to requests by STAN (field 11), so they may come back in any order.
// Prints one line on stdout:
//   RESULT mode=closed mti=0100 connections=16 window=8 seconds=10.00 sent=... answered=...
//          rps=... p50_ms=... p90_ms=... p99_ms=... p999_ms=... max_ms=... codes=00:n,51:n
//          unanswered=... errors=...
// and a reason on stderr for every connection error. Exit status 0 when every message sent was
// answered (before --drain-seconds after the end) and no connection failed.
//
// One thread and non-blocking sockets with epoll: the generator shares the machine with the
// server, so it must cost as little CPU as it can.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "iso8583/codec.h"

namespace {

using Clock = std::chrono::steady_clock;
using cardcore::iso8583::Message;

struct Options {
  uint16_t port = 0;
  std::string cards_file;
  std::string mti = "0100";
  int connections = 16;
  int window = 8;
  double seconds = 10;
  double rate = 0;  // 0: closed loop
  double drain_seconds = 5;
  int64_t amount_paise = 100;
  std::string tag = "B0";  // first 2 characters of every RRN: distinguishes runs on one database
  bool timeline = false;  // also one TIMELINE line per second of send time
};

struct Card {
  std::string pan, expiry_yymm;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "iso_load: %s\n"
               "usage: iso_load --port P [--cards FILE] [--mti 0100|0800] [--connections N] [--window W]\n"
               "                [--seconds S] [--rate R] [--drain-seconds S] [--amount-paise A] [--tag XX] [--timeline]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--port") o.port = static_cast<uint16_t>(std::stoi(next()));
    else if (a == "--cards") o.cards_file = next();
    else if (a == "--mti") o.mti = next();
    else if (a == "--connections") o.connections = std::stoi(next());
    else if (a == "--window") o.window = std::stoi(next());
    else if (a == "--seconds") o.seconds = std::stod(next());
    else if (a == "--rate") o.rate = std::stod(next());
    else if (a == "--drain-seconds") o.drain_seconds = std::stod(next());
    else if (a == "--amount-paise") o.amount_paise = std::stoll(next());
    else if (a == "--tag") o.tag = next();
    else if (a == "--timeline") o.timeline = true;
    else usage(("unknown argument " + a).c_str());
  }
  if (o.port == 0) usage("--port is required");
  if (o.mti != "0100" && o.mti != "0800") usage("--mti must be 0100 or 0800");
  if (o.mti == "0100" && o.cards_file.empty()) usage("0100 needs --cards");
  if (o.connections < 1 || o.connections > 1000) usage("--connections must be 1..1000");
  if (o.window < 1 || o.window > 10000) usage("--window must be 1..10000");
  if (o.seconds <= 0 || o.seconds > 3600) usage("--seconds must be in (0, 3600]");
  if (o.tag.size() != 2) usage("--tag must be 2 characters");
  return o;
}

std::vector<Card> read_cards(const std::string& path) {
  std::vector<Card> out;
  std::ifstream in(path);
  for (Card c; in >> c.pan >> c.expiry_yymm;) out.push_back(c);
  return out;
}

std::string digits(uint64_t v, int width) {
  std::string s(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0 && v > 0; --i, v /= 10) s[static_cast<size_t>(i)] = static_cast<char>('0' + v % 10);
  return s;
}

struct Conn {
  int fd = -1;
  int index = 0;
  uint64_t next_seq = 0;    // messages sent on this connection
  std::string out;          // bytes not yet written
  std::string in;           // bytes read, not yet a whole frame
  std::unordered_map<std::string, Clock::time_point> pending;  // STAN -> (scheduled) send time
  bool failed = false;
};

class Generator {
 public:
  explicit Generator(Options o, std::vector<Card> cards) : o_(std::move(o)), cards_(std::move(cards)) {}

  int run() {
    epoll_ = epoll_create1(0);
    if (epoll_ < 0) return fatal("epoll_create1");
    conns_.resize(static_cast<size_t>(o_.connections));
    for (int i = 0; i < o_.connections; ++i) {
      if (!connect_one(conns_[static_cast<size_t>(i)], i)) return 1;
    }
    start_ = Clock::now();
    const auto end = start_ + to_duration(o_.seconds);
    const auto give_up = end + to_duration(o_.drain_seconds);
    if (o_.rate <= 0) {
      for (Conn& c : conns_)
        for (int w = 0; w < o_.window; ++w) queue_message(c, Clock::now());
    }
    const double interval_s = o_.rate > 0 ? 1.0 / o_.rate : 0;
    uint64_t scheduled = 0;
    std::vector<epoll_event> events(256);
    for (;;) {
      auto now = Clock::now();
      sending_ = now < end;
      if (o_.rate > 0 && sending_) {
        // Every message whose time has come, on the next connection in turn.
        while (true) {
          auto due = start_ + to_duration(interval_s * static_cast<double>(scheduled));
          if (due > now || due >= end) break;
          queue_message(conns_[scheduled % conns_.size()], due);
          ++scheduled;
        }
      }
      for (Conn& c : conns_) flush(c);
      if (!sending_ && outstanding() == 0) break;
      if (now >= give_up) break;
      int timeout_ms = 50;
      if (o_.rate > 0 && sending_) {
        auto due = start_ + to_duration(interval_s * static_cast<double>(scheduled));
        timeout_ms = static_cast<int>(std::clamp<int64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count(), 0, 50));
      }
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
      if (n < 0 && errno != EINTR) return fatal("epoll_wait");
      for (int k = 0; k < n; ++k) {
        Conn& c = conns_[events[static_cast<size_t>(k)].data.u32];
        if (events[static_cast<size_t>(k)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_answers(c);
        if (events[static_cast<size_t>(k)].events & EPOLLOUT) flush(c);
      }
    }
    const double elapsed = std::chrono::duration<double>(std::min(Clock::now(), end) - start_).count();
    return report(elapsed);
  }

 private:
  static Clock::duration to_duration(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }
  int fatal(const char* what) {
    std::fprintf(stderr, "iso_load: %s: %s\n", what, std::strerror(errno));
    return 1;
  }

  bool connect_one(Conn& c, int index) {
    c.index = index;
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (c.fd < 0) return fatal("socket") == 0;
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(o_.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return fatal("connect") == 0;
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u32 = static_cast<uint32_t>(index);
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) return fatal("epoll_ctl") == 0;
    return true;
  }

  size_t outstanding() const {
    size_t n = 0;
    for (const Conn& c : conns_)
      if (!c.failed) n += c.pending.size();
    return n;
  }

  void queue_message(Conn& c, Clock::time_point at) {
    if (c.failed) return;
    const uint64_t seq = c.next_seq++;
    std::string stan = digits(seq % 1'000'000, 6);
    if (c.pending.count(stan)) {  // a million in flight on one connection: never in practice
      ++errors_;
      return;
    }
    Message m;
    m.mti = o_.mti;
    m.fields[7] = "0101120000";
    m.fields[11] = stan;
    if (o_.mti == "0800") {
      m.fields[70] = "301";
    } else {
      const Card& card = cards_[card_turn_++ % cards_.size()];
      // RRN: tag (2) + connection (3) + sequence (7): unique within a run of < 10M per connection.
      const std::string rrn = o_.tag + digits(static_cast<uint64_t>(c.index), 3) + digits(seq % 10'000'000, 7);
      m.fields[2] = card.pan;
      m.fields[3] = "000000";
      m.fields[4] = digits(static_cast<uint64_t>(o_.amount_paise), 12);
      m.fields[14] = card.expiry_yymm;
      m.fields[18] = "5411";
      m.fields[19] = "356";
      m.fields[22] = "051";
      m.fields[25] = "00";
      m.fields[32] = "123456";
      m.fields[37] = rrn;
      m.fields[41] = "T" + digits(static_cast<uint64_t>(c.index), 7);
      m.fields[42] = "MERCHANT0000001";
      m.fields[43] = "Bench Store             Bengaluru    IN ";
      m.fields[49] = "356";
    }
    auto bytes = cardcore::iso8583::encode(m);
    if (!bytes) {
      std::fprintf(stderr, "iso_load: cannot encode: %s\n", bytes.error().message.c_str());
      ++errors_;
      return;
    }
    c.out += cardcore::iso8583::frame(*bytes);
    c.pending.emplace(std::move(stan), at);
    ++sent_;
  }

  void fail(Conn& c, const std::string& why) {
    if (c.failed) return;
    std::fprintf(stderr, "iso_load: connection %d: %s\n", c.index, why.c_str());
    c.failed = true;
    ++errors_;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
  }

  void flush(Conn& c) {
    while (!c.failed && !c.out.empty()) {
      ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        fail(c, std::string("send: ") + std::strerror(errno));
      }
    }
  }

  void read_answers(Conn& c) {
    char buf[65536];
    while (!c.failed) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) {
        if (!c.pending.empty()) fail(c, "closed by the server with answers outstanding");
        break;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) fail(c, std::string("recv: ") + std::strerror(errno));
      break;
    }
    const auto now = Clock::now();
    size_t at = 0;
    while (c.in.size() - at >= 2) {
      size_t len = cardcore::iso8583::frame_length(std::string_view(c.in).substr(at, 2));
      if (c.in.size() - at - 2 < len) break;
      auto m = cardcore::iso8583::decode(std::string_view(c.in).substr(at + 2, len));
      at += 2 + len;
      if (!m) {
        fail(c, "undecodable answer");
        return;
      }
      auto it = c.pending.find(m->get(11));
      if (it == c.pending.end()) {
        fail(c, "answer with an unknown STAN " + m->get(11));
        return;
      }
      latencies_us_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - it->second).count());
      if (o_.timeline) {
        const auto second = static_cast<size_t>(std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::seconds>(it->second - start_).count()));
        if (by_second_.size() <= second) by_second_.resize(second + 1);
        by_second_[second].push_back(latencies_us_.back());
      }
      c.pending.erase(it);
      ++codes_[m->get(39).empty() ? "--" : m->get(39)];
      if (o_.rate <= 0 && sending_) queue_message(c, Clock::now());
    }
    c.in.erase(0, at);
  }

  int report(double elapsed) {
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto pct = [&](double p) -> double {
      if (latencies_us_.empty()) return 0;
      size_t i = static_cast<size_t>(p * static_cast<double>(latencies_us_.size() - 1) + 0.5);
      return static_cast<double>(latencies_us_[i]) / 1000.0;
    };
    std::string codes;
    for (const auto& [code, n] : codes_) codes += (codes.empty() ? "" : ",") + code + ":" + std::to_string(n);
    const size_t answered = latencies_us_.size();
    const size_t unanswered = outstanding();
    std::printf("RESULT mode=%s mti=%s connections=%d window=%d rate=%.0f seconds=%.2f sent=%llu answered=%zu "
                "rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f codes=%s unanswered=%zu "
                "errors=%llu\n",
                o_.rate > 0 ? "open" : "closed", o_.mti.c_str(), o_.connections, o_.rate > 0 ? 0 : o_.window,
                o_.rate, elapsed, static_cast<unsigned long long>(sent_), answered,
                static_cast<double>(answered) / std::max(elapsed, 1e-9), pct(0.50), pct(0.90), pct(0.99),
                pct(0.999), latencies_us_.empty() ? 0.0 : static_cast<double>(latencies_us_.back()) / 1000.0,
                codes.empty() ? "-" : codes.c_str(), unanswered, static_cast<unsigned long long>(errors_));
    // Per second in which messages were sent: how many were answered, and their p99 and max.
    for (size_t i = 0; i < by_second_.size(); ++i) {
      std::vector<int64_t>& v = by_second_[i];
      std::sort(v.begin(), v.end());
      const double p99 = v.empty() ? 0.0 : static_cast<double>(v[static_cast<size_t>(0.99 * static_cast<double>(v.size() - 1) + 0.5)]) / 1000.0;
      std::printf("TIMELINE second=%zu answered=%zu p99_ms=%.2f max_ms=%.2f\n", i, v.size(), p99,
                  v.empty() ? 0.0 : static_cast<double>(v.back()) / 1000.0);
    }
    for (Conn& c : conns_)
      if (!c.failed) ::close(c.fd);
    return unanswered == 0 && errors_ == 0 ? 0 : 1;
  }

  Options o_;
  std::vector<Card> cards_;
  std::vector<Conn> conns_;
  int epoll_ = -1;
  Clock::time_point start_;
  bool sending_ = true;
  uint64_t sent_ = 0, errors_ = 0;
  size_t card_turn_ = 0;
  std::vector<int64_t> latencies_us_;
  std::vector<std::vector<int64_t>> by_second_;  // --timeline: latencies by second of send time
  std::map<std::string, uint64_t> codes_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<Card> cards;
  if (o.mti == "0100") {
    cards = read_cards(o.cards_file);
    if (cards.empty()) usage("no cards in --cards (lines: PAN YYMM)");
  }
  return Generator(std::move(o), std::move(cards)).run();
}
