// The WAL-gathering VFS (wal_coalesce.h). SQLite has no switch for this: its VFS interface is
// the documented place for I/O policy, and a shim over the default VFS is its documented way to
// add one (https://sqlite.org/vfs.html). Every method not about a WAL file's writes hands the
// call on unchanged.
#include "store/sqlite/wal_coalesce.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace cardcore::sqlite_wal {
namespace {

constexpr size_t kMaxGathered = 8u << 20;  // a batch of 128 authorizations is about 4 MiB
// The default (unix) VFS takes at most 0x1ffff bytes in one write: it masks the length to 17
// bits (seekAndWriteFd in SQLite's os_unix.c), so a longer write would be cut short. Gathered
// bytes are handed on in pieces of at most this many (31 pages: about 30 frames).
constexpr size_t kMaxPiece = 0x1ffff & ~size_t{0xfff};

std::atomic<unsigned long long> g_asked{0}, g_handed_on{0};

int write_pieces(sqlite3_file* real, const char* p, size_t n, sqlite3_int64 offset) {
  while (n > 0) {
    const size_t piece = n < kMaxPiece ? n : kMaxPiece;
    int rc = real->pMethods->xWrite(real, p, static_cast<int>(piece), offset);
    g_handed_on.fetch_add(1, std::memory_order_relaxed);
    if (rc != SQLITE_OK) return rc;
    p += piece;
    n -= piece;
    offset += static_cast<sqlite3_int64>(piece);
  }
  return SQLITE_OK;
}

// WAL files holding gathered bytes, so that the common case at a shared-memory call (nothing
// gathered: every commit's sync already handed it on) costs one atomic load.
std::atomic<int> g_gathering{0};

// The writes of one open WAL file not yet handed on: one contiguous run of bytes at `start`.
struct Gathered {
  std::mutex mu;
  std::string database;  // the path of the database this WAL belongs to
  sqlite3_file* real = nullptr;
  std::vector<char> bytes;
  sqlite3_int64 start = 0;

