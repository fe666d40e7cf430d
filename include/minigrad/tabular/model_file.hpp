// A tabular model in one safetensors file: the MLP's weights under PyTorch's names (so
// load_state_dict(strict=True) takes them) and, in "__metadata__", the whole preprocessing and
// the MLP's shape as JSON, so that evaluate and predict need nothing else.
// Leaves out: optimizer state (a loaded model trains on with a fresh optimizer).
#pragma once

#include <memory>
#include <string>

#include "minigrad/nn/mlp.hpp"
#include "minigrad/tabular/preprocessing.hpp"

namespace minigrad::tabular {

struct TabularModel {
  Preprocessing prep;
  nn::MlpOptions mlp;
  std::shared_ptr<nn::Mlp> model;
};

/// The metadata keys: the preprocessing JSON and the MLP's shape JSON.
inline constexpr const char* kPreprocessingKey = "minigrad.preprocessing";
inline constexpr const char* kModelKey = "minigrad.model";

/// Writes the model atomically (nothing is left behind on error).
void save_model(const std::string& path, const TabularModel& m);

/// Reads a model written by save_model. Throws DataError naming the file for a file without the
/// preprocessing metadata (such as a train_csv checkpoint) and for malformed metadata;
/// std::runtime_error for an unreadable or corrupt safetensors file.
TabularModel load_model(const std::string& path);

/// A new MLP for `prep`'s inputs and outputs with the hidden layers, BatchNorm and Dropout of
/// `shape` (its in_features and classes are set from `prep`).
TabularModel make_model(const Preprocessing& prep, nn::MlpOptions shape, uint64_t seed);

}  // namespace minigrad::tabular
