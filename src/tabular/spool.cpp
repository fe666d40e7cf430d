// Spool: a stream copied to a temporary file that is unlinked at once and read through
// /proc/self/fd, stopping at an overlong line.
#include "spool.hpp"

#include <fmt/format.h>
#include <stdlib.h>  // mkstemp
#include <unistd.h>  // close, unlink, write

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "minigrad/tabular/table.hpp"

namespace minigrad::tabular {

Spool::Spool(const std::string& source, const std::string& name, size_t max_line_bytes) {
  std::ifstream in(source == "-" ? "/dev/stdin" : source, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: no such file or not readable", name));
  std::error_code ec;
  const std::string dir = std::filesystem::temp_directory_path(ec).string();
  std::string pattern = dir + "/minigrad-XXXXXX";
  fd_ = ec ? -1 : ::mkstemp(pattern.data());
  if (fd_ < 0) {
    const char* tmpdir = std::getenv("TMPDIR");
    const std::string where = ec ? std::string(tmpdir ? tmpdir : "$TMPDIR") : dir;
    throw DataError(fmt::format(
        "{}: a stream is read twice through a temporary copy, which cannot be made in '{}': {} "
        "(HINT: set TMPDIR to a writable directory, or pass a regular file)",
        name, where, ec ? ec.message() : std::strerror(errno)));
  }
  ::unlink(pattern.c_str());
  path_ = fmt::format("/proc/self/fd/{}", fd_);
  try {
    copy(in, name, dir, max_line_bytes);
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

Spool::~Spool() { ::close(fd_); }

void Spool::copy(std::ifstream& in, const std::string& name, const std::string& dir,
                 size_t max_line_bytes) const {
  char chunk[1 << 16];
  size_t run = 0;  // bytes since the last newline
  int64_t line = 1;
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    const auto got = static_cast<size_t>(in.gcount());
    for (size_t i = 0; i < got; ++i) {
      if (chunk[i] == '\n') {
        run = 0;
        ++line;
      } else if (++run > max_line_bytes) {
        throw DataError(
            fmt::format("{}:{}: a line longer than {} bytes, the limit (HINT: is this a CSV file?)",
                        name, line, max_line_bytes));
      }
    }
    for (size_t done = 0; done < got;) {
      const ssize_t w = ::write(fd_, chunk + done, got - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        throw DataError(fmt::format("{}: cannot make a temporary copy in {}: {}", name, dir,
                                    std::strerror(errno)));
      done += static_cast<size_t>(w);
    }
  }
  if (in.bad()) throw DataError(fmt::format("{}: cannot be read", name));
}

// Standard input, a pipe or a device: input that cannot be read twice.
bool is_stream(const std::string& path) {
  if (path == "-") return true;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  return !ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status) &&
         !std::filesystem::is_directory(status);
}

}  // namespace minigrad::tabular