  int flush_locked() {
    if (bytes.empty()) return SQLITE_OK;
    int rc = write_pieces(real, bytes.data(), bytes.size(), start);
    bytes.clear();
    g_gathering.fetch_sub(1, std::memory_order_release);
    return rc;
  }
  int flush() {
    std::lock_guard lock(mu);
    return flush_locked();
  }
};

// Open WAL files by database path, so that a shared-memory call on the database file can hand
// on what its WAL has gathered.
std::mutex g_registry_mu;
std::unordered_multimap<std::string, Gathered*> g_registry;

int flush_wals_of(const std::string& database) {
  if (g_gathering.load(std::memory_order_acquire) == 0) return SQLITE_OK;
  std::lock_guard lock(g_registry_mu);
  auto [first, last] = g_registry.equal_range(database);
  for (auto it = first; it != last; ++it) {
    if (int rc = it->second->flush(); rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

// What SQLite allocates for each open file of this VFS (szOsFile): this header, then the
// default VFS's own file object.
struct File {
  sqlite3_file base;
  sqlite3_file* real;
  Gathered* wal;              // a WAL file's gathered writes; null for every other file
  std::string* database;      // a main database file's path; null for every other file
};

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

File* as(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* real(sqlite3_file* f) { return as(f)->real; }
// Hands on what a WAL file gathered; a no-op for every other file.
int flush(sqlite3_file* f) { return as(f)->wal ? as(f)->wal->flush() : SQLITE_OK; }

int x_close(sqlite3_file* f) {
  File* file = as(f);
  int flushed = flush(f);
  if (file->wal) {
    {
      std::lock_guard lock(g_registry_mu);
      auto [first, last] = g_registry.equal_range(file->wal->database);
      for (auto it = first; it != last; ++it) {
        if (it->second == file->wal) {
          g_registry.erase(it);
          break;
        }
      }
    }
    delete file->wal;
    file->wal = nullptr;
  }
  delete file->database;
  file->database = nullptr;
  int rc = file->real->pMethods ? file->real->pMethods->xClose(file->real) : SQLITE_OK;
  return flushed != SQLITE_OK ? flushed : rc;
}

int x_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xRead(real(f), out, amount, offset);
}

int x_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  Gathered* g = as(f)->wal;
  if (!g) return real(f)->pMethods->xWrite(real(f), data, amount, offset);
  g_asked.fetch_add(1, std::memory_order_relaxed);
  const auto n = static_cast<size_t>(amount);
  std::lock_guard lock(g->mu);
  const sqlite3_int64 end = g->start + static_cast<sqlite3_int64>(g->bytes.size());
  if (!g->bytes.empty() && offset >= g->start && offset + amount <= end) {
    // SQLite rewrites a frame of the open transaction in place: the bytes are still here.
    std::memcpy(g->bytes.data() + (offset - g->start), data, n);
    return SQLITE_OK;
  }
  if (g->bytes.empty() || offset != end || g->bytes.size() + n > kMaxGathered) {
    if (int rc = g->flush_locked(); rc != SQLITE_OK) return rc;
    if (n >= kMaxGathered) return write_pieces(real(f), static_cast<const char*>(data), n, offset);
    g->start = offset;
  }
  const auto* p = static_cast<const char*>(data);
  if (g->bytes.empty()) g_gathering.fetch_add(1, std::memory_order_release);
  g->bytes.insert(g->bytes.end(), p, p + n);
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
// A commit becomes visible to other connections through the WAL index, between shared-memory
// barriers and under its locks: the frames it names must be in the file first.
int flush_database_wals(sqlite3_file* f) {
  return as(f)->database ? flush_wals_of(*as(f)->database) : SQLITE_OK;
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  if (int rc = flush_database_wals(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  // xShmBarrier cannot fail; a failed write here fails again, and is reported, at the sync or
  // the next write, which every commit makes before it is acknowledged.
  (void)flush_database_wals(f);
  real(f)->pMethods->xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int delete_flag) { return real(f)->pMethods->xShmUnmap(real(f), delete_flag); }
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  if (real(f)->pMethods->iVersion < 3) {  // no memory map: SQLite reads instead
    *out = nullptr;
    return SQLITE_OK;
  }
  return real(f)->pMethods->xFetch(real(f), offset, amount, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  if (real(f)->pMethods->iVersion < 3) return SQLITE_OK;
  return real(f)->pMethods->xUnfetch(real(f), offset, p);
}

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = as(f);
  file->base.pMethods = nullptr;  // until the real file is open: SQLite then never calls xClose
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->wal = nullptr;
  file->database = nullptr;
  int rc = g_real->xOpen(g_real, name, file->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // A real file that failed to open may still need closing (the VFS contract).
    if (file->real->pMethods) file->real->pMethods->xClose(file->real);
    return rc;
  }
  if ((flags & SQLITE_OPEN_WAL) && name) {
    auto* g = new Gathered;
    g->database = sqlite3_filename_database(name);
    g->real = file->real;
    file->wal = g;
    std::lock_guard lock(g_registry_mu);
    g_registry.emplace(g->database, g);
  } else if ((flags & SQLITE_OPEN_MAIN_DB) && name) {
    file->database = new std::string(name);
  }
  file->base.pMethods = &g_methods;
  return SQLITE_OK;
}

// The VFS-level calls are the default VFS's own.
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_real->xDelete(g_real, name, sync_dir); }
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_real->xAccess(g_real, name, flags, out); }
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return g_real->xDlOpen(g_real, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { g_real->xDlError(g_real, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) { return g_real->xDlSym(g_real, h, sym); }
void x_dl_close(sqlite3_vfs*, void* h) { g_real->xDlClose(g_real, h); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int x_sleep(sqlite3_vfs*, int micros) { return g_real->xSleep(g_real, micros); }
int x_current_time(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) { return g_real->xGetLastError(g_real, n, out); }
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_real->xCurrentTimeInt64(g_real, out); }

void register_once() {
  g_real = sqlite3_vfs_find(nullptr);
  g_methods = sqlite3_io_methods{};
  g_methods.iVersion = 3;
  g_methods.xClose = x_close;
  g_methods.xRead = x_read;
  g_methods.xWrite = x_write;
  g_methods.xTruncate = x_truncate;
  g_methods.xSync = x_sync;
  g_methods.xFileSize = x_file_size;
  g_methods.xLock = x_lock;
  g_methods.xUnlock = x_unlock;
  g_methods.xCheckReservedLock = x_check_reserved_lock;
  g_methods.xFileControl = x_file_control;
  g_methods.xSectorSize = x_sector_size;
  g_methods.xDeviceCharacteristics = x_device_characteristics;
  g_methods.xShmMap = x_shm_map;
  g_methods.xShmLock = x_shm_lock;
  g_methods.xShmBarrier = x_shm_barrier;
  g_methods.xShmUnmap = x_shm_unmap;
  g_methods.xFetch = x_fetch;
  g_methods.xUnfetch = x_unfetch;

  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_real->szOsFile;
  g_vfs.mxPathname = g_real->mxPathname;
  g_vfs.zName = "cardcore-wal-coalesce";
  g_vfs.xOpen = x_open;
  g_vfs.xDelete = x_delete;
  g_vfs.xAccess = x_access;
  g_vfs.xFullPathname = x_full_pathname;
  g_vfs.xDlOpen = x_dl_open;
  g_vfs.xDlError = x_dl_error;
  g_vfs.xDlSym = x_dl_sym;
  g_vfs.xDlClose = x_dl_close;
  g_vfs.xRandomness = x_randomness;
  g_vfs.xSleep = x_sleep;
  g_vfs.xCurrentTime = x_current_time;
  g_vfs.xGetLastError = x_get_last_error;
  g_vfs.xCurrentTimeInt64 = x_current_time_int64;
  sqlite3_vfs_register(&g_vfs, 0);
}

}  // namespace

const char* coalescing_vfs() {
  static std::once_flag once;
  std::call_once(once, register_once);
  return g_vfs.zName;
}

Counts counts() {
  return {g_asked.load(std::memory_order_relaxed), g_handed_on.load(std::memory_order_relaxed)};
}

}  // namespace cardcore::sqlite_wal
