// The CSV tokenizer: one cell, one line, one row. Rows of plain non-negative integers (every
// Fashion-MNIST row) take a tight loop of digits and delimiters; any other row goes through the
// general cell parser (std::from_chars), which also finds what is wrong for the error message.
// No std::string per cell: nothing here allocates unless it is about to throw.
#include "csv_row.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "minigrad/escape.hpp"

namespace minigrad::data::csv_detail {

namespace {

inline bool is_blank(char c, char delimiter) { return (c == ' ' || c == '\t') && c != delimiter; }

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Text of a cell for a message, shortened so a binary file does not flood the terminal.
// A cell's text for a message: control bytes escaped (a NUL would end the message), cut at 40.
std::string shown(const char* b, const char* e) {
  return escape_bytes(std::string_view(b, static_cast<size_t>(e - b)), 40);
}

}  // namespace

// ---- lines ----

bool is_blank_line(const Line& line) {
  for (const char* p = line.begin; p < line.end; ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\r') return false;
  }
  return true;
}

Line quoted_record(const char* p, const char* text_end, size_t max_bytes) {
  const auto left = static_cast<size_t>(text_end - p);
  const char* const limit = p + (left < max_bytes ? left : max_bytes);
  Line line{p, nullptr, nullptr};
  bool quoted = false;  // a doubled quote ("") inside a quoted cell toggles twice: no change
  const char* c = p;
  for (; c < limit; ++c) {
    if (*c == '"') {
      quoted = !quoted;
    } else if (*c == '\n') {
      if (!quoted) break;
      ++line.newlines;
    }
  }
  if (c == limit && limit < text_end) {
    line.end = line.next = limit;
    line.too_long = true;
    return line;
  }
  // A quote still open at the end of the text: the cell parser reports it.
  line.end = c;
  line.next = c < text_end ? c + 1 : text_end;
  if (line.end > line.begin && line.end[-1] == '\r') --line.end;
  return line;
}

int64_t count_fields(const Line& line, char delimiter) {
  int64_t fields = 1;
  bool quoted = false;
  for (const char* c = line.begin; c < line.end; ++c) {
    if (*c == '"') quoted = !quoted;
    if (*c == delimiter && !quoted) ++fields;
  }
  return fields;
}

std::vector<std::string> split_cells(const Line& line, char delimiter) {
  std::vector<std::string> cells;
  const char* c = line.begin;
  for (;;) {
    while (c < line.end && is_blank(*c, delimiter)) ++c;
    std::string cell;
    if (c < line.end && *c == '"') {
      for (++c; c < line.end; ++c) {
        if (*c == '"' && c + 1 < line.end && c[1] == '"') {
          cell += *c++;
        } else if (*c == '"') {
          ++c;
          break;
        } else {
          cell += *c;
        }
      }
    }
    const char* e = c;
    while (e < line.end && *e != delimiter) ++e;
    const char* t = e;  // text after a closing quote, or the whole unquoted cell
    while (t > c && is_blank(t[-1], delimiter)) --t;
    cell.append(c, t);
    cells.push_back(std::move(cell));
    if (e >= line.end) return cells;
    c = e + 1;
  }
}

int64_t line_at(const Line& line, int64_t line_no, const char* at) {
  if (line.newlines == 0) return line_no;
  return line_no + std::count(line.begin, std::min(at, line.end), '\n');
}

// ---- cells ----

Cell parse_cell(const char* p, const char* line_end, char delimiter) {
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

void fail_at(const std::string& name, int64_t line, const std::string& what) {
  throw DataError(fmt::format("{}:{}: {}", name, line, what));
}

// ---- rows ----

RowReader::RowReader(const std::string& name, const CsvOptions& options,
                     std::vector<std::string> column_names, int64_t num_fields, int64_t label,
                     int64_t header_line)
    : name_(name),
      options_(options),
      column_names_(std::move(column_names)),
      num_fields_(num_fields),
      label_(label),
      expected_from_(header_line > 0 ? fmt::format(" (as in the header on line {})", header_line)
                                     : std::string()) {}

namespace {

// Cells of 1 to 9 digits right between delimiters (no blanks, quotes, signs or decimals).
// Returns false at the first other cell, and (bytes only) when a feature is above 255: the OR of
// every feature stays below 256 only if each does, so the check costs one test per row.
// (A branch-free 4-byte SWAR digit parser was tried here: slower on this machine.)
template <typename T>
inline bool read_plain_row(const Line& line, int64_t num_fields, int64_t label, char delim, T* out,
                           int32_t* label_out) {
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
      *out++ = static_cast<T>(v);
      all_or |= v;
    }
  }
  if constexpr (sizeof(T) == 1) return all_or <= 255;
  return true;
}

}  // namespace

