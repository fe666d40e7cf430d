// Metrics for tabular models: RMSE, MAE and R² for regression (in the target's own units), and
// per-class precision, recall and F1 from a confusion matrix, as scikit-learn defines them (a
// 0/0 ratio is reported as 0). Leaves out: averaged F1 variants, ROC curves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "minigrad/train/metrics.hpp"

namespace minigrad::tabular {

struct RegressionMetrics {
  double rmse = 0.0;  // sqrt(mean((y - ŷ)²))
  double mae = 0.0;   // mean(|y - ŷ|)
  double r2 = 0.0;    // 1 - Σ(y - ŷ)² / Σ(y - ȳ)²; 0 when every y is equal and ŷ = y
};
/// Metrics of `predicted` against `truth` (equal lengths, not empty).
RegressionMetrics regression_metrics(const std::vector<double>& truth,
                                     const std::vector<double>& predicted);

struct ClassMetrics {
  std::string name;
  double precision = 0.0;  // of the rows predicted as this class, the share that are
  double recall = 0.0;     // of the rows of this class, the share found
  double f1 = 0.0;         // 2·p·r / (p + r)
  int64_t support = 0;     // rows of this class
};
/// One entry per class of `confusion` (rows: truth, columns: prediction).
std::vector<ClassMetrics> per_class_metrics(const train::ConfusionMatrix& confusion,
                                            const std::vector<std::string>& names);
/// The per-class table as text, one line per class.
std::string per_class_table(const std::vector<ClassMetrics>& metrics);

}  // namespace minigrad::tabular
