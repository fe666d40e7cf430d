// Evaluating and applying a tabular model. evaluate_model() scores labelled rows (accuracy,
// confusion matrix and per-class precision/recall/F1, or RMSE/MAE/R² in the target's units);
// predict_csv() streams a table through the model in chunks, so memory stays bounded however
// long the file is. Leaves out: batch-size tuning for prediction (chunks of 1024 rows).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "minigrad/tabular/fit.hpp"
#include "minigrad/tabular/metrics.hpp"
#include "minigrad/tabular/model_file.hpp"

namespace minigrad::tabular {

struct TabularEvaluation {
  Task task = Task::Classification;
  int64_t rows = 0;
  double loss = 0.0;  // cross entropy, or the training loss on the standardised target
  // classification
  train::ConfusionMatrix confusion{1};
  double accuracy = 0.0;
  std::vector<ClassMetrics> per_class;
  // regression, in the target's own units
  RegressionMetrics regression;
};

/// Scores `rows` (encoded with m.prep) in eval mode.
TabularEvaluation evaluate_model(const TabularModel& m, const EncodedRows& rows,
                                 RegressionLoss loss = RegressionLoss::MSE);

/// The same from the model's outputs (rows, num_outputs) and the encoded targets y (rows).
TabularEvaluation evaluate_outputs(const Preprocessing& prep, const std::vector<float>& outputs,
                                   const std::vector<float>& y, RegressionLoss loss);

/// The lines a user reads: "test accuracy: 0.9855 (68/69)", the confusion matrix and the
/// per-class table; or "test RMSE ..., MAE ..., R² ...". `prefix` is "test" or "".
std::string evaluation_text(const TabularEvaluation& e, const Preprocessing& prep,
                            const std::string& prefix);

/// The report's fields as a JSON object text: task, <prefix>_accuracy and per_class, or
/// <prefix>_rmse, <prefix>_mae, <prefix>_r2.
std::string evaluation_json(const TabularEvaluation& e, const std::string& prefix);

struct PredictOptions {
  ReadOptions read = {};
  bool proba = false;  // one probability column per class after `prediction`
  /// If set, receives RowEncoder::unseen_categories() for the rows read (a line per column that
  /// held categories training never saw).
  std::vector<std::string>* unseen_categories = nullptr;
  /// Columns of the input copied to each output line before `prediction` (names or indexes, as
  /// --label takes them), e.g. an id that ties a prediction to its row.
  std::vector<std::string> keep = {};
};

/// Reads `input` row by row and writes CSV to `out`: a header, then one line per input row in
/// input order. Returns the number of rows. Throws DataError naming a missing feature column or
/// a bad cell (file:line).
int64_t predict_csv(const TabularModel& m, const std::string& input, std::ostream& out,
                    const PredictOptions& options);

/// predict_csv() into `path` through a temporary file beside it, renamed at the end: on any
/// error no file (partial or otherwise) is left at `path`.
int64_t predict_to_file(const TabularModel& m, const std::string& input, const std::string& path,
                        const PredictOptions& options);

/// A CSV cell: quoted when it holds the delimiter, a quote or spaces at its ends.
std::string csv_cell(const std::string& text);

}  // namespace minigrad::tabular
