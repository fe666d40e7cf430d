// minigrad train's --plot and --report: the curves drawn by viz/learning_curves.hpp, the report
// laid out with nlohmann::json in a fixed key order.
#include "minigrad/tabular/train_outputs.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "minigrad/viz/learning_curves.hpp"

namespace minigrad::tabular {

std::string metric_name(Task task) { return task == Task::Regression ? "r2" : "accuracy"; }

std::string learning_curves_svg(const TrainOutcome& run, const std::string& data_path) {
  const Preprocessing& prep = run.prep;
  const std::string metric = prep.task == Task::Regression ? "R²" : "accuracy";
  viz::Panel loss_panel{"loss", "loss", {{"training", {}}, {"validation", {}}}};
  viz::Panel metric_panel{metric, metric, {{"training", {}}, {"validation", {}}}};
  for (const EpochStats& s : run.fit.epochs) {
    loss_panel.series[0].values.push_back(s.train_loss);
    loss_panel.series[1].values.push_back(s.val_loss);
    metric_panel.series[0].values.push_back(s.train_metric);
    metric_panel.series[1].values.push_back(s.val_metric);
  }
  if (run.n_validation == 0) loss_panel.series.pop_back(), metric_panel.series.pop_back();
  if (run.patience) loss_panel.marked_epoch = metric_panel.marked_epoch = run.fit.best_epoch;
  return viz::learning_curves_svg(
      fmt::format("{}: {} of '{}'", std::filesystem::path(data_path).filename().string(),
                  task_name(prep.task), prep.label),
      {loss_panel, metric_panel});
}

std::string train_report_json(const TrainOutcome& run) {
  const Preprocessing& prep = run.prep;
  nlohmann::ordered_json j = run.test
                                 ? nlohmann::ordered_json::parse(evaluation_json(*run.test, "test"))
                                 : nlohmann::ordered_json{{"task", task_name(prep.task)}};
  j["label"] = prep.label;
  j["classes"] = prep.classes;
  j["n_train"] = run.n_train;
  j["n_validation"] = run.n_validation;
  j["n_test"] = run.n_test;
  j["rows_without_label"] = run.rows_without_label;
  j["inputs"] = prep.num_inputs();
  j["parameters"] = run.parameters;
  j["processes"] = run.processes;
  j["bn_stats"] = run.bn_stats == train::BnStats::Sync ? "sync" : "local";
  j["epochs_run"] = run.fit.epochs.size();
  j["best_epoch"] = run.fit.best_epoch;
  j["stopped_early"] = run.fit.stopped_early;
  j["train_seconds"] = run.fit.train_seconds;
  j["threads"] = run.fit.threads;
  nlohmann::ordered_json epochs = nlohmann::ordered_json::array();
  for (const EpochStats& s : run.fit.epochs) {
    nlohmann::ordered_json e = {{"loss", s.train_loss}, {metric_name(prep.task), s.train_metric}};
    if (run.n_validation > 0)
      e["val_loss"] = s.val_loss, e["val_" + metric_name(prep.task)] = s.val_metric;
    epochs.push_back(std::move(e));
  }
  j["history"] = std::move(epochs);
  return j.dump(2) + "\n";
}

}  // namespace minigrad::tabular
