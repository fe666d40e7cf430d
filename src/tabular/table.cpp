// Tables: a line-at-a-time reader with quoting, trimming and file:line errors, and read_table,
// which parses each column into floats or codes as the rows go by.
#include "minigrad/tabular/table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <unordered_map>

#include "minigrad/escape.hpp"
#include "spool.hpp"

namespace minigrad::tabular {

const std::vector<std::string>& default_na_values() {
  static const std::vector<std::string> values = {"NA",   "N/A",  "NaN",  "nan", "null",
                                                  "NULL", "None", "#N/A", "?"};
  return values;
}

bool is_missing(std::string_view cell, const std::vector<std::string>& na_values) {
  if (cell.empty()) return true;
  return std::find(na_values.begin(), na_values.end(), cell) != na_values.end();
}

bool parse_number(std::string_view cell, double& value) {
  if (cell.empty()) return false;
  const char* first = cell.data();
  const char* last = first + cell.size();
  if (*first == '+') ++first;  // "+3" is a number in every spreadsheet
  const auto [ptr, ec] = std::from_chars(first, last, value);
  return ec == std::errc() && ptr == last && std::isfinite(value);
}

bool decimal_comma_number(std::string_view cell) {
  const size_t comma = cell.find(',');
  if (comma == std::string_view::npos || cell.find(',', comma + 1) != std::string_view::npos ||
      cell.find('.') != std::string_view::npos)
    return false;
  std::string with_point(cell);
  with_point[comma] = '.';
  double v;
  return parse_number(with_point, v);
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

TableReader::TableReader(const std::string& path, const ReadOptions& options,
                         const std::string& name)
    : path_(!name.empty() ? name
            : path == "-" ? "<stdin>"
                          : path),
      delimiter_(options.delimiter),
      decimal_(options.decimal),
      max_line_bytes_(static_cast<size_t>(std::max<int64_t>(options.max_line_bytes, 1))) {
  std::error_code ec;
  if (path != "-" && std::filesystem::is_directory(path, ec))
    throw DataError(fmt::format("{}: is a directory, not a CSV file", path_));
  in_.open(path == "-" ? "/dev/stdin" : path, std::ios::binary);
  if (!in_) throw DataError(fmt::format("{}: no such file or not readable", path_));
  for (int64_t i = 0; i < options.skip_rows; ++i) {
    buffer_.clear();
    if (!append_line()) break;
  }
  bool found = false;
  std::streamoff first_at = 0;  // where the first row starts (with parts: the data, if no header)
  while ((first_at = options.parts > 1 ? std::streamoff(in_.tellg()) : 0, found = read_record()))
    if (!trim(buffer_).empty()) break;
  if (!found)
    throw DataError(
        fmt::format("{}: the file is empty (HINT: the first line must hold the column "
                    "names)",
                    path_));
  line_ = record_line_;
  if (buffer_.rfind("\xEF\xBB\xBF", 0) == 0) buffer_.erase(0, 3);  // a UTF-8 byte order mark
  split(buffer_, columns_);
  check_utf8(columns_);
  bool header = options.header == data::Header::Present;
  if (options.header == data::Header::Auto) {
    double v;
    header = !std::all_of(columns_.begin(), columns_.end(),
                          [&](const std::string& c) { return parse_number(c, v); });
  }
  if (!header) {  // the first row is data: keep it for next()
    pending_ = columns_;
    has_pending_ = true;
    pending_line_ = line_;
  }
  for (size_t c = 0; c < columns_.size(); ++c)
    if (!header || columns_[c].empty()) columns_[c] = fmt::format("column{}", c);
  // Columns are found by name (--label, --ignore, a model's features): a name must be one column.
  std::map<std::string, size_t> first_of;
  for (size_t c = 0; c < columns_.size(); ++c)
    if (const auto [it, fresh] = first_of.emplace(columns_[c], c); !fresh)
      throw DataError(fmt::format(
          "{}:{}: the column name '{}' is both column {} and column {} (counting from 0) (HINT: "
          "rename one: columns are found by name)",
          path_, line_, columns_[c], it->second, c));
  if (options.parts > 1) {
    in_.clear();  // a header without a newline after it leaves the stream at its end
    keep_part(options, header ? std::streamoff(in_.tellg()) : first_at);
  }
}

void TableReader::keep_part(const ReadOptions& o, std::streamoff data_start) {
  if (o.part < 0 || o.part >= o.parts)
    throw std::invalid_argument(fmt::format("part {} of {} does not exist", o.part, o.parts));
  const std::streamoff here = in_.tellg();  // after the header, or after a first row of data
  in_.seekg(0, std::ios::end);
  const std::streamoff end = in_.tellg(), size = end - data_start;
  const std::streamoff begin = data_start + size * o.part / o.parts;
  stop_ = data_start + size * (o.part + 1) / o.parts;
  if (o.part == 0) {  // the reader stood at its part's start already
    in_.seekg(here);
    return;
  }
  has_pending_ = false;  // a first row that is data belongs to part 0
  // The part's first row is the first line starting at `begin` or after: the one after the first
  // newline at begin - 1 or later. The newlines before it give its line number.
  in_.seekg(0);
  char chunk[1 << 16];
  std::streamoff at = 0, start = end;
  int64_t newlines = 0;
  while (start == end && (in_.read(chunk, sizeof chunk) || in_.gcount() > 0)) {
    const std::streamoff got = in_.gcount();
    for (std::streamoff i = 0; i < got && start == end; ++i)
      if (chunk[i] == '\n') {
        ++newlines;
        if (at + i >= begin - 1) start = at + i + 1;
      }
    at += got;
  }
  in_.clear();
  in_.seekg(start);
  lines_read_ = newlines;
}

bool TableReader::append_line() {
  char chunk[4096];
  bool any = false;
  for (;;) {
    in_.getline(chunk, sizeof chunk);
    const auto got = static_cast<size_t>(in_.gcount());
    if (in_.bad()) throw DataError(fmt::format("{}: cannot be read", path_));
    const bool full = in_.fail() && got == sizeof chunk - 1;  // no newline yet: more to come
    const bool newline = !in_.fail() && !in_.eof();           // taken, and counted in `got`
    buffer_.append(chunk, newline ? got - 1 : got);
    any = any || got > 0;
    if (buffer_.size() > max_line_bytes_)
      throw DataError(
          fmt::format("{}:{}: a line longer than {} bytes, the limit (HINT: is this a CSV file?)",
                      path_, lines_read_ + 1, max_line_bytes_));
    if (full) {
      in_.clear();
      continue;
    }
    if (!any) return false;                                              // the end of the input
    if (!buffer_.empty() && buffer_.back() == '\r') buffer_.pop_back();  // a CRLF file
    ++lines_read_;
    return true;
  }
}

namespace {

// Whether `t`, scanned from `i` on, ends inside a quoted cell; `quoted` says whether `i` is inside
// one. The same reading of quotes as split(): a quote opens a cell only at its start (after
// spaces), "" inside is one quote, and a lone quote closes it.
bool ends_quoted(std::string_view t, size_t i, bool quoted, char delimiter) {
  const size_t n = t.size();
  for (;;) {
    if (!quoted) {
      while (i < n && (t[i] == ' ' || t[i] == '\t') && t[i] != delimiter) ++i;
      quoted = i < n && t[i] == '"';
      if (quoted) {
        ++i;
        continue;
      }
    } else {
      for (;;) {
        const size_t q = t.find('"', i);
        if (q == std::string_view::npos) return true;
        i = q + 1;
        if (i < n && t[i] == '"') {
          ++i;
          continue;
        }
        break;
      }
      quoted = false;
    }
    const size_t end = t.find(delimiter, i);  // the rest of the cell
    if (end == std::string_view::npos) return false;
    i = end + 1;
  }
}

}  // namespace

bool TableReader::read_record() {
  buffer_.clear();
  if (!append_line()) return false;
  record_line_ = lines_read_;
  size_t from = 0;
  bool quoted = false;
  while (ends_quoted(buffer_, from, quoted, delimiter_)) {
    from = buffer_.size() + 1;  // the next line, inside the quoted cell
    quoted = true;
    buffer_ += '\n';
    if (!append_line())
      throw DataError(
          fmt::format("{}:{}: a quoted cell is still open at the end of the file (HINT: a \" "
                      "at the start of a cell opens it; inside one, write a quote as \"\")",
                      path_, record_line_));
  }
  return true;
}

void TableReader::split(const std::string& text, std::vector<std::string>& cells) const {
  cells.clear();
  size_t i = 0;
  const size_t n = text.size();
  while (true) {
    std::string cell;
    size_t start = i;
    while (i < n && (text[i] == ' ' || text[i] == '\t') && text[i] != delimiter_) ++i;
    if (i < n && text[i] == '"') {  // quoted: up to the closing quote, "" is one quote
      ++i;
      while (i < n) {
        if (text[i] == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell += text[i++];
      }
      while (i < n && text[i] != delimiter_) ++i;  // spaces after the closing quote
      cells.push_back(std::move(cell));
    } else {
      i = start;
      while (i < n && text[i] != delimiter_) ++i;
      cells.emplace_back(trim(std::string_view(text).substr(start, i - start)));
    }
    if (i >= n) break;
    ++i;  // the delimiter
  }
  if (decimal_ == ',')
    for (std::string& cell : cells)
      if (decimal_comma_number(cell)) cell[cell.find(',')] = '.';
}

// Names, categories and classes end up in the model file's JSON metadata, which is UTF-8: a
// file in another encoding is refused where it is read, not after training.
void TableReader::check_utf8(const std::vector<std::string>& cells) const {
  for (size_t c = 0; c < cells.size(); ++c) {
    const size_t at = first_invalid_utf8(cells[c]);
    if (at == std::string::npos) continue;
    throw DataError(fmt::format(
        "{}:{}: the cell '{}' (column {}, counting from 0) is not UTF-8 text: byte 0x{:02X} at "
        "its position {} (HINT: the "
        "file is in another encoding, often Latin-1 or Windows-1252: convert it, e.g. iconv -f "
        "WINDOWS-1252 -t UTF-8 {} > converted.csv)",
        path_, line_, escape_bytes(cells[c]), c, static_cast<unsigned char>(cells[c][at]), at,
        path_));
  }
}

bool TableReader::next(std::vector<std::string>& cells) {
  if (has_pending_) {
    has_pending_ = false;
    cells = pending_;
    line_ = pending_line_;
    return true;
  }
  while ((stop_ < 0 || in_.tellg() < stop_) && read_record()) {
    line_ = record_line_;
    if (trim(buffer_).empty()) continue;  // blank lines (a trailing one is common)
    split(buffer_, cells);
    check_utf8(cells);
    if (cells.size() != columns_.size())
      throw DataError(
          fmt::format("{}:{}: expected {} fields like the header, found {} (HINT: is "
                      "the delimiter '{}' right, or a cell missing?)",
                      path_, line_, columns_.size(), cells.size(),
                      delimiter_ == '\t' ? std::string("tab") : std::string(1, delimiter_)));
    return true;
  }
  return false;
}

bool Table::missing(int64_t row, int64_t col) const {
  const TableColumn& c = data[static_cast<size_t>(col)];
  if (c.storage == Storage::Auto) return std::isnan(c.numbers[static_cast<size_t>(row)]);
  return c.storage == Storage::Skip || c.codes[static_cast<size_t>(row)] < 0;
}

bool Table::number(int64_t row, int64_t col, double& value) const {
  const TableColumn& c = data[static_cast<size_t>(col)];
  if (c.storage == Storage::Auto) {
    value = c.numbers[static_cast<size_t>(row)];
    return !std::isnan(value);
  }
  return !missing(row, col) && parse_number(text(row, col), value);
}

const std::string& Table::text(int64_t row, int64_t col) const {
  static const std::string empty;
  const TableColumn& c = data[static_cast<size_t>(col)];
  if (c.storage != Storage::Text || c.codes[static_cast<size_t>(row)] < 0) return empty;
  return c.values[static_cast<size_t>(c.codes[static_cast<size_t>(row)])];
}

namespace {

constexpr int32_t kReread = -2;  // a code to fill in by a second pass over the file

// Builds one column cell by cell. An Auto column that meets a cell that is not a number becomes
// Text; its earlier numbers cannot be spelled back exactly, so they are marked for a re-read.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(TableColumn& column) : c_(column) {}

  void add(const std::string& cell, bool missing) {
    if (c_.storage == Storage::Skip) return;
    if (c_.storage == Storage::Auto) {
      double v;
      if (missing) {
        c_.numbers.push_back(std::numeric_limits<float>::quiet_NaN());
        return;
      }
      if (parse_number(cell, v)) {  // through double, as the model's float of a parsed cell
        c_.numbers.push_back(static_cast<float>(v));
        return;
      }
      to_text();
    }
    c_.codes.push_back(missing ? -1 : code_of(cell));
  }
  bool needs_reread() const { return reread_; }
  void fill(int64_t row, const std::string& cell, bool missing) {
    int32_t& code = c_.codes[static_cast<size_t>(row)];
    if (code == kReread) code = missing ? -1 : code_of(cell);
  }
  void finish() { index_.clear(); }

 private:
  int32_t code_of(const std::string& cell) {
    const auto [it, added] = index_.try_emplace(cell, static_cast<int32_t>(c_.values.size()));
    if (added) c_.values.push_back(cell);
    return it->second;
  }
  void to_text() {
    c_.storage = Storage::Text;
    c_.codes.reserve(c_.numbers.capacity());
    for (float v : c_.numbers) {
      c_.codes.push_back(std::isnan(v) ? -1 : kReread);
      reread_ = reread_ || !std::isnan(v);
    }
    std::vector<float>().swap(c_.numbers);
  }

  TableColumn& c_;
  std::unordered_map<std::string, int32_t> index_;
  bool reread_ = false;
};

}  // namespace

Table read_table(const std::string& path, const ReadOptions& options,
                 const std::vector<std::string>& na_values, const StoragePlan& plan) {
  const std::string name = path == "-" ? "<stdin>" : path;
  std::optional<Spool> spool;
  if (is_stream(path))
    spool.emplace(path, name, static_cast<size_t>(std::max<int64_t>(options.max_line_bytes, 1)));
  const std::string& file = spool ? spool->path() : path;
  TableReader reader(file, options, name);
  Table t;
  t.path = name;
  t.columns = reader.columns();
  const std::vector<Storage> storage =
      plan ? plan(t.columns) : std::vector<Storage>(t.columns.size(), Storage::Auto);
  t.data.resize(t.columns.size());
  std::vector<ColumnBuilder> builders;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    t.data[c].storage = storage[c];
    builders.emplace_back(t.data[c]);
  }
  std::vector<std::string> row;
  while (reader.next(row)) {
    for (size_t c = 0; c < row.size(); ++c) builders[c].add(row[c], is_missing(row[c], na_values));
    t.lines.push_back(reader.line());
    ++t.rows;
  }
  if (t.rows == 0 && options.parts == 1)
    throw DataError(fmt::format("{}: has a header but no data rows", name));
  if (std::any_of(builders.begin(), builders.end(),
                  [](const ColumnBuilder& b) { return b.needs_reread(); })) {
    TableReader again(file, options, name);
    for (int64_t r = 0; r < t.rows && again.next(row); ++r)
      for (size_t c = 0; c < row.size(); ++c)
        if (builders[c].needs_reread()) builders[c].fill(r, row[c], is_missing(row[c], na_values));
  }
  for (ColumnBuilder& b : builders) b.finish();
  return t;
}

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  const size_t shown = std::min<size_t>(columns.size(), 30);
  for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + columns[i];
  if (shown < columns.size()) out += fmt::format(", ... ({} in all)", columns.size());
  return out;
}

int64_t find_column(const std::vector<std::string>& columns, const std::string& ref,
                    const std::string& flag, const std::string& path) {
  const auto it = std::find(columns.begin(), columns.end(), ref);
  if (it != columns.end()) return it - columns.begin();
  const auto n = static_cast<int64_t>(columns.size());
  if (ref == "last") return n - 1;
  int64_t index = 0;
  const auto [ptr, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), index);
  if (ec == std::errc() && ptr == ref.data() + ref.size() && index >= -n && index < n)
    return index < 0 ? n + index : index;  // -1 is the last column, as in Python
  throw DataError(
      fmt::format("{}: no column '{}' in {}; its columns are: {} (HINT: give a name, "
                  "a 0-based index, or a negative one counting from the end: -1 is the last)",
                  flag, ref, path, column_list(columns)));
}

}  // namespace minigrad::tabular
