// CSV reader, the table side: decides header and label column and assembles the rows that
// csv_row.cpp tokenizes from the text that csv_file.cpp maps. Features are stored as bytes while
// every value so far is a whole number in 0..255 (Fashion-MNIST: 47 MB instead of 188 MB of
// floats) and switch to floats at the first value that is not. No std::string per cell, no
// iostreams: the 133 MB training CSV loads in about a quarter of a second.
#include "minigrad/data/csv.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include "csv_file.hpp"
#include "csv_row.hpp"
#include "minigrad/data/class_labels.hpp"
#include "minigrad/escape.hpp"

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

int64_t CsvTable::num_classes() const { return ClassLabels::of(labels).size(); }

std::vector<float> CsvTable::features_as_floats() const {
  if (!features_are_bytes) return features;
  return std::vector<float>(feature_bytes.begin(), feature_bytes.end());
}

namespace {

using csv_detail::Cell;
using csv_detail::CellStatus;
using csv_detail::count_fields;
using csv_detail::delimiter_name;
using csv_detail::fail_at;
using csv_detail::FileText;
using csv_detail::is_blank_line;
using csv_detail::Line;
using csv_detail::next_line;
using csv_detail::parse_cell;
using csv_detail::RowReader;
using csv_detail::split_cells;

// Asks for 2 MiB pages on a large buffer about to be filled: a page fault per 2 MiB instead of
// per 4 KiB. Only a hint; harmless when transparent huge pages are off.
void advise_huge_pages([[maybe_unused]] void* data, [[maybe_unused]] size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (bytes < 4 * kHuge) return;
  const auto begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

// A record without an end within the limit: not a table (a file of zeros, a 2 GB header).
[[noreturn]] void fail_too_long(const std::string& name, int64_t line_no, int64_t max_bytes) {
  fail_at(name, line_no,
          fmt::format("a line longer than {} bytes, the limit (HINT: is this a CSV file? A cell "
                      "whose quote is never closed also runs on to the end)",
                      max_bytes));
}

// The bytes read so far become floats (exactly: every byte is a float), for a table that has
// just shown a value outside 0..255 or a fraction. Room for `bound` rows is reserved as before.
void widen_to_floats(CsvTable& table, size_t bound) {
  table.features.reserve(bound * static_cast<size_t>(table.cols));
  advise_huge_pages(table.features.data(), table.features.capacity() * sizeof(float));
  table.features.assign(table.feature_bytes.begin(), table.feature_bytes.end());
  std::vector<uint8_t>().swap(table.feature_bytes);
  table.features_are_bytes = false;
}

// Every data row from p to text_end (line_no is p's line, `bound` an upper bound on the rows)
// into the table: into feature_bytes while every value is a whole number in 0..255, into
// features from the first row that has another value. A table of pixels never holds floats.
// `file`, when not null, holds the text and is told as rows are done with.
void read_rows(const RowReader& rows, const char* p, const char* text_end, int64_t line_no,
               size_t bound, CsvTable& table, FileText* file) {
  const auto cols = static_cast<size_t>(table.cols);
  table.features_are_bytes = true;
  table.feature_bytes.reserve(bound * cols);
  advise_huge_pages(table.feature_bytes.data(), table.feature_bytes.capacity());
  if (table.label_index >= 0) table.labels.reserve(bound);
  std::vector<float> row(cols);  // a row for the general reader while the table is bytes
  const int64_t max_bytes = rows.max_line_bytes();
  while (p < text_end) {
    const Line line = next_line(p, text_end, static_cast<size_t>(max_bytes));
    if (line.too_long) fail_too_long(table.path, line_no, max_bytes);
    int32_t y = 0;
    if (table.features_are_bytes) {
      std::vector<uint8_t>& bytes = table.feature_bytes;
      const size_t mark = bytes.size();
      bytes.resize(mark + cols);  // one row: stays in cache
      if (!rows.read_plain(line, bytes.data() + mark, &y)) {
        bool all_bytes = true;
        rows.read(line, line_no, row.data(), &y, &all_bytes);
        if (all_bytes) {
          std::transform(row.begin(), row.end(), bytes.begin() + static_cast<ptrdiff_t>(mark),
                         [](float v) { return static_cast<uint8_t>(v); });
        } else {
          bytes.resize(mark);
          widen_to_floats(table, bound);
          table.features.insert(table.features.end(), row.begin(), row.end());
        }
      }
    } else {
      const size_t mark = table.features.size();
      table.features.resize(mark + cols);
      float* out = table.features.data() + mark;
      if (!rows.read_plain(line, out, &y)) {
        bool all_bytes = true;  // no longer needed: the table stays floats
        rows.read(line, line_no, out, &y, &all_bytes);
      }
    }
    if (table.label_index >= 0) table.labels.push_back(y);
    ++table.rows;
    line_no += 1 + line.newlines;
    p = line.next;
    if (file) file->advance(p);
  }
}

// ---- parse_text's steps, in the order they meet the file ----

// Options no file can make sense of.
void check_options(const CsvOptions& options) {
  if (options.skip_rows < 0) {
    throw std::invalid_argument(
        fmt::format("read_csv: skip_rows is {}, expected >= 0", options.skip_rows));
  }
  if (options.delimiter == '\n' || options.delimiter == '\r' || options.delimiter == '"') {
    throw std::invalid_argument("read_csv: the delimiter cannot be a newline or a quote");
  }
  if (options.max_line_bytes < 1) {
    throw std::invalid_argument(
        fmt::format("read_csv: max_line_bytes is {}, expected >= 1", options.max_line_bytes));
  }
  if (options.max_classes < 1 || options.max_classes > std::numeric_limits<int32_t>::max()) {
    throw std::invalid_argument(
        fmt::format("read_csv: max_classes is {}, expected 1..2147483647", options.max_classes));
  }
  if (options.parts < 1 || options.part < 0 || options.part >= options.parts) {
    throw std::invalid_argument(fmt::format(
        "read_csv: part is {} of {}, expected 0 <= part < parts", options.part, options.parts));
  }
}

// The part of the text still to read: p starts line line_no; end is past the last character that
// is not a trailing blank.
struct Cursor {
  const char* p;
  const char* end;
  int64_t line_no = 1;
};

// The text without a UTF-8 byte order mark (as Excel writes) and without blank lines and spaces
// at the end, which are ignored: cut off once here.
Cursor trimmed_text(std::string_view text, const std::string& name, char delim) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (text.empty()) {
    throw DataError(
        fmt::format("{}: the file is empty (expected a header line and rows of "
                    "numbers)",
                    name));
  }
  Cursor at{text.data(), text.data() + text.size()};
  while (at.end > at.p && (at.end[-1] == '\n' || at.end[-1] == '\r' || at.end[-1] == ' ' ||
                           (at.end[-1] == '\t' && delim != '\t'))) {
    --at.end;
  }
  return at;
}

// Skips options.skip_rows lines; something must be left after them.
void skip_lines(Cursor& at, const std::string& name, int64_t skip_rows, int64_t max_bytes) {
  for (int64_t i = 0; i < skip_rows; ++i) {
    if (at.p >= at.end) {
      throw DataError(
          fmt::format("{}: has only {} lines, but skip_rows is {} (HINT: lower "
                      "skip_rows)",
                      name, at.line_no - 1, skip_rows));
    }
    const Line line = next_line(at.p, at.end, static_cast<size_t>(max_bytes));
    if (line.too_long) fail_too_long(name, at.line_no, max_bytes);
    at.p = line.next;
    at.line_no += 1 + line.newlines;
  }
  if (at.p >= at.end) {
    throw DataError(fmt::format("{}: no data{} (expected rows of numbers)", name,
                                skip_rows > 0 ? fmt::format(" after skipping {} rows", skip_rows)
                                              : std::string(" (only blank lines)")));
  }
}

// Narrows `at` (the data rows) to part `part` of `parts`: the lines that start in that share of
// the bytes. A data row is one line (a newline in a quoted number is an error anyway), so the
// newlines before the part, counted a window at a time (released behind: FileText::advance),
// give its first row and line.
void select_part(Cursor& at, int64_t part, int64_t parts, CsvTable& table, FileText* file) {
  const char* data = at.p;
  const auto bytes = static_cast<uint64_t>(at.end - data), n = static_cast<uint64_t>(parts);
  auto start_of = [&](uint64_t k) -> const char* {  // the first line that starts in share k
    const uint64_t offset = bytes / n * k + bytes % n * k / n;
    if (offset == 0 || k == n) return k == n ? at.end : data;
    const void* nl = std::memchr(data + offset - 1, '\n', bytes - offset + 1);
    return nl ? static_cast<const char*>(nl) + 1 : at.end;
  };
  const char* begin = start_of(static_cast<uint64_t>(part));
  for (const char* q = data; q < begin; file ? file->advance(q) : void()) {
    const char* stop = begin - q > (1 << 20) ? q + (1 << 20) : begin;
    table.first_row += std::count(q, stop, '\n');
    q = stop;
  }
  if (begin == at.end && begin > data) ++table.first_row;  // an empty last part: after the last row
  at.end = std::max(begin, start_of(static_cast<uint64_t>(part) + 1));
  at.p = begin;
  at.line_no += table.first_row;
  table.first_data_line = at.line_no;
}

// Header::Auto: the first line is a header when one of its cells is text. An empty or NaN cell
// is left for the data checks to report.
bool looks_like_header(const Line& first, int64_t num_fields, char delim) {
  const char* c = first.begin;
  for (int64_t j = 0; j < num_fields; ++j) {
    const Cell cell = parse_cell(c, first.end, delim);
    if (cell.status == CellStatus::NotANumber || cell.status == CellStatus::Unterminated)
      return true;
    c = cell.end < first.end ? cell.end + 1 : first.end;
  }
  return false;
}

// The header's cells split at the delimiter, trimmed and unquoted, or column1, column2, ...
// without one.
std::vector<std::string> column_names(const Line& first, int64_t num_fields, bool has_header,
                                      char delim) {
  if (has_header) return split_cells(first, delim);
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(num_fields));
  for (int64_t j = 0; j < num_fields; ++j) names.push_back(fmt::format("column{}", j + 1));
  return names;
}

