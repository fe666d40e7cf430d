// Preprocessing: what turns a row of text cells into the model's input vector, learned from the
// training part only (as scikit-learn's SimpleImputer + StandardScaler + OneHotEncoder would be).
// Numeric columns: missing cells get the training median, then (x - mean) / std; a 0/1 indicator
// input follows any column that had missing cells in training. Categorical columns: one input
// per training category (a missing cell is a category of its own); an unseen category is all-zero.
// The label: class names in sorted order, or a regression target standardised with training
// statistics. Leaves out: ordinal encodings, text features, dates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/tabular/table.hpp"

namespace minigrad::tabular {

enum class ColumnKind { Numeric, Categorical };
enum class Task { Classification, Regression };
enum class TaskChoice { Auto, Classification, Regression };

/// One feature column and how it is encoded.
struct ColumnEncoding {
  std::string name;
  ColumnKind kind = ColumnKind::Numeric;
  bool forced = false;  // categorical because --categorical said so
  // Numeric: median for missing cells, then (x - mean) / std.
  double median = 0.0;
  double mean = 0.0;
  double std = 1.0;
  bool missing_indicator = false;  // one more input: 1 where the cell was missing
  // Categorical: one input per category, plus one for "missing" if training had missing cells.
  std::vector<std::string> categories;
  bool missing_category = false;

  /// Inputs this column becomes.
  int64_t width() const;
};

/// What the user asked for: train's --label, --ignore, --categorical, --na-values, --task.
struct PreprocessingOptions {
  std::string label = "0";  // a name, a 0-based index (negative from the end: -1) or "last"
  std::vector<std::string> ignore = {};       // names or indexes
  std::vector<std::string> categorical = {};  // names or indexes
  std::vector<std::string> na_values = default_na_values();
  TaskChoice task = TaskChoice::Auto;
};

struct Preprocessing {
  std::vector<ColumnEncoding> features;  // in the training file's order
  std::vector<std::string> ignored;      // column names dropped
  std::string label;                     // the label column's name
  Task task = Task::Classification;
  std::string task_reason;           // why auto chose the task (shown to the user)
  std::vector<std::string> classes;  // classification: class names, index = class id
  double target_mean = 0.0;          // regression: the model predicts (y - mean) / std
  double target_std = 1.0;
  std::vector<std::string> na_values;

  /// Length of the encoded input vector.
  int64_t num_inputs() const;
  /// One name per input: "bill_length_mm", "bill_length_mm=missing", "island=Biscoe".
  std::vector<std::string> input_names() const;
  /// Outputs of the model: the number of classes, or 1 for regression.
  int64_t num_outputs() const;
};

/// How to read a training table: the label and --categorical columns as Text, --ignore skipped,
/// the rest Auto. The plan throws DataError for a column the file lacks (listing its columns).
StoragePlan training_plan(const PreprocessingOptions& options, const std::string& path);

/// How to read a table for a trained model: its numeric features Auto, its categorical ones and
/// the label as Text, every other column skipped. `label_ref` (evaluate's --label) names a label
/// column whose name differs from training's.
StoragePlan model_plan(const Preprocessing& prep, const std::string& label_ref,
                       const std::string& path);

/// Learns the preprocessing from rows `train_rows` of `table` (read with training_plan). Throws
/// DataError for an unknown column (listing the file's columns), a label also ignored, no feature
/// left, a numeric --task regression label that is not numeric, or fewer than two classes.
Preprocessing fit_preprocessing(const Table& table, const std::vector<int64_t>& train_rows,
                                const PreprocessingOptions& options);

/// The same in a data-parallel job: `table` is this rank's part of the file, `train_rows` the
/// training rows it holds, in one process's training order, and `positions` their places in that
/// order. The ranks agree on every figure (counts and sums summed, the distinct categories and
/// classes gathered, each median found exactly by counting), so every rank returns the
/// preprocessing one process fits on all the rows, up to the rounding of sums.
Preprocessing fit_preprocessing(const Table& table, const std::vector<int64_t>& train_rows,
                                const PreprocessingOptions& options,
                                const dist::ProcessGroup& group,
                                const std::vector<int64_t>& positions);

/// A label naming a class the model was not trained on (RowEncoder::label).
class UnknownClass : public DataError {
 public:
  using DataError::DataError;
};

/// Encodes rows whose columns may come in any order: built from a file's header, it finds each
/// feature column by name. Throws DataError naming the first feature column the file lacks.
class RowEncoder {
 public:
  RowEncoder(const Preprocessing& prep, const std::vector<std::string>& columns,
             const std::string& path, bool need_label);
  /// Writes num_inputs() floats for one row of cells.
  void encode(const std::vector<std::string>& cells, float* out) const;
  /// Same, for row `row` of a table read with model_plan or training_plan.
  void encode(const Table& table, int64_t row, float* out) const;
  /// The label of a row as a class id or standardised target; false if missing. Throws
  /// UnknownClass for a class the model does not know, DataError for a non-numeric regression
  /// target (file:line).
  bool label(const std::string& cell, float& target, int64_t line) const;
  int64_t label_column() const { return label_column_; }
  /// The categories met so far that training never saw (their one-hot inputs are all zero): a
  /// line per such column, e.g. "column 'city': 2 rows held a category not seen in training
  /// ('Berlin', ...), encoded as all zeros".
  std::vector<std::string> unseen_categories() const;

