// AES-256-GCM sealing with a key ring. Error messages name the entry number and what is wrong,
// never the text of the entry: a malformed entry may be mostly key material.
#include "security/vault.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "security/crypto.h"

namespace cardcore {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kMaxKeyIdChars = 32;
constexpr size_t kMaxKeyFileBytes = 64 * 1024;  // thousands of keys; anything larger is not ours
constexpr size_t kMaxPlaintextBytes = 1 << 20;  // the vault holds PANs and secrets, not files

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "cardcore: fatal: vault: %s\n", what);
  std::abort();
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) die("EVP_CIPHER_CTX_new failed");
  return ctx;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string_view trim(std::string_view s) {
  const char* space = " \t\r\n";
  const size_t begin = s.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdChars) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::unexpected<Error> key_text_error(int entry, const char* what) {
  return internal_error("vault keys: entry " + std::to_string(entry) + ": " + what);
}

std::unexpected<Error> file_error(const std::string& path, const char* op) {
  return internal_error("vault key file " + path + ": " + op + ": " + std::strerror(errno));
}

Result<std::string> read_key_file(const std::string& path, int fd) {
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return file_error(path, "read");
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxKeyFileBytes)
      return internal_error("vault key file " + path + ": too large");
  }
}

Status write_all(const std::string& path, int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return file_error(path, "write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return file_error(path, "fsync");
  return {};
}

// A key that vanishes after a crash makes everything sealed under it unreadable forever, so the
// new directory entry is made durable too, not only the file's contents.
Status sync_parent_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return file_error(dir, "open directory");
  const int rc = ::fsync(fd);
  const int fsync_errno = errno;
  ::close(fd);
  errno = fsync_errno;
  if (rc != 0) return file_error(dir, "fsync directory");
  return {};
}

}  // namespace

Result<Vault> Vault::from_text(std::string_view text) {
  Vault vault;
  int entry = 0;
  size_t line_start = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = trim(text.substr(line_start, line_end - line_start));
    line_start = line_end + 1;
    if (line.empty() || line.front() == '#') continue;
    // A line may hold several ';'-separated entries (the environment variable has no newlines).
    size_t item_start = 0;
    while (item_start <= line.size()) {
      size_t item_end = line.find(';', item_start);
      if (item_end == std::string_view::npos) item_end = line.size();
      const std::string_view item = trim(line.substr(item_start, item_end - item_start));
      item_start = item_end + 1;
      if (item.empty()) continue;
      ++entry;
      const size_t colon = item.find(':');
      if (colon == std::string_view::npos)
        return key_text_error(entry, "expected <key_id>:<base64 key>");
      const std::string id(trim(item.substr(0, colon)));
      if (!valid_key_id(id)) return key_text_error(entry, "key id must be 1..32 of [A-Za-z0-9_-]");
      Result<std::string> key = crypto::base64_decode(trim(item.substr(colon + 1)));
      if (!key || key->size() != kKeyBytes) {
        return key_text_error(entry, "key must be Base64 of 32 bytes");
      }
      if (!vault.keys_.emplace(id, std::move(*key)).second) {
        return key_text_error(entry, "duplicate key id");
      }
      vault.active_ = id;
    }
  }
  if (vault.keys_.empty()) return internal_error("vault keys: no key entries");
  return vault;
}

Result<Vault> Vault::load_or_create(const std::string& key_file) {
  if (const char* env = std::getenv("CARDCORE_VAULT_KEYS"); env != nullptr && *env != '\0') {
    return from_text(env);
  }
  // Create first: O_EXCL makes creation atomic, so two processes starting together cannot
  // both write a key; the loser reads the winner's file below.
  int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    const std::string text =
        "# cardcore vault keys: the last entry is active; rotate by appending\n" + new_key_entry() +
        "\n";
    Status written = write_all(key_file, fd, text);  // the error text is built before close
    ::close(fd);
    if (!written) {
      ::unlink(key_file.c_str());  // a half-written file would fail every later start
      return std::unexpected(written.error());
    }
    written = sync_parent_dir(key_file);
    if (!written) return std::unexpected(written.error());
    return from_text(text);
  }
  if (errno != EEXIST) return file_error(key_file, "create");
  fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_error(key_file, "open");
  Result<std::string> text = read_key_file(key_file, fd);
  ::close(fd);
  if (!text) return std::unexpected(text.error());
  return from_text(*text);
}

std::string Vault::new_key_entry() {
  return "k" + crypto::random_hex(8) + ":" + crypto::base64_encode(crypto::random_bytes(kKeyBytes));
}

Sealed Vault::seal(std::string_view plaintext, std::string_view aad) const {
  if (plaintext.size() > kMaxPlaintextBytes || aad.size() > kMaxPlaintextBytes) {
    die("seal: input over limit");
  }
  const auto active = keys_.find(active_);
  if (active == keys_.end()) die("seal: no active key (vault not built by from_text)");
  const std::string& key = active->second;
  const std::string nonce = crypto::random_bytes(kNonceBytes);
  std::string blob = nonce;
  blob.resize(kNonceBytes + plaintext.size() + kTagBytes);
  auto* out = reinterpret_cast<unsigned char*>(blob.data()) + kNonceBytes;

  CipherCtx ctx = new_ctx();
  int len = 0;
  int final_len = 0;
  // AES-GCM's default IV length is the 12 bytes used here.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + plaintext.size()) !=
          1) {
    die("AES-256-GCM encryption failed");
  }
  return Sealed{active_, std::move(blob)};
}

Result<std::string> Vault::open(const Sealed& sealed, std::string_view aad) const {
  const auto key = keys_.find(sealed.key_id);
  if (key == keys_.end()) return internal_error("vault: unknown key id " + sealed.key_id);
  if (sealed.blob.size() < kNonceBytes + kTagBytes ||
      sealed.blob.size() > kNonceBytes + kMaxPlaintextBytes + kTagBytes ||
      aad.size() > kMaxPlaintextBytes) {
    return internal_error("vault: sealed blob has a bad length");
  }
  const std::string_view blob = sealed.blob;
  const std::string_view nonce = blob.substr(0, kNonceBytes);
  const std::string_view ciphertext =
      blob.substr(kNonceBytes, blob.size() - kNonceBytes - kTagBytes);
  std::string tag(blob.substr(blob.size() - kTagBytes));  // the ctrl call wants a mutable pointer

  std::string plaintext(ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  CipherCtx ctx = new_ctx();
  int len = 0;
  int final_len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key->second), bytes(nonce)) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1) {
    die("AES-256-GCM decryption setup failed");
  }
  // Final is where the tag is checked: a wrong key, AAD, nonce, ciphertext or tag all land here.
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &final_len) != 1) {
    return internal_error("vault: authentication failed (wrong key, context or tampered data)");
  }
  return plaintext;
}

}  // namespace cardcore