// The label column's index in each row (-1 for none), from a name in the header or an index
// (negative counts from the end). `line_no`, for messages, is the first line (the header's).
int64_t find_label_column(const CsvTable& table, const LabelColumn& lc, int64_t num_fields,
                          int64_t line_no) {
  const std::string& name = table.path;
  if (lc.is_none()) return -1;
  if (lc.is_name()) {
    if (!table.has_header) {
      throw DataError(
          fmt::format("{}: the label column is {} but the file has no header (HINT: "
                      "choose the label column by index or 'last')",
                      name, lc.str()));
    }
    const std::vector<std::string>& names = table.column_names;
    auto it = std::find(names.begin(), names.end(), lc.name_value());
    if (it == names.end()) {
      std::string some;
      for (size_t j = 0; j < names.size() && j < 5; ++j)
        some += (j ? ", " : "") + escape_bytes(names[j], 40);
      if (names.size() > 5) some += ", ...";
      fail_at(name, line_no,
              fmt::format("no column named '{}' for the labels (the columns are {})",
                          lc.name_value(), some));
    }
    return it - names.begin();
  }
  const int64_t label = lc.index_value() < 0 ? num_fields + lc.index_value() : lc.index_value();
  if (label < 0 || label >= num_fields) {
    fail_at(name, line_no,
            fmt::format("the label column is {} but rows have {} fields (HINT: indices run from 0 "
                        "to {}, or -1 for the last)",
                        lc.str(), num_fields, num_fields - 1));
  }
  return label;
}

