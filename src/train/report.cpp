// The JSON report of a training run.
#include "minigrad/train/report.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace minigrad::train {

std::string report_json(const TrainConfig& config, const TrainResult& r) {
  nlohmann::ordered_json j;
  j["test_accuracy"] = r.test_accuracy;
  j["test_loss"] = r.test_loss;
  j["epoch_loss"] = r.epoch_loss;
  j["epoch_accuracy"] = r.epoch_accuracy;
  j["train_seconds"] = r.train_seconds;
  j["samples_per_second"] = r.samples_per_second;
  j["n_train"] = r.n_train;
  j["n_test"] = r.n_test;
  j["parameters"] = r.parameters;
  j["features"] = r.features;
  j["classes"] = r.classes;
  j["config"] = {
      {"data", config.data_path},       {"train", config.train_path},
      {"test", config.test_path},       {"epochs", config.epochs},
      {"batch_size", config.batch_size}, {"lr", config.lr},
      {"momentum", config.momentum},    {"weight_decay", config.weight_decay},
      {"optimizer", config.optimizer},  {"hidden", config.hidden},
      {"batchnorm", config.batchnorm},  {"dropout", config.dropout},
      {"seed", config.seed},            {"split_seed", config.split_seed},
      {"threads", config.threads},      {"load", config.load_path},
      {"eval_only", config.eval_only},
  };
  j["blas"] = r.blas;
  return j.dump(2) + "\n";
}

void write_text_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = fmt::format("{}.tmp{}", path, static_cast<long>(getpid()));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr)
    throw std::runtime_error(fmt::format("cannot write '{}': {} (HINT: does the directory exist "
                                         "and is it writable?)",
                                         path, std::strerror(errno)));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                  fsync(fileno(f)) == 0;
  const int err = errno;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(ok ? errno : err)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(rename_err)));
  }
}

}  // namespace minigrad::train