bool RowReader::read_plain(const Line& line, float* out, int32_t* label_out) const {
  return read_plain_row(line, num_fields_, label_, options_.delimiter, out, label_out);
}

bool RowReader::read_plain(const Line& line, uint8_t* out, int32_t* label_out) const {
  return read_plain_row(line, num_fields_, label_, options_.delimiter, out, label_out);
}

void RowReader::read(const Line& line, int64_t line_no, float* out, int32_t* label_out,
                     bool* all_bytes) const {
  if (is_blank_line(line)) {
    fail(line_no,
         "blank line between rows (HINT: delete it; blank lines are only allowed at the end)");
  }
  const char delim = options_.delimiter;
  const char* c = line.begin;
  for (int64_t j = 0; j < num_fields_; ++j) {
    const Cell cell = parse_cell(c, line.end, delim);
    const bool at_end = cell.end == line.end;
    if (cell.status == CellStatus::Unterminated) {  // its quote hides the delimiters after it
      fail_cell(line_at(line, line_no, cell.begin), j, cell);
    }
    if (cell.status != CellStatus::Ok || at_end != (j == num_fields_ - 1)) {
      // Counting the fields only now keeps the common path to one pass over the line.
      const int64_t found = count_fields(line, delim);
      if (found != num_fields_) {
        fail(line_no,
             fmt::format("expected {} fields{}, found {} (HINT: is a value {}?)", num_fields_,
                         expected_from_, found, found < num_fields_ ? "missing" : "extra"));
      }
      Cell bad = cell;
      if (bad.status == CellStatus::Ok) bad.status = CellStatus::NotANumber;
      fail_cell(line_at(line, line_no, cell.begin), j, bad);
    }
    if (j == label_) {
      *label_out = checked_label(cell, line_at(line, line_no, cell.begin), j);
    } else {
      const float f = static_cast<float>(cell.value);
      if (!std::isfinite(f)) {  // finite in double, beyond float's range
        Cell bad = cell;
        bad.status = CellStatus::NotFinite;
        fail_cell(line_at(line, line_no, cell.begin), j, bad);
      }
      *out++ = f;
      *all_bytes = *all_bytes && cell.whole_byte;
    }
    c = at_end ? line.end : cell.end + 1;
  }
}

// ---- messages ----

void RowReader::fail(int64_t line, const std::string& what) const { fail_at(name_, line, what); }

std::string RowReader::column(int64_t j) const {
  if (static_cast<size_t>(j) < column_names_.size() && !column_names_[j].empty() &&
      column_names_[j] != fmt::format("column{}", j + 1)) {
    return fmt::format("column {} ('{}')", j + 1, escape_bytes(column_names_[j], 40));
  }
  return fmt::format("column {}", j + 1);
}

void RowReader::fail_cell(int64_t line, int64_t j, const Cell& cell) const {
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
                             column(j), text, delimiter_name(options_.delimiter)));
  }
}

int32_t RowReader::checked_label(const Cell& cell, int64_t line_no, int64_t j) const {
  const double v = cell.value;
  const std::string text = shown(cell.begin, cell.end);
  if (v != std::floor(v)) {
    fail(line_no, fmt::format("{}: label {} is not a whole number (expected a whole "
                              "number such as 0, 1, 2; HINT: is the label column right? It is {})",
                              column(j), text, options_.label.str()));
  }
  // Any 32-bit integer is a label (class_labels.hpp makes them classes 0..K-1); the count of
  // distinct ones is bounded by max_classes once the rows are read.
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    fail(line_no, fmt::format("{}: label {} does not fit a 32-bit integer (expected a whole number "
                              "from -2147483648 to 2147483647; HINT: is the label column right? "
                              "It is {})",
                              column(j), text, options_.label.str()));
  }
  return static_cast<int32_t>(v);
}

}  // namespace minigrad::data::csv_detail
