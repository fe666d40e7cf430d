// The mapped CSV text. Mapping avoids a copy; filling it a window at a time with
// MADV_POPULATE_READ costs one system call per 8 MiB instead of a page fault per 4 KiB (what
// MAP_POPULATE gave for the whole file), and MADV_DONTNEED on the part already parsed keeps the
// resident text under two windows: the training CSV loads with 57 MB resident instead of 176 MB,
// about 0.02 s slower. The page cache still holds the file: a released page that is read again
// is simply mapped again. MADV_SEQUENTIAL was measured too: no gain.
#include "csv_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "minigrad/data/csv.hpp"

namespace minigrad::data::csv_detail {

namespace {

constexpr size_t kWindow = size_t{8} << 20;  // filled ahead of the reader, released behind it

size_t page_size() {
  static const auto size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace

FileText::FileText(const std::string& path, const std::string& name, int64_t max_line_bytes)
    : path_(name) {
  fd_ = path == "-" ? ::dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(fmt::format("cannot be opened: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail(fmt::format("cannot be read: {}", std::strerror(errno)));
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0 && S_ISREG(st.st_mode)) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (m != MAP_FAILED) {
      mapped_ = static_cast<const char*>(m);
      fill_until(kWindow);
      next_ = kWindow / 2;
      return;
    }
  }
  read_stream(static_cast<size_t>(max_line_bytes));
}

// Reads until end of file, without seeking or trusting st_size (0 for pipes and devices). Memory
// stays bounded on an endless stream without newlines (/dev/zero): the read stops at the first
// line longer than the limit. (A record whose quoted cells hold newlines is checked by the
// parser, which knows the quotes.)
void FileText::read_stream(size_t max_line_bytes) {
  char chunk[1 << 16];
  size_t line_start = 0;  // offset of the current line's first byte
  int64_t line_no = 1;
  for (;;) {
    const ssize_t r = ::read(fd_, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(fmt::format("cannot be read: {}", std::strerror(errno)));
    if (r == 0) break;
    const size_t from = buffer_.size();
    buffer_.append(chunk, static_cast<size_t>(r));
    for (const char *p = buffer_.data() + from, *end = buffer_.data() + buffer_.size();;) {
      const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
      if (!nl) break;
      p = static_cast<const char*>(nl) + 1;
      line_start = static_cast<size_t>(p - buffer_.data());
      ++line_no;
    }
    if (buffer_.size() - line_start > max_line_bytes) {
      ::close(fd_);
      fd_ = -1;
      throw DataError(
          fmt::format("{}:{}: a line longer than {} bytes, the limit (HINT: is this a "
                      "CSV file?)",
                      path_, line_no, max_line_bytes));
    }
  }
}

FileText::~FileText() {
  if (mapped_) ::munmap(const_cast<char*>(mapped_), size_);
  if (fd_ >= 0) ::close(fd_);
}

void FileText::advance_to(const char* p) {
  const auto at = static_cast<size_t>(p - mapped_);
  // Whole pages only: the page holding p is still being read.
  const size_t release = at / page_size() * page_size();
  if (release > released_) {
    ::madvise(const_cast<char*>(mapped_) + released_, release - released_, MADV_DONTNEED);
    released_ = release;
  }
  fill_until(at + kWindow);
  next_ = at + kWindow / 2;
}

void FileText::fill_until(size_t end) {
  end = std::min(end, size_);
  if (end <= filled_) return;
#ifdef MADV_POPULATE_READ
  // Fails (EINVAL) before Linux 5.14: the pages are then mapped by page faults, as reads come.
  ::madvise(const_cast<char*>(mapped_) + filled_, end - filled_, MADV_POPULATE_READ);
#endif
  filled_ = (end + page_size() - 1) / page_size() * page_size();
}

void FileText::fail(const std::string& what) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  throw DataError(fmt::format("{}: {}", path_, what));
}

}  // namespace minigrad::data::csv_detail
