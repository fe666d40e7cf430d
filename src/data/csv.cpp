// CSV reader: the file is mapped into memory in one call and parsed in place. Rows of plain
// non-negative integers (every Fashion-MNIST row) take a tight fast path; any other row goes
// through the general parser (std::from_chars), which also writes the error messages. No
// std::string per cell, no iostreams: the 133 MB training CSV loads in about a third of a second.
#include "minigrad/data/csv.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>

namespace minigrad::data {

// ---- LabelColumn ----

LabelColumn LabelColumn::index(int64_t i) {
  LabelColumn c;
  c.kind_ = Kind::Index;
  c.index_ = i;
  return c;
}

LabelColumn LabelColumn::name(std::string column_name) {
  LabelColumn c;
  c.kind_ = Kind::Name;
  c.name_ = std::move(column_name);
  return c;
}

LabelColumn LabelColumn::none() {
  LabelColumn c;
  c.kind_ = Kind::None;
  return c;
}

LabelColumn LabelColumn::parse(std::string_view text) {
  if (text == "last") return last();
  if (text == "none") return none();
  int64_t i = 0;
  const char* first = text.data();
  const char* last_char = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last_char, i);
  if (!text.empty() && ec == std::errc() && ptr == last_char) return index(i);
  return name(std::string(text));
}

std::string LabelColumn::str() const {
  switch (kind_) {
    case Kind::None:
      return "no label column";
    case Kind::Name:
      return fmt::format("column '{}'", name_);
    case Kind::Index:
      break;
  }
  if (index_ == -1) return "the last column";
  return fmt::format("column index {}", index_);
}

// ---- CsvTable ----

std::vector<std::string> CsvTable::feature_names() const {
  std::vector<std::string> names;
  names.reserve(column_names.size());
  for (size_t j = 0; j < column_names.size(); ++j) {
    if (static_cast<int64_t>(j) != label_index) names.push_back(column_names[j]);
  }
  return names;
}

int32_t CsvTable::num_classes() const {
  if (labels.empty()) return 0;
  return *std::max_element(labels.begin(), labels.end()) + 1;
}

