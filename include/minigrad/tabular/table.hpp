// Reading a table whose cells are text: names, categories, numbers and missing markers. The first
// row is the header (column names are how the tool refers to columns; a table without one gets
// column0, column1, ...). Cells are trimmed
// of surrounding spaces; a cell may be quoted ("Adelie, Gentoo") with "" for a quote inside.
// Leaves out: newlines inside quoted cells, comment lines, encodings other than UTF-8/ASCII.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "minigrad/data/csv.hpp"

namespace minigrad::tabular {

using data::DataError;

/// The markers read as a missing value when --na-values is not given (an empty cell is always
/// missing): NA, N/A, NaN, nan, null, NULL, None, #N/A, ?.
const std::vector<std::string>& default_na_values();

/// Whether a trimmed cell is missing: empty, or one of `na_values`.
bool is_missing(std::string_view cell, const std::vector<std::string>& na_values);

/// The cell as a finite number, or false ("3.5", "-2", "1e3"; not "inf", "nan", "3 kg").
bool parse_number(std::string_view cell, double& value);

/// How to read a file: its delimiter, whether the first row holds the column names, and how
/// many lines come before it.
struct ReadOptions {
  char delimiter = ',';
  data::Header header =
      data::Header::Auto;  // Auto: a header unless every first-row cell is a number
  int64_t skip_rows = 0;
};

/// Reads a delimited text file row by row, holding one line at a time: predict streams tables
/// larger than memory through it. Throws DataError naming file:line for a ragged row.
class TableReader {
 public:
  /// Opens `path` and reads its header. Throws DataError for a missing, unreadable or empty file.
  TableReader(const std::string& path, const ReadOptions& options = {});
  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }
  /// The next row's trimmed cells (as many as there are columns); false at the end of the file.
  bool next(std::vector<std::string>& cells);
  /// 1-based line number of the row next() returned last.
  int64_t line() const { return line_; }

 private:
  void split(const std::string& text, std::vector<std::string>& cells) const;

  std::string path_;
  char delimiter_;
  std::vector<std::string> pending_;  // the first row, when it turned out to be data
  bool has_pending_ = false;
  int64_t pending_line_ = 0;
  std::ifstream in_;
  std::string buffer_;
  std::vector<std::string> columns_;
  int64_t line_ = 0;
};

/// A whole table in memory: cells row-major, every one trimmed text.
struct TextTable {
  std::string path;
  std::vector<std::string> columns;
  int64_t rows = 0;
  std::vector<std::string> cells;  // rows x columns.size(), row-major
  std::vector<int64_t> lines;      // the file line of each row, for messages

  const std::string& cell(int64_t row, int64_t col) const {
    return cells[static_cast<size_t>(row) * columns.size() + static_cast<size_t>(col)];
  }
  int64_t cols() const { return static_cast<int64_t>(columns.size()); }
};

/// Reads the whole file. Throws DataError for an unreadable file, a ragged row, or no data rows.
TextTable read_table(const std::string& path, const ReadOptions& options = {});

/// The column named `ref`, or the column at 0-based index `ref`; `flag` (such as "--label")
/// starts the message of the DataError thrown for anything else, which lists the columns.
int64_t find_column(const std::vector<std::string>& columns, const std::string& ref,
                    const std::string& flag, const std::string& path);

/// "species, island, bill_length_mm, ..." for messages (the first 30 names).
std::string column_list(const std::vector<std::string>& columns);

}  // namespace minigrad::tabular
