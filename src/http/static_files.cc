#include "http/static_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace cardcore::http {

namespace fs = std::filesystem;

StaticFiles::StaticFiles(std::string prefix, std::string dir, std::string index,
                         std::vector<std::pair<std::string, std::string>> headers, std::vector<std::string> only)
    : prefix_(std::move(prefix)),
      dir_(std::move(dir)),
      index_(std::move(index)),
      headers_(std::move(headers)),
      only_(std::move(only)) {}

std::string StaticFiles::content_type(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
      {".png", "image/png"},                 {".svg", "image/svg+xml"},
      {".woff2", "font/woff2"},              {".ico", "image/x-icon"},
  };
  for (auto [ext, type] : kTypes) {
    if (name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext) return std::string(type);
  }
  return {};
}

namespace {

bool plain_relative(std::string_view rest) {
  if (rest.empty() || rest.size() > 200) return false;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('/', start);
    std::string_view seg = rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (seg.empty() || seg[0] == '.') return false;
    for (char c : seg) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::optional<Response> StaticFiles::handle(const Request& req) const {
  std::string_view path = req.path;
  if (path.substr(0, prefix_.size()) != prefix_) return std::nullopt;
  std::string_view rest = path.substr(prefix_.size());
  if (!rest.empty() && rest[0] != '/') return std::nullopt;  // /docsX is not ours
  if (rest.empty() || rest == "/") rest = index_;
  else rest.remove_prefix(1);
  Response out;
  out.headers = headers_;
  out.headers.emplace_back("X-Content-Type-Options", "nosniff");  // on every answer, 404 and 405 too
  auto not_found = [&] {
    out.status = 404;
    out.content_type = "text/plain; charset=utf-8";
    out.body = "not found\n";
    return out;
  };
  if (req.method != "GET" && req.method != "HEAD") {
    out.status = 405;
    out.content_type = "text/plain; charset=utf-8";
    out.body = "use GET\n";
    out.headers.emplace_back("Allow", "GET, HEAD");
    return out;
  }
  const std::string type = content_type(rest);
  if (!plain_relative(rest) || type.empty()) return not_found();
  if (!only_.empty() && std::find(only_.begin(), only_.end(), rest) == only_.end()) return not_found();
  std::shared_ptr<const std::string> body;
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(rest); it != cache_.end()) body = it->second;
  }
  if (!body) {
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(dir_, ec);
    const fs::path file = fs::weakly_canonical(fs::path(dir_) / std::string(rest), ec);
    if (ec) return not_found();
    auto [r, f] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
    if (r != root.end() || !fs::is_regular_file(file, ec)) return not_found();
    std::ifstream in(file, std::ios::binary);
    if (!in) return not_found();
    body = std::make_shared<const std::string>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::lock_guard lock(mu_);
    cache_.emplace(std::string(rest), body);
  }
  out.content_type = type;
  if (req.method == "GET") out.body = *body;
  out.headers.emplace_back("Cache-Control", "no-cache");
  return out;
}

}  // namespace cardcore::http
