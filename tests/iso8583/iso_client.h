// A minimal blocking ISO 8583 client for tests: POSIX TCP socket, receive timeout, the 2-byte
// length framing and the codec under test.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <string_view>

#include "iso8583/codec.h"

namespace isotest {

using cardcore::iso8583::Message;

class Conn {
 public:
  explicit Conn(uint16_t port, int timeout_seconds = 20) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval tv{timeout_seconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool ok() const { return fd_ >= 0; }

  bool send_bytes(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool send(const Message& m) {
    auto bytes = cardcore::iso8583::encode(m);
    return bytes && send_bytes(cardcore::iso8583::frame(*bytes));
  }
  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

  // nullopt on end of stream, error or timeout.
  std::optional<std::string> read_exact(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return out;
  }
  std::optional<Message> receive() {
    auto header = read_exact(2);
    if (!header) return std::nullopt;
    auto body = read_exact(cardcore::iso8583::frame_length(*header));
    if (!body) return std::nullopt;
    auto m = cardcore::iso8583::decode(*body);
    if (!m) return std::nullopt;
    return *m;
  }
  // True when the server closed the connection (end of stream or reset) within the timeout.
  bool closed_by_peer() {
    char c;
    ssize_t r = ::recv(fd_, &c, 1, 0);
    return r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE));
  }

 private:
  int fd_ = -1;
};

}  // namespace isotest
