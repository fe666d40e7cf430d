// Spool: a pipe or standard input copied to a temporary file, so that read_table can read it
// twice (a column that turns out to hold text after many numbers needs a second pass). The file
// is unlinked as soon as it is made and read through /proc/self/fd, so nothing is left behind,
// even by a killed process. Copying stops at a line longer than the limit, so an endless input
// without newlines (/dev/zero) does not fill the disk.
#pragma once

#include <cstddef>
#include <fstream>
#include <string>

namespace minigrad::tabular {

class Spool {
 public:
  /// Copies `source` ("-" for standard input); `name` stands for it in messages. Throws
  /// DataError for an unreadable source, no temporary directory or an overlong line.
  Spool(const std::string& source, const std::string& name, size_t max_line_bytes);
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();
  /// Where the copy can be read.
  const std::string& path() const { return path_; }

 private:
  void copy(std::ifstream& in, const std::string& name, const std::string& dir,
            size_t max_line_bytes) const;

  int fd_ = -1;
  std::string path_;
};

/// Standard input, a pipe or a device: input that cannot be read twice.
bool is_stream(const std::string& path);

}  // namespace minigrad::tabular
