// CSV reader for numeric tables such as fmnist_small.csv (label,pixel1,...,pixel784).
// Teaches fast text parsing: the file is mapped and cells are parsed in place (plain integers by
// hand, other numbers with std::from_chars), with errors that name file:line and column, and
// pixel tables are kept as bytes. Leaves out: text columns, missing values (an empty cell is an
// error) and comment lines. Quoted cells may hold delimiters and newlines (RFC 4180): a header
// name may, a number may not.
// "The documents": README.md#the-documents.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace minigrad::data {

/// Every problem with a data file: the message names the file, the line and what was expected.
/// Shared by the whole data pipeline (csv.hpp, idx.hpp, dataset.hpp, dataloader.hpp).
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Whether the first row (after skip_rows) holds column names.
enum class Header {
  Auto,     // a header if the first row has a non-numeric cell
  Present,  // always a header
  Absent,   // never a header: a non-numeric first row is an error
};

/// Which column holds the class labels.
class LabelColumn {
 public:
  /// The first column (the documents' layout, and the default).
  LabelColumn() = default;
  /// Column `i` (0-based); negative counts from the end like Python (-1 is the last).
  static LabelColumn index(int64_t i);
  /// The column with this header name (needs a header).
  static LabelColumn name(std::string column_name);
  /// The last column.
  static LabelColumn last() { return index(-1); }
  /// No label column: every column is a feature (for tables to predict on).
  static LabelColumn none();
  /// From a command-line value: "last", "none", an integer index, or a column name.
  static LabelColumn parse(std::string_view text);

  bool is_none() const { return kind_ == Kind::None; }
  bool is_name() const { return kind_ == Kind::Name; }
  int64_t index_value() const { return index_; }
  const std::string& name_value() const { return name_; }
  /// "column 0", "the last column", "column 'label'", "no label column".
  std::string str() const;

 private:
  enum class Kind { Index, Name, None };
  Kind kind_ = Kind::Index;
  int64_t index_ = 0;
  std::string name_;
};

/// How to read a table: read_csv(path, {.delimiter = ';', .label = LabelColumn::last()}).
struct CsvOptions {
  char delimiter = ',';  // ',', ';', '\t', '|', ' ' ...
  Header header = Header::Auto;
  int64_t skip_rows = 0;  // leading lines to ignore before the header/data (such as a count line)
  LabelColumn label = LabelColumn();
  // At most this many distinct labels (classes): one stray label must not size a model. A label
  // is any int32_t; class_labels.hpp numbers the distinct ones 0..K-1. At most 2147483647.
  int64_t max_classes = 1000;
  // A line (or a record whose quoted cells hold newlines) longer than this is an error: a file of
  // zeros or a header of gigabytes stops here instead of filling memory.
  int64_t max_line_bytes = int64_t{1} << 20;
  // Only part `part` of `parts` of the data rows: the rows whose lines start in that share of
  // the bytes after the header, found without parsing the rows before it (N processes each
  // parse and hold about 1/N of a table). CsvTable::first_row says where the part starts.
  int64_t part = 0;
  int64_t parts = 1;
};

/// A numeric table: features (rows, cols) row-major plus one integer label per row. The features
/// sit in one of two vectors, the other left empty: `feature_bytes` when every value is a whole
/// number in 0..255 (features_are_bytes; pixels take a quarter of the memory), `features` as
/// floats otherwise.
struct CsvTable {
  std::string path;                       // as given to read_csv, for messages
  std::vector<std::string> column_names;  // every column in file order; "column1".. if no header
  bool has_header = false;
  int64_t label_index = -1;  // index into column_names, -1 if no label column
  int64_t rows = 0;
  int64_t cols = 0;                    // feature columns (the label column excluded)
  std::vector<float> features;         // rows x cols, row-major; empty if features_are_bytes
  std::vector<uint8_t> feature_bytes;  // rows x cols, row-major, if features_are_bytes
  std::vector<int32_t> labels;         // rows values as in the file; empty if no label column
  bool features_are_bytes = false;     // every feature is a whole number in 0..255
  int64_t first_data_line = 1;         // 1-based line number of row 0
  int64_t first_row = 0;  // index of row 0 among the file's data rows (not 0 for a later part)

  /// 1-based line number of data row `row`, for messages.
  int64_t line_of(int64_t row) const { return first_data_line + row; }
  /// Names of the feature columns (column_names without the label).
  std::vector<std::string> feature_names() const;
  /// Number of distinct labels (0 when there are no labels).
  int64_t num_classes() const;
  /// Every feature as a float, rows x cols row-major, whichever vector holds them (a copy).
  std::vector<float> features_as_floats() const;
};

/// Reads a numeric CSV file; "-" reads standard input. Pipes and other streams are read as they
/// come (no seek, no size). Throws DataError on anything malformed: missing/empty file, a
/// directory, header only, ragged rows, non-numeric, NaN or infinite cells, a label that is not a
/// 32-bit integer, more distinct labels than max_classes, a line longer than max_line_bytes.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});
/// Same, from text already in memory; `name` stands for the path in messages.
CsvTable parse_csv(std::string_view text, const std::string& name, const CsvOptions& options = {});

/// Throws DataError unless the table has `expected` feature columns, e.g.
/// "data/x.csv:1: found 783 feature columns but the model expects 784 (HINT: ...)".
/// `what` names the other side ("the model in model.safetensors").
void check_num_features(const CsvTable& table, int64_t expected, std::string_view what);

}  // namespace minigrad::data
