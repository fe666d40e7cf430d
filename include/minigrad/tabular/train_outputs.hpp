// What `minigrad train` writes beside the model: the learning curves as an SVG picture (--plot)
// and the JSON report (--report), both from the run's figures.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/tabular/evaluate.hpp"
#include "minigrad/tabular/fit.hpp"
#include "minigrad/tabular/preprocessing.hpp"

namespace minigrad::tabular {

/// A finished run's figures.
struct TrainOutcome {
  const Preprocessing& prep;
  const FitResult& fit;
  const TabularEvaluation* test;  // null without test rows
  int64_t n_train = 0, n_validation = 0, n_test = 0, rows_without_label = 0, parameters = 0;
  bool patience = false;  // early stopping was on: the kept epoch is marked
  int processes = 1;      // the data-parallel job's ranks
  train::BnStats bn_stats = train::BnStats::Sync;
};

/// The name of the task's metric in the progress lines, the plot and the report: "accuracy" or
/// "r2".
std::string metric_name(Task task);

/// The loss and metric curves, titled with the data file's name: an SVG document.
std::string learning_curves_svg(const TrainOutcome& run, const std::string& data_path);

/// The JSON report: the test figures (if any), the data, the model and every epoch.
std::string train_report_json(const TrainOutcome& run);

}  // namespace minigrad::tabular