 private:
  [[noreturn]] void not_a_number(const ColumnEncoding& f, const std::string& text) const;
  void check_finite(const ColumnEncoding& f, const float* input, double v) const;
  void note_category(size_t feature, bool known, const std::string& text) const;

  const Preprocessing& prep_;
  std::string path_;
  std::vector<int64_t> source_;  // file column of each feature
  int64_t label_column_ = -1;
  struct Unseen {
    int64_t rows = 0;
    std::string first;
  };
  mutable std::vector<Unseen> unseen_;  // per feature: encode() is const, the counts are a note
};

/// Rows encoded for training or evaluation: x (rows, inputs) row-major and one target per row
/// (a class id as a float, or the standardised regression target).
struct EncodedRows {
  int64_t rows = 0;
  int64_t inputs = 0;
  std::vector<float> x;
  std::vector<float> y;
  std::vector<int64_t> source_rows;            // the table row of each encoded row
  int64_t label_missing = 0;                   // rows left out because their label was missing
  std::vector<std::string> unseen_categories;  // RowEncoder::unseen_categories() after them
};

/// Encodes `rows` of `table`, leaving out (and counting) rows whose label is missing.
EncodedRows encode_rows(const Preprocessing& prep, const Table& table,
                        const std::vector<int64_t>& rows);

/// Notes on columns that are likely mistakes, for the user: a category column (not asked for with
/// --categorical) with more than 20 values, one for every other training row or more, is more
/// likely an identifier than a feature (its one-hot inputs cannot carry to new rows).
std::vector<std::string> column_notes(const Preprocessing& prep, int64_t training_rows);

/// encode_rows for rows held out of training (`part`: "validation", "test"): a class they hold
/// that no training row has is a DataError naming that cause.
EncodedRows encode_held_out(const Preprocessing& prep, const Table& table,
                            const std::vector<int64_t>& rows, const std::string& part);

/// The preprocessing as JSON text (for the model file's metadata) and back. from_json throws
/// DataError naming `source` and the key that is missing or malformed.
std::string to_json(const Preprocessing& prep);
Preprocessing preprocessing_from_json(const std::string& text, const std::string& source);

std::string task_name(Task task);

/// "columns: 4 numeric, 2 categorical (1 forced by --categorical), 1 ignored; label 'species'".
std::string columns_line(const Preprocessing& prep);
/// One line per column: name, type and encoding (median, mean/std, categories), then the label.
std::string columns_text(const Preprocessing& prep);

}  // namespace minigrad::tabular
