// The JSON report of a training run.
#include "minigrad/train/report.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>

#include "minigrad/io/atomic_file.hpp"

namespace minigrad::train {

std::string report_json(const TrainConfig& config, const TrainResult& r) {
  nlohmann::ordered_json j;
  j["test_accuracy"] = r.test_accuracy;
  j["test_loss"] = r.test_loss;
  j["epoch_loss"] = r.epoch_loss;
  j["epoch_accuracy"] = r.epoch_accuracy;
  j["train_seconds"] = r.train_seconds;
  j["samples_per_second"] = r.samples_per_second;
  j["threads"] = r.threads;
  j["processes"] = r.processes;
  j["rows_held_per_process"] = r.rows_held;
  j["n_train"] = r.n_train;
  j["n_test"] = r.n_test;
  j["parameters"] = r.parameters;
  j["features"] = r.features;
  j["classes"] = r.classes;
  j["class_labels"] = r.class_labels;
  j["peak_rss_mb"] = r.peak_rss_mb;
  j["config"] = {
      {"data", config.data_path},       {"train", config.train_path},
      {"test", config.test_path},       {"epochs", config.epochs},
      {"batch_size", config.batch_size}, {"lr", config.lr},
      {"momentum", config.momentum},    {"weight_decay", config.weight_decay},
      {"optimizer", config.optimizer},  {"hidden", config.hidden},
      {"batchnorm", config.batchnorm},  {"dropout", config.dropout},
      {"seed", config.seed},            {"split_seed", config.split_seed},
      {"threads", config.threads == 0 ? nlohmann::ordered_json("auto")
                                      : nlohmann::ordered_json(config.threads)},
      {"bn_stats", config.bn_stats == BnStats::Sync ? "sync" : "local"},
      {"load", config.load_path},
      {"eval_only", config.eval_only},
  };
  j["blas"] = r.blas;
  return j.dump(2) + "\n";
}

void write_text_atomic(const std::string& path, const std::string& text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  io::write_file_atomically(path, std::span<const uint8_t>(bytes, text.size()), "report");
}

}  // namespace minigrad::train