namespace {

// ---- one cell ----

enum class CellStatus { Ok, Empty, NotANumber, NotFinite, Unterminated };

struct Cell {
  CellStatus status = CellStatus::Ok;
  double value = 0.0;           // exact for the fast path; from_chars<double> otherwise
  bool whole_byte = false;      // a whole number in 0..255
  const char* begin = nullptr;  // the cell's text, for messages
  const char* end = nullptr;    // where parsing stopped: the delimiter or the line end
};

inline bool is_blank(char c, char delimiter) { return (c == ' ' || c == '\t') && c != delimiter; }

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Parses one cell starting at p; stops at the delimiter or line_end (never past them).
inline Cell parse_cell(const char* p, const char* line_end, char delimiter) {
  Cell cell;
  while (p < line_end && is_blank(*p, delimiter)) ++p;
  cell.begin = p;
  const bool quoted = p < line_end && *p == '"';
  if (quoted) ++p;
  const char* num = p;

  // Fast path: up to 9 decimal digits fit in uint32_t and are exact in double.
  uint32_t v = 0;
  int digits = 0;
  while (p < line_end && is_digit(*p) && digits < 9) {
    v = v * 10 + static_cast<uint32_t>(*p - '0');
    ++p;
    ++digits;
  }
  const bool fast = digits > 0 && (p == line_end || (!is_digit(*p) && *p != '.' && *p != 'e' &&
                                                     *p != 'E' && *p != 'x' && *p != 'X'));
  if (fast) {
    cell.value = v;
    cell.whole_byte = v <= 255;
  } else {
    p = num;
    if (p < line_end && *p == '+') ++p;  // from_chars rejects a leading '+'
    double d = 0.0;
    auto [ptr, ec] = std::from_chars(p, line_end, d);
    if (ptr == p) {
      // Nothing numeric here: empty, or text. Find the end of the cell for the message.
      const char* e = p;
      while (e < line_end && *e != delimiter) ++e;
      const char* b = num;
      bool empty = true;
      for (const char* q = b; q < e; ++q) {
        if (!is_blank(*q, delimiter) && *q != '"') empty = false;
      }
      cell.status = empty ? CellStatus::Empty : CellStatus::NotANumber;
      cell.end = e;
      return cell;
    }
    p = ptr;
    if (ec == std::errc::result_out_of_range || !std::isfinite(d)) {
      cell.status = CellStatus::NotFinite;
      cell.value = d;
      cell.end = p;
      return cell;
    }
    cell.value = d;
    cell.whole_byte = d >= 0.0 && d <= 255.0 && d == std::floor(d);
  }
  while (p < line_end && is_blank(*p, delimiter)) ++p;
  if (quoted) {
    if (p >= line_end || *p != '"') {
      cell.status =
          (p < line_end && *p != delimiter) ? CellStatus::NotANumber : CellStatus::Unterminated;
      while (p < line_end && *p != delimiter) ++p;
      cell.end = p;
      return cell;
    }
    ++p;
    while (p < line_end && is_blank(*p, delimiter)) ++p;
  }
  if (p < line_end && *p != delimiter) {
    // Trailing text after a number ("12abc", "1.5.3").
    cell.status = CellStatus::NotANumber;
    while (p < line_end && *p != delimiter) ++p;
  }
  cell.end = p;
  return cell;
}

// ---- lines ----

struct Line {
  const char* begin;
  const char* end;   // '\r' of a CRLF excluded
  const char* next;  // start of the next line
};

inline Line next_line(const char* p, const char* text_end) {
  const void* nl = std::memchr(p, '\n', static_cast<size_t>(text_end - p));
  const char* e = nl ? static_cast<const char*>(nl) : text_end;
  Line line{p, e, nl ? e + 1 : text_end};
  if (line.end > line.begin && line.end[-1] == '\r') --line.end;
  return line;
}

bool is_blank_line(const Line& line) {
  for (const char* p = line.begin; p < line.end; ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\r') return false;
  }
  return true;
}

int64_t count_fields(const Line& line, char delimiter) {
  return 1 + std::count(line.begin, line.end, delimiter);
}

std::string_view trimmed_cell(const char* b, const char* e, char delimiter) {
  while (b < e && is_blank(*b, delimiter)) ++b;
  while (e > b && is_blank(e[-1], delimiter)) --e;
  if (e - b >= 2 && *b == '"' && e[-1] == '"') {
    ++b;
    --e;
  }
  return {b, static_cast<size_t>(e - b)};
}

// Text of a cell for a message, shortened so a binary file does not flood the terminal.
std::string shown(const char* b, const char* e) {
  std::string s(b, static_cast<size_t>(std::min<ptrdiff_t>(e - b, 40)));
  if (e - b > 40) s += "...";
  return s;
}

std::string delimiter_name(char d) {
  switch (d) {
    case ',':
      return "','";
    case ';':
      return "';'";
    case '\t':
      return "tab";
    case ' ':
      return "space";
    default:
      return fmt::format("'{}'", d);
  }
}

// Everything read_csv needs to build a message for one cell.
struct Parser {
  const std::string& name;
  const CsvOptions& options;
  std::vector<std::string> column_names;

  std::string column(int64_t j) const {
    if (static_cast<size_t>(j) < column_names.size() && !column_names[j].empty() &&
        column_names[j] != fmt::format("column{}", j + 1)) {
      return fmt::format("column {} ('{}')", j + 1, column_names[j]);
    }
    return fmt::format("column {}", j + 1);
  }

  [[noreturn]] void fail(int64_t line, const std::string& what) const {
    throw DataError(fmt::format("{}:{}: {}", name, line, what));
  }

