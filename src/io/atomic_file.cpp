// Output files with POSIX calls: lstat/stat to refuse anything but a regular file, a probe file
// to learn whether the directory takes new files, an O_EXCL temporary file, a write loop, fsync,
// rename, and an fsync of the directory so that the rename itself survives a crash.
#include "minigrad/io/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace minigrad::io {

namespace fs = std::filesystem;

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

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a pipe (FIFO)";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Where the bytes of `path` really go: the file that is renamed over (a symlink's target) and
// the directory that holds it.
struct Target {
  std::string file;
  std::string dir;
};

std::string parent_dir(const std::string& file) {
  const fs::path p(file);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

Target resolve_target(const std::string& path, const std::string& who) {
  auto refuse = [&](const std::string& what, const std::string& hint) {
    throw std::invalid_argument(
        fmt::format("{}: cannot write '{}': {} (HINT: {})", who, path, what, hint));
  };
  if (path.empty())
    throw std::invalid_argument(
        fmt::format("{}: empty path (HINT: give a file name such as model.safetensors)", who));
  const std::string replace_hint =
      "minigrad replaces the file at this path with a new one; give the name of a regular file "
      "such as model.safetensors";
  Target target{path, ""};
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      if (::stat(path.c_str(), &st) != 0)
        refuse(fmt::format("it is a symlink that leads nowhere ({})", std::strerror(errno)),
               "remove the link or give another path");
      if (!S_ISREG(st.st_mode))
        refuse(fmt::format("it is a symlink to {}", file_kind(st.st_mode)), replace_hint);
      std::error_code ec;
      target.file = fs::canonical(path, ec).string();
      if (ec) refuse(fmt::format("its symlink cannot be followed: {}", ec.message()), replace_hint);
    } else if (S_ISDIR(st.st_mode)) {
      refuse("it is a directory",
             "give a file name, e.g. " + (fs::path(path) / "model.safetensors").string());
    } else if (!S_ISREG(st.st_mode)) {
      refuse(fmt::format("it is {}", file_kind(st.st_mode)), replace_hint);
    }
  } else if (errno != ENOENT) {
    refuse(std::strerror(errno), "check each directory on the path");
  }
  target.dir = parent_dir(target.file);
  if (::stat(target.dir.c_str(), &st) != 0)
    refuse(fmt::format("directory '{}' does not exist", target.dir),
           fmt::format("create it first: mkdir -p {}", target.dir));
  if (!S_ISDIR(st.st_mode))
    refuse(fmt::format("'{}' is {}, not a directory", target.dir, file_kind(st.st_mode)),
           "check the path");
  return target;
}

std::atomic<unsigned> temporary_counter{0};

// Creates a new temporary file for `file` (O_EXCL: never an existing one); returns its
// descriptor and sets tmp_path, or returns -1 with errno set.
int create_temporary(const std::string& file, std::string& tmp_path) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp_path = temporary_path(file, static_cast<long>(::getpid()), temporary_counter++);
    const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

// The process id in a temporary file name made for `base` (".base.tmp.<pid>.<n>"), or 0 when
// `name` is anything else.
long temporary_owner(std::string_view name, const std::string& base) {
  const std::string prefix = "." + base + ".tmp.";
  if (name.substr(0, prefix.size()) != prefix) return 0;
  name.remove_prefix(prefix.size());
  long pid = 0;
  unsigned n = 0;
  const char* end = name.data() + name.size();
  auto [p, ec] = std::from_chars(name.data(), end, pid);
  if (ec != std::errc() || p == name.data() || p == end || *p != '.') return 0;
  auto [q, ec2] = std::from_chars(p + 1, end, n);
  if (ec2 != std::errc() || q == p + 1 || q != end) return 0;
  return pid > 0 ? pid : 0;
}

}  // namespace

std::string temporary_path(const std::string& path, long pid, unsigned n) {
  const fs::path p(path);
  const std::string name = fmt::format(".{}.tmp.{}.{}", p.filename().string(), pid, n);
  return p.has_parent_path() ? (p.parent_path() / name).string() : name;
}

int remove_stale_temporaries(const std::string& path) {
  const std::string base = fs::path(path).filename().string();
  std::error_code ec;
  fs::directory_iterator it(parent_dir(path), ec);
  if (ec) return 0;  // best effort: an unreadable directory keeps its leftovers
  int removed = 0;
  for (const fs::directory_entry& entry : it) {
    const long pid = temporary_owner(entry.path().filename().string(), base);
    if (pid == 0 || pid == static_cast<long>(::getpid())) continue;
    // ESRCH: no such process. EPERM means it exists (another user's): keep its file.
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::unlink(entry.path().c_str()) == 0) ++removed;
  }
  return removed;
}

void check_output_path(const std::string& path, const std::string& who) {
  const Target target = resolve_target(path, who);
  std::string probe;
  const int fd = create_temporary(target.file, probe);
  if (fd < 0)
    throw std::invalid_argument(fmt::format(
        "{}: cannot write '{}': directory '{}' does not accept new files: {} (HINT: choose a "
        "writable directory, or fix its permissions)",
        who, path, target.dir, std::strerror(errno)));
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                           const std::string& who) {
  // A path refused here is a runtime error, like every other failure to write.
  Target target;
  try {
    target = resolve_target(path, who);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  auto fail = [&](const std::string& what, const std::string& hint) {
    throw std::runtime_error(
        fmt::format("{}: cannot write '{}': {} (HINT: {})", who, path, what, hint));
  };
  (void)remove_stale_temporaries(target.file);

  // The temporary file sits in the target's directory, so the rename never crosses file systems.
  std::string tmp_path;
  const int fd = create_temporary(target.file, tmp_path);
  if (fd < 0)
    fail(fmt::format("cannot create '{}': {}", tmp_path, std::strerror(errno)),
         "check that the directory is writable");
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
  if (::rename(tmp_path.c_str(), target.file.c_str()) != 0)
    fail(fmt::format("renaming '{}' to it failed: {}", tmp_path, std::strerror(errno)),
         "was the target replaced by a directory meanwhile?");
  tmp.release();
  // Make the rename durable too; the file is complete either way, so errors are not fatal.
  const int dir_fd = ::open(target.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace minigrad::io
