// Reading a delimited table: a header row of column names (column0, column1, ... without one),
// trimmed cells, "quoted, cells" with "" for a quote, and missing markers. read_table parses the
// cells into compact columns as it reads (floats, or codes into each column's distinct cells).
// Leaves out: newlines inside quoted cells, comment lines, encodings other than UTF-8/ASCII.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
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

/// Whether a cell is a number written with a decimal comma: one comma, no point ("9,60", "-0,5",
/// "1,234").
bool decimal_comma_number(std::string_view cell);

/// How to read a file: its delimiter, whether the first row holds the column names, and how
/// many lines come before it.
struct ReadOptions {
  char delimiter = ',';
  /// ',' reads "9,60" as 9.6: each cell that decimal_comma_number accepts gets a point instead.
  char decimal = '.';
  data::Header header =
      data::Header::Auto;  // Auto: a header unless every first-row cell is a number
  int64_t skip_rows = 0;
  /// A record (a line, or several when a quoted cell holds newlines) longer than this stops the
  /// read with an error naming its line: an endless input such as /dev/zero ends in bounded memory.
  int64_t max_line_bytes = int64_t{1} << 20;
  /// Only part `part` of `parts` of the data rows: those whose lines start in that share of the
  /// bytes after the header, found by counting newlines (each process of a data-parallel job
  /// reads its own). Line numbers stay the file's. A row must then be one line.
  int64_t part = 0;
  int64_t parts = 1;
};

/// Reads a delimited text file row by row, holding one record at a time: predict streams tables
/// larger than memory through it. A quoted cell may hold the delimiter, "" for a quote, and
/// newlines (RFC 4180). Throws DataError naming file:line for a ragged row or an overlong record.
class TableReader {
 public:
  /// Opens `path` ("-" for standard input) and reads its header; `name` stands for the file in
  /// messages (default: the path, "<stdin>" for "-"). Throws DataError for a missing, unreadable
  /// or empty file.
  TableReader(const std::string& path, const ReadOptions& options = {},
              const std::string& name = "");
  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }
  /// The next row's trimmed cells (as many as there are columns); false at the end of the file.
  bool next(std::vector<std::string>& cells);
  /// 1-based line number of the row next() returned last.
  int64_t line() const { return line_; }

 private:
  void split(const std::string& text, std::vector<std::string>& cells) const;
  /// Throws DataError naming the line and column of a cell that is not UTF-8 text.
  void check_utf8(const std::vector<std::string>& cells) const;
  /// The next record into buffer_ (its lines joined by '\n'), its first line's number in
  /// record_line_; false at the end of the input.
  bool read_record();
  /// Appends one line of input to buffer_ (without its newline); false at the end of the input.
  bool append_line();
  /// Moves to the first row of options.part and stops next() at its end; the data rows start
  /// at byte `data_start`.
  void keep_part(const ReadOptions& options, std::streamoff data_start);

  std::string path_;
  char delimiter_;
  char decimal_;
  size_t max_line_bytes_;
  int64_t record_line_ = 0;           // the line a record read by read_record() starts on
  int64_t lines_read_ = 0;            // lines consumed from the input so far
  std::vector<std::string> pending_;  // the first row, when it turned out to be data
  bool has_pending_ = false;
  int64_t pending_line_ = 0;
  std::ifstream in_;
  std::string buffer_;
  std::vector<std::string> columns_;
  int64_t line_ = 0;
  std::streamoff stop_ = -1;  // with parts: the byte where this part's rows end
};

/// How read_table keeps a column: Auto stores numbers as float and switches to Text at the first
/// cell that is not a number; Text keeps the cells' own spelling (labels, categories, zip codes);
/// Skip keeps nothing (ignored columns, and columns a model does not read).
enum class Storage { Auto, Text, Skip };

/// One parsed column: float numbers (NaN where a cell is missing), or codes into the column's
/// distinct cells (-1 where missing), or nothing. About 4 bytes a cell either way.
struct TableColumn {
  Storage storage = Storage::Auto;  // Auto: numbers; Text: codes and values; Skip: empty
  std::vector<float> numbers;
  std::vector<int32_t> codes;
  std::vector<std::string> values;  // the distinct cells of a Text column, in order of appearance
};

/// A whole table in memory, parsed once per column (not as text: the 60,000-row Fashion-MNIST
/// file takes 190 MB instead of 2.7 GB).
struct Table {
  std::string path;
  std::vector<std::string> columns;
  std::vector<TableColumn> data;  // one per column
  int64_t rows = 0;
  std::vector<int64_t> lines;  // the file line of each row, for messages

  int64_t cols() const { return static_cast<int64_t>(columns.size()); }
  bool missing(int64_t row, int64_t col) const;
  /// The cell as a number: false if it is missing or not a number.
  bool number(int64_t row, int64_t col, double& value) const;
  /// The cell of a Text column as written ("" if missing).
  const std::string& text(int64_t row, int64_t col) const;
};

/// Chooses each column's Storage from the header (resolving flags such as --ignore against it).
using StoragePlan = std::function<std::vector<Storage>(const std::vector<std::string>& columns)>;

/// Reads the whole file (or options.part of it, which may hold no row); cells in `na_values` (and
/// empty ones) are missing. Without a plan every column is Auto. A pipe or standard input ("-") is
/// copied to a temporary file as it is read, since a column that turns out to hold text after many
/// numbers needs a second pass. Throws DataError for an unreadable file, a ragged row, an overlong
/// record, or no data rows.
Table read_table(const std::string& path, const ReadOptions& options = {},
                 const std::vector<std::string>& na_values = default_na_values(),
                 const StoragePlan& plan = {});

/// The column named `ref`, or the column at 0-based index `ref` (negative counts from the end:
/// -1 is the last; "last" too); `flag` (such as "--label")
/// starts the message of the DataError thrown for anything else, which lists the columns.
int64_t find_column(const std::vector<std::string>& columns, const std::string& ref,
                    const std::string& flag, const std::string& path);

/// "species, island, bill_length_mm, ..." for messages (the first 30 names).
std::string column_list(const std::vector<std::string>& columns);

}  // namespace minigrad::tabular