  [[noreturn]] void fail_cell(int64_t line, int64_t j, const Cell& cell) const {
    const std::string text = shown(cell.begin, cell.end);
    switch (cell.status) {
      case CellStatus::Empty:
        fail(line, fmt::format("{} is empty, expected a number (HINT: missing values are not "
                               "supported; fill or drop the row)",
                               column(j)));
      case CellStatus::NotFinite:
        fail(line, fmt::format("{} holds '{}', expected a finite number (HINT: NaN and infinite "
                               "values are not supported; fill or drop the row)",
                               column(j), text));
      case CellStatus::Unterminated:
        fail(line, fmt::format("{}: the quote in '{}' is never closed", column(j), text));
      default:
        fail(line, fmt::format("{} holds '{}', expected a number (HINT: is the delimiter {} "
                               "right? Only numeric tables can be read)",
                               column(j), text, delimiter_name(options.delimiter)));
    }
  }
};

// ---- rows ----

// The common case, tried first on every row: each cell a plain integer of 1 to 9 digits right
// between delimiters (no spaces, quotes, signs or decimals), as in every Fashion-MNIST row.
// Returns false to hand the row to RowParser, which handles everything else and the errors.
// (A branch-free 4-byte SWAR digit parser was tried here: slower on this machine.)
inline bool parse_row_fast(const Line& line, int64_t num_fields, int64_t label, char delim,
                           float* out, int32_t* label_out, uint32_t* or_out) {
  const char* c = line.begin;
  const char* const e = line.end;
  uint32_t all_or = 0;
  for (int64_t j = 0; j < num_fields; ++j) {
    const char* const s = c;
    uint32_t v = 0;
    while (c < e && is_digit(*c)) {
      v = v * 10 + static_cast<uint32_t>(*c - '0');
      ++c;
    }
    if (c == s || c - s > 9) return false;
    if (j + 1 < num_fields) {
      if (c >= e || *c != delim) return false;
      ++c;
    } else if (c != e) {
      return false;
    }
    if (j == label) {
      *label_out = static_cast<int32_t>(v);
    } else {
      *out++ = static_cast<float>(v);
      all_or |= v;
    }
  }
  *or_out |= all_or;
  return true;
}

// Any row: quotes, spaces, signs, decimals and exponents, and every error message.
struct RowParser {
  const Parser& parser;
  int64_t num_fields;
  int64_t label;
  char delim;
  std::string expected_from;  // " (as in the header on line 1)" or ""

  void parse(const Line& line, int64_t line_no, float* out, int32_t* label_out,
             bool* all_bytes) const {
    if (is_blank_line(line)) {
      parser.fail(line_no,
                  "blank line between rows (HINT: delete it; blank lines are only allowed at "
                  "the end)");
    }
    const char* c = line.begin;
    for (int64_t j = 0; j < num_fields; ++j) {
      const Cell cell = parse_cell(c, line.end, delim);
      const bool at_end = cell.end == line.end;
      if (cell.status != CellStatus::Ok || at_end != (j == num_fields - 1)) {
        // Counting the fields only now keeps the common path to one pass over the line.
        const int64_t found = count_fields(line, delim);
        if (found != num_fields) {
          parser.fail(line_no, fmt::format("expected {} fields{}, found {} (HINT: is a value {}?)",
                                           num_fields, expected_from, found,
                                           found < num_fields ? "missing" : "extra"));
        }
        Cell bad = cell;
        if (bad.status == CellStatus::Ok) bad.status = CellStatus::NotANumber;
        parser.fail_cell(line_no, j, bad);
      }
      if (j == label) {
        *label_out = checked_label(cell, line_no, j);
      } else {
        const float f = static_cast<float>(cell.value);
        if (!std::isfinite(f)) {  // finite in double, beyond float's range
          Cell bad = cell;
          bad.status = CellStatus::NotFinite;
          parser.fail_cell(line_no, j, bad);
        }
        *out++ = f;
        *all_bytes = *all_bytes && cell.whole_byte;
      }
      c = at_end ? line.end : cell.end + 1;
    }
  }

