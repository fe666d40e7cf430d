// A CSV file's text for read_csv, internal. Mapped read-only and filled a window at a time just
// ahead of the parser, with the pages behind it handed back, so that a 133 MB file is never
// resident whole next to the table it becomes; read with read(2) when it cannot be mapped
// (standard input, pipes, special files), stopping at the first line longer than the limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace minigrad::data::csv_detail {

class FileText {
 public:
  /// Opens and maps (or reads) `path`, "-" for standard input; `name` stands for it in messages.
  /// Throws DataError("name: cannot be opened: ..."), or "name:line: a line longer than ..."
  /// when a stream holds a line longer than max_line_bytes.
  FileText(const std::string& path, const std::string& name, int64_t max_line_bytes);
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;
  ~FileText();

  std::string_view view() const {
    return mapped_ ? std::string_view(mapped_, size_) : std::string_view(buffer_);
  }
  /// The reader is done with the text before `p` (a pointer into view()): releases those pages
  /// and fills the next window. Cheap enough to call on every row.
  void advance(const char* p) {
    if (mapped_ && static_cast<size_t>(p - mapped_) >= next_) advance_to(p);
  }

 private:
  void advance_to(const char* p);
  void fill_until(size_t end);
  void read_stream(size_t max_line_bytes);
  [[noreturn]] void fail(const std::string& what);

  std::string path_;
  int fd_ = -1;
  size_t size_ = 0;
  const char* mapped_ = nullptr;
  size_t next_ = 0;      // advance() does nothing before this offset
  size_t released_ = 0;  // pages before this offset are handed back
  size_t filled_ = 0;    // pages before this offset have been filled
  std::string buffer_;   // the text when it is not mapped
};

}  // namespace minigrad::data::csv_detail
