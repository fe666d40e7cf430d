// Regression and per-class metrics, accumulated in double.
#include "minigrad/tabular/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace minigrad::tabular {

RegressionMetrics regression_metrics(const std::vector<double>& truth,
                                     const std::vector<double>& predicted) {
  if (truth.size() != predicted.size() || truth.empty())
    throw std::invalid_argument(fmt::format("regression_metrics: {} true values but {} predictions",
                                            truth.size(), predicted.size()));
  const double n = static_cast<double>(truth.size());
  double mean = 0.0;
  for (double y : truth) mean += y;
  mean /= n;
  double sse = 0.0, sae = 0.0, sst = 0.0;
  for (size_t i = 0; i < truth.size(); ++i) {
    const double e = truth[i] - predicted[i];
    sse += e * e;
    sae += std::abs(e);
    sst += (truth[i] - mean) * (truth[i] - mean);
  }
  RegressionMetrics m;
  m.rmse = std::sqrt(sse / n);
  m.mae = sae / n;
  // scikit-learn's convention for a constant target: 1 if the fit is perfect, else 0.
  m.r2 = sst > 0.0 ? 1.0 - sse / sst : (sse == 0.0 ? 1.0 : 0.0);
  return m;
}

std::vector<ClassMetrics> per_class_metrics(const train::ConfusionMatrix& confusion,
                                            const std::vector<std::string>& names) {
  const int k = confusion.classes();
  std::vector<ClassMetrics> out(static_cast<size_t>(k));
  for (int c = 0; c < k; ++c) {
    int64_t tp = confusion.count(c, c), predicted = 0, actual = 0;
    for (int o = 0; o < k; ++o) {
      predicted += confusion.count(o, c);
      actual += confusion.count(c, o);
    }
    ClassMetrics& m = out[static_cast<size_t>(c)];
    m.name = c < static_cast<int>(names.size()) ? names[static_cast<size_t>(c)] : std::to_string(c);
    m.precision = predicted ? static_cast<double>(tp) / static_cast<double>(predicted) : 0.0;
    m.recall = actual ? static_cast<double>(tp) / static_cast<double>(actual) : 0.0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    m.support = actual;
  }
  return out;
}

std::string per_class_table(const std::vector<ClassMetrics>& metrics) {
  size_t width = 5;
  for (const ClassMetrics& m : metrics) width = std::max(width, m.name.size());
  std::string out = fmt::format("{:>{}}  precision  recall      f1  support\n", "class", width);
  for (const ClassMetrics& m : metrics)
    out += fmt::format("{:>{}}  {:9.4f}  {:6.4f}  {:6.4f}  {:7}\n", m.name, width, m.precision,
                       m.recall, m.f1, m.support);
  return out;
}

}  // namespace minigrad::tabular
