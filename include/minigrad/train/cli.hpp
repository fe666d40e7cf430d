// The command line shared by train_csv and train_fmnist: flags -> TrainConfig -> run_training().
// train_fmnist is this same program with the documents' defaults (an AppPreset), not a copy.
// Exit codes: 0 success, 2 bad flags or bad input data/files, 3 a diverged run, 130/143
// interrupted by SIGINT/SIGTERM (after saving a resume checkpoint), 1 anything unexpected.
// "The documents": README.md#the-documents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "minigrad/train/config.hpp"

namespace minigrad::train {

/// A preset's own defaults for --model cnn, used for those flags that are not given.
struct CnnDefaults {
  double lr = 0.05;
  double momentum = 0.9;
  int64_t batch_size = 64;
};

struct AppPreset {
  std::string program;      // "train_csv"
  std::string description;  // first line of --help
  TrainConfig defaults;     // values used for flags that are not given
  /// With --model cnn: replaces defaults' lr, momentum and batch size.
  std::optional<CnnDefaults> cnn;
};

/// Parses argv into a TrainConfig on top of preset.defaults; throws std::invalid_argument naming
/// the flag and what was expected. Returns false (after printing help) for --help.
bool parse_args(int argc, char** argv, const AppPreset& preset, TrainConfig& config);

/// The whole app: backend check, parsing, training, error reporting. Returns the exit code.
int run_app(int argc, char** argv, const AppPreset& preset);

}  // namespace minigrad::train
