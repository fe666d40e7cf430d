// The CSV tokenizer, internal to read_csv: lines, cells, and the two row readers (a tight one
// for rows of plain integers, a general one for everything else that also writes the error
// messages). csv.cpp assembles these rows into a table; this part knows nothing of files or
// of how the features are stored.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "minigrad/data/csv.hpp"

namespace minigrad::data::csv_detail {

// ---- lines ----

// One record: a line, or several when a quoted cell holds newlines (RFC 4180).
struct Line {
  const char* begin;
  const char* end;        // '\r' of a CRLF excluded
  const char* next;       // start of the next record
  int64_t newlines = 0;   // inside quoted cells: the record's last line is line_no + newlines
  bool too_long = false;  // no end within max_bytes (begin..end then holds the first max_bytes)
};

/// A record that holds a quote: its end is the first newline outside quotes.
Line quoted_record(const char* p, const char* text_end, size_t max_bytes);

/// The record starting at p. The common line without quotes costs two memchr calls; a line
/// (or record) longer than max_bytes comes back too_long instead of being searched to its end.
inline Line next_line(const char* p, const char* text_end, size_t max_bytes) {
  const auto left = static_cast<size_t>(text_end - p);
  const size_t n = left < max_bytes ? left : max_bytes;
  const void* nl = std::memchr(p, '\n', n);
  const char* e = nl ? static_cast<const char*>(nl) : p + n;
  if (std::memchr(p, '"', static_cast<size_t>(e - p))) return quoted_record(p, text_end, max_bytes);
  if (!nl && n < left) return Line{p, e, e, 0, true};
  Line line{p, e, nl ? e + 1 : text_end};
  if (line.end > line.begin && line.end[-1] == '\r') --line.end;
  return line;
}

bool is_blank_line(const Line& line);
/// Cells in a record; a delimiter inside quotes does not count.
int64_t count_fields(const Line& line, char delimiter);
/// The record's cells, trimmed and unquoted ("a ""b""" is a "b"), for the header's names.
std::vector<std::string> split_cells(const Line& line, char delimiter);
/// The line number of `at`, a character of the record that starts on line line_no.
int64_t line_at(const Line& line, int64_t line_no, const char* at);

// ---- cells ----

enum class CellStatus { Ok, Empty, NotANumber, NotFinite, Unterminated };

struct Cell {
  CellStatus status = CellStatus::Ok;
  double value = 0.0;           // exact for plain integers; from_chars<double> otherwise
  bool whole_byte = false;      // a whole number in 0..255
  const char* begin = nullptr;  // the cell's text, for messages
  const char* end = nullptr;    // where parsing stopped: the delimiter or the line end
};

/// Parses one cell starting at p; stops at the delimiter or line_end (never past them).
Cell parse_cell(const char* p, const char* line_end, char delimiter);
/// "','", "tab", "space", ... for messages.
std::string delimiter_name(char d);
/// Throws DataError("name:line: what").
[[noreturn]] void fail_at(const std::string& name, int64_t line, const std::string& what);

// ---- rows ----

/// Reads the data rows of one table: `num_fields` cells per line, the one at `label` (or none
/// when label < 0) a 32-bit integer label, the others features. Every error names file:line and
/// the column.
class RowReader {
 public:
  RowReader(const std::string& name, const CsvOptions& options,
            std::vector<std::string> column_names, int64_t num_fields, int64_t label,
            int64_t header_line);

  /// The common case: every cell a plain integer of 1 to 9 digits right between delimiters
  /// (every Fashion-MNIST row). Writes the row's features to out (cols) and its label; returns
  /// false, with out partly written, for any other row (hand it to read()). The uint8_t
  /// version also returns false when a feature is above 255.
  bool read_plain(const Line& line, float* out, int32_t* label_out) const;
  bool read_plain(const Line& line, uint8_t* out, int32_t* label_out) const;

  /// Any row: quotes, blanks, signs, decimals and exponents, or throws DataError naming what is
  /// wrong. Writes the features to out (cols) and the label; clears *all_bytes unless every
  /// feature is a whole number in 0..255.
  void read(const Line& line, int64_t line_no, float* out, int32_t* label_out,
            bool* all_bytes) const;

  int64_t max_line_bytes() const { return options_.max_line_bytes; }

 private:
  [[noreturn]] void fail(int64_t line, const std::string& what) const;
  std::string column(int64_t j) const;
  [[noreturn]] void fail_cell(int64_t line, int64_t j, const Cell& cell) const;
  int32_t checked_label(const Cell& cell, int64_t line_no, int64_t j) const;

  const std::string& name_;
  const CsvOptions& options_;
  std::vector<std::string> column_names_;
  int64_t num_fields_;
  int64_t label_;
  std::string expected_from_;  // " (as in the header on line 1)" or ""
};

}  // namespace minigrad::data::csv_detail