  int32_t checked_label(const Cell& cell, int64_t line_no, int64_t j) const {
    const double v = cell.value;
    const std::string text = shown(cell.begin, cell.end);
    if (v != std::floor(v)) {
      parser.fail(line_no, fmt::format("{}: label {} is not a whole number (expected a class id "
                                       "0, 1, 2, ...; HINT: is the label column right? It is {})",
                                       parser.column(j), text, parser.options.label.str()));
    }
    if (v < 0) {
      parser.fail(line_no, fmt::format("{}: label {} is negative (expected a class id 0, 1, 2, "
                                       "...)",
                                       parser.column(j), text));
    }
    if (v > std::numeric_limits<int32_t>::max()) {
      parser.fail(line_no,
                  fmt::format("{}: label {} is too large for a class id", parser.column(j), text));
    }
    return static_cast<int32_t>(v);
  }
};

// ---- the whole file in memory ----

// A file's bytes: mapped read-only with every page loaded up front (MAP_POPULATE: one system
// call instead of a page fault per 4 KiB, and no copy), or read with read(2) when mapping fails
// (pipes, special files).
class FileText {
 public:
  explicit FileText(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail(fmt::format("cannot be opened: {}", std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(fmt::format("cannot be read: {}", std::strerror(errno)));
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0 && S_ISREG(st.st_mode)) {
      void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_, 0);
      if (m != MAP_FAILED) {
        mapped_ = static_cast<const char*>(m);
        return;
      }
    }
    // Fallback: read until end of file (st_size may be 0 for special files).
    char chunk[1 << 16];
    for (;;) {
      const ssize_t r = ::read(fd_, chunk, sizeof chunk);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) fail(fmt::format("cannot be read: {}", std::strerror(errno)));
      if (r == 0) break;
      buffer_.append(chunk, static_cast<size_t>(r));
    }
  }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;
  ~FileText() {
    if (mapped_) ::munmap(const_cast<char*>(mapped_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  std::string_view view() const {
    return mapped_ ? std::string_view(mapped_, size_) : std::string_view(buffer_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    throw DataError(fmt::format("{}: {}", path_, what));
  }
  std::string path_;
  int fd_ = -1;
  size_t size_ = 0;
  const char* mapped_ = nullptr;
  std::string buffer_;
};

// Asks for 2 MiB pages on a large buffer about to be filled: a page fault per 2 MiB instead of
// per 4 KiB. Only a hint; harmless when transparent huge pages are off.
void advise_huge_pages(void* data, size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (bytes < 4 * kHuge) return;
  const auto begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& name, const CsvOptions& options) {
  if (options.skip_rows < 0) {
    throw std::invalid_argument(
        fmt::format("read_csv: skip_rows is {}, expected >= 0", options.skip_rows));
  }
  if (options.delimiter == '\n' || options.delimiter == '\r' || options.delimiter == '"') {
    throw std::invalid_argument("read_csv: the delimiter cannot be a newline or a quote");
  }
  const char delim = options.delimiter;
  Parser parser{name, options, {}};

  // UTF-8 byte order mark, as written by Excel.
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (text.empty()) {
    throw DataError(
        fmt::format("{}: the file is empty (expected a header line and rows of "
                    "numbers)",
                    name));
  }
  // Blank lines (and spaces) at the end are ignored: cut them off once here.
  const char* p = text.data();
  const char* text_end = text.data() + text.size();
  while (text_end > p && (text_end[-1] == '\n' || text_end[-1] == '\r' || text_end[-1] == ' ' ||
                          (text_end[-1] == '\t' && delim != '\t'))) {
    --text_end;
  }

  int64_t line_no = 1;
  for (int64_t i = 0; i < options.skip_rows; ++i, ++line_no) {
    if (p >= text_end) {
      throw DataError(
          fmt::format("{}: has only {} lines, but skip_rows is {} (HINT: lower "
                      "skip_rows)",
                      name, line_no - 1, options.skip_rows));
    }
    p = next_line(p, text_end).next;
  }
  if (p >= text_end) {
    throw DataError(fmt::format("{}: no data{} (expected rows of numbers)", name,
                                options.skip_rows > 0
                                    ? fmt::format(" after skipping {} rows", options.skip_rows)
                                    : std::string(" (only blank lines)")));
  }

  // ---- first line: header or data? ----
  const Line first = next_line(p, text_end);
  if (is_blank_line(first)) {
    parser.fail(line_no, "the first line is blank, expected a header or a row of numbers");
  }
  const int64_t num_fields = count_fields(first, delim);
  bool has_header = options.header == Header::Present;
  if (options.header == Header::Auto) {
    const char* c = first.begin;
    for (int64_t j = 0; j < num_fields; ++j) {
      // Text makes a header; an empty or NaN cell is left for the data checks to report.
      const Cell cell = parse_cell(c, first.end, delim);
      if (cell.status == CellStatus::NotANumber || cell.status == CellStatus::Unterminated) {
        has_header = true;
        break;
      }
      c = cell.end < first.end ? cell.end + 1 : first.end;
    }
  }
  CsvTable table;
  table.path = name;
  table.has_header = has_header;
  table.column_names.reserve(static_cast<size_t>(num_fields));
  if (has_header) {
    const char* c = first.begin;
    for (int64_t j = 0; j < num_fields; ++j) {
      const char* e = c;
      while (e < first.end && *e != delim) ++e;
      table.column_names.emplace_back(trimmed_cell(c, e, delim));
      c = e < first.end ? e + 1 : e;
    }
    p = first.next;
    ++line_no;
  } else {
    for (int64_t j = 0; j < num_fields; ++j)
      table.column_names.push_back(fmt::format("column{}", j + 1));
  }
  parser.column_names = table.column_names;
  table.first_data_line = line_no;
  if (p >= text_end) {
    parser.fail(line_no - 1, fmt::format("has a header ({} columns) but no data rows", num_fields));
  }

  // ---- which column is the label ----
  int64_t label = -1;
  const LabelColumn& lc = options.label;
  if (lc.is_name()) {
    if (!has_header) {
      throw DataError(
          fmt::format("{}: the label column is {} but the file has no header (HINT: "
                      "choose the label column by index or 'last')",
                      name, lc.str()));
    }
    auto it = std::find(table.column_names.begin(), table.column_names.end(), lc.name_value());
    if (it == table.column_names.end()) {
      std::string some;
      for (size_t j = 0; j < table.column_names.size() && j < 5; ++j) {
        some += (j ? ", " : "") + table.column_names[j];
      }
      if (table.column_names.size() > 5) some += ", ...";
      parser.fail(line_no - 1, fmt::format("no column named '{}' for the labels (the columns are "
                                           "{})",
                                           lc.name_value(), some));
    }
    label = it - table.column_names.begin();
  } else if (!lc.is_none()) {
    label = lc.index_value() < 0 ? num_fields + lc.index_value() : lc.index_value();
    if (label < 0 || label >= num_fields) {
      parser.fail(line_no, fmt::format("the label column is {} but rows have {} fields (HINT: "
                                       "indices run from 0 to {}, or -1 for the last)",
                                       lc.str(), num_fields, num_fields - 1));
    }
  }
  table.label_index = label;
  table.cols = num_fields - (label >= 0 ? 1 : 0);
  if (table.cols == 0) {
    parser.fail(has_header ? line_no - 1 : line_no,
                fmt::format("the only column is the label: there are no feature columns "
                            "(HINT: is the delimiter {} right?)",
                            delimiter_name(delim)));
  }

  // ---- data rows ----
  // Every row takes at least 2 bytes per field ("0,"), which bounds the row count without a
  // pass over the text. Reserving that bound costs address space only: pages are touched as
  // rows are written.
  const auto bound = static_cast<size_t>(text_end - p) / static_cast<size_t>(2 * num_fields) + 1;
  table.features.reserve(bound * static_cast<size_t>(table.cols));
  advise_huge_pages(table.features.data(), table.features.capacity() * sizeof(float));
  if (label >= 0) table.labels.reserve(bound);
  const RowParser rows{
      parser, num_fields, label, delim,
      has_header ? fmt::format(" (as in the header on line {})", line_no - 1) : std::string()};
  uint32_t fast_or = 0;  // OR of every integer the fast path stored: <= 255 iff all bytes
  bool general_bytes = true;
  while (p < text_end) {
    const Line line = next_line(p, text_end);
    const size_t mark = table.features.size();
    table.features.resize(mark + static_cast<size_t>(table.cols));  // one row: stays in cache
    float* out = table.features.data() + mark;
    int32_t y = 0;
    if (!parse_row_fast(line, num_fields, label, delim, out, &y, &fast_or)) {
      rows.parse(line, line_no, out, &y, &general_bytes);
    }
    if (label >= 0) table.labels.push_back(y);
    ++table.rows;
    ++line_no;
    p = line.next;
  }
  table.features_are_bytes = (fast_or >> 8) == 0 && general_bytes;
  return table;
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) {
    throw DataError(
        fmt::format("{}: no such file (HINT: check the path; `make data` writes the "
                    "Fashion-MNIST CSVs into data/)",
                    path));
  }
  if (fs::is_directory(st)) {
    throw DataError(fmt::format("{}: is a directory, expected a CSV file", path));
  }
  const FileText text(path);
  return parse_csv(text.view(), path, options);
}

// ---- checks the apps make against a loaded model ----

void check_num_features(const CsvTable& table, int64_t expected, std::string_view what) {
  if (table.cols == expected) return;
  const int64_t line = table.has_header ? table.first_data_line - 1 : table.first_data_line;
  throw DataError(
      fmt::format("{}:{}: found {} feature columns but {} expects {} (HINT: the table "
                  "needs the same columns as the training data, label excluded; is "
                  "the label column right? It is {})",
                  table.path, line, table.cols, what, expected,
                  table.label_index < 0
                      ? std::string("none")
                      : fmt::format("column {} ('{}')", table.label_index + 1,
                                    table.column_names[static_cast<size_t>(table.label_index)])));
}

void check_labels_below(const CsvTable& table, int64_t num_classes, std::string_view what) {
  for (size_t i = 0; i < table.labels.size(); ++i) {
    if (table.labels[i] >= num_classes) {
      throw DataError(fmt::format("{}:{}: label {} is outside the classes of {} (expected 0..{})",
                                  table.path, table.line_of(static_cast<int64_t>(i)),
                                  table.labels[i], what, num_classes - 1));
    }
  }
}

}  // namespace minigrad::data