// parse_csv, with the file holding `text` when there is one (see read_rows).
CsvTable parse_text(std::string_view text, const std::string& name, const CsvOptions& options,
                    FileText* file) {
  check_options(options);
  const char delim = options.delimiter;
  Cursor at = trimmed_text(text, name, delim);
  skip_lines(at, name, options.skip_rows, options.max_line_bytes);

  // ---- first line: header or data? ----
  const Line first = next_line(at.p, at.end, static_cast<size_t>(options.max_line_bytes));
  if (first.too_long) fail_too_long(name, at.line_no, options.max_line_bytes);
  const int64_t first_line = at.line_no;  // the header's line, when there is one
  if (is_blank_line(first)) {
    fail_at(name, at.line_no, "the first line is blank, expected a header or a row of numbers");
  }
  const int64_t num_fields = count_fields(first, delim);
  CsvTable table;
  table.path = name;
  table.has_header =
      options.header == Header::Present ||
      (options.header == Header::Auto && looks_like_header(first, num_fields, delim));
  table.column_names = column_names(first, num_fields, table.has_header, delim);
  if (static_cast<int64_t>(table.column_names.size()) != num_fields) {  // only a broken quote
    fail_at(name, first_line,
            fmt::format("the header splits into {} names but {} fields (HINT: close every quote "
                        "opened in a name, and write a quote inside a name twice)",
                        table.column_names.size(), num_fields));
  }
  if (table.has_header) {
    at.p = first.next;
    at.line_no += 1 + first.newlines;
  }
  table.first_data_line = at.line_no;
  if (at.p >= at.end) {
    fail_at(name, first_line,
            fmt::format("has a header ({} columns) but no data rows", num_fields));
  }

  // ---- which column is the label ----
  const int64_t label = find_label_column(table, options.label, num_fields, first_line);
  table.label_index = label;
  table.cols = num_fields - (label >= 0 ? 1 : 0);
  if (table.cols == 0) {
    fail_at(name, first_line,
            fmt::format("the only column is the label: there are no feature columns (HINT: is "
                        "the delimiter {} right?)",
                        delimiter_name(delim)));
  }

  // ---- data rows: all of them, or a part ----
  if (options.parts > 1) select_part(at, options.part, options.parts, table, file);
  // Every row takes at least 2 bytes per field ("0,"), which bounds the row count without a
  // pass over the text. Reserving that bound costs address space only: pages are touched as
  // rows are written.
  const auto bound = static_cast<size_t>(at.end - at.p) / static_cast<size_t>(2 * num_fields) + 1;
  const RowReader rows(name, options, table.column_names, num_fields, label,
                       table.has_header ? first_line : 0);
  read_rows(rows, at.p, at.end, at.line_no, bound, table, file);
  if (label >= 0) class_labels_of(table, options.max_classes);  // throws past the limit
  return table;
}

}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& name, const CsvOptions& options) {
  return parse_text(text, name, options, nullptr);
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  check_options(options);
  if (path == "-") {  // standard input, read as a stream
    FileText text(path, "<stdin>", options.max_line_bytes);
    return parse_text(text.view(), "<stdin>", options, &text);
  }
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
  FileText text(path, path, options.max_line_bytes);
  return parse_text(text.view(), path, options, &text);
}

// ---- checks the apps make against a loaded model ----

void check_num_features(const CsvTable& table, int64_t expected, std::string_view what) {
  if (table.cols == expected) return;
  const int64_t first = table.first_data_line - table.first_row;  // of the file, not the part
  const int64_t line = table.has_header ? first - 1 : first;
  throw DataError(fmt::format(
      "{}:{}: found {} feature columns but {} expects {} (HINT: the table "
      "needs the same columns as the training data, label excluded; is "
      "the label column right? It is {})",
      table.path, line, table.cols, what, expected,
      table.label_index < 0
          ? std::string("none")
          : fmt::format(
                "column {} ('{}')", table.label_index + 1,
                escape_bytes(table.column_names[static_cast<size_t>(table.label_index)], 40))));
}

}  // namespace minigrad::data
