// Atomic file writes with POSIX calls: O_EXCL temporary file, write loop, fsync, rename, then
// fsync of the directory so the rename itself survives a crash.
#include "minigrad/io/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace minigrad::io {

namespace {

// Removes a temporary file unless release()d: a failed write never leaves one behind.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  void release() { path_.clear(); }

 private:
  std::string path_;
};

}  // namespace

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                           const std::string& who) {
  namespace fs = std::filesystem;
  auto fail = [&](const std::string& what, const std::string& hint) {
    throw std::runtime_error(
        fmt::format("{}: cannot write '{}': {} (HINT: {})", who, path, what, hint));
  };
  if (path.empty())
    throw std::invalid_argument(
        fmt::format("{}: empty path (HINT: give a file name such as model.safetensors)", who));
  const fs::path target(path);
  std::error_code ec;
  if (fs::is_directory(target, ec))
    fail("it is a directory", "give a file name, e.g. " + (target / "model.safetensors").string());
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    fail(fmt::format("directory '{}' does not exist", dir.string()),
         fmt::format("create it first: mkdir -p {}", dir.string()));

  // "<path>.tmp.<pid>.<n>" in the target's directory, so the rename never crosses file systems.
  static std::atomic<unsigned> counter{0};
  int fd = -1;
  std::string tmp_path;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp_path = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter++);
    fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt > 100))
      fail(fmt::format("cannot create '{}': {}", tmp_path, std::strerror(errno)),
           "check that the directory is writable");
  }
  TempFile tmp(tmp_path);
  auto fail_closing = [&](const std::string& what, const std::string& hint) {
    const int err = errno;
    ::close(fd);
    fail(fmt::format("{} '{}' failed: {}", what, tmp_path, std::strerror(err)), hint);
  };
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t r = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) fail_closing("writing", "is the disk full, or a file size limit reached?");
    written += static_cast<size_t>(r);
  }
  if (::fsync(fd) != 0) fail_closing("fsync of", "is the disk full or failing?");
  if (::close(fd) != 0)
    fail(fmt::format("closing '{}' failed: {}", tmp_path, std::strerror(errno)),
         "is the disk full?");
  if (::rename(tmp_path.c_str(), path.c_str()) != 0)
    fail(fmt::format("renaming '{}' to it failed: {}", tmp_path, std::strerror(errno)),
         "is the target a directory, or on another file system?");
  tmp.release();
  // Make the rename durable too; the file is complete either way, so errors are not fatal.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace minigrad::io
