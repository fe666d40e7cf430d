// A tabular model in one safetensors file: the MLP's (or CNN's) weights under PyTorch's names (so
// load_state_dict(strict=True) takes them) and, in "__metadata__", the whole preprocessing and
// the model's shape as JSON, so that evaluate and predict need nothing else.
// Leaves out: optimizer state (a loaded model trains on with a fresh optimizer).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "minigrad/io/safetensors.hpp"
#include "minigrad/nn/cnn.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/tabular/preprocessing.hpp"

namespace minigrad::tabular {

struct TabularModel {
  Preprocessing prep;
  nn::MlpOptions mlp;                 // the MLP's shape, unless cnn is set
  std::optional<nn::CnnOptions> cnn;  // a CNN: its image shape, convolutions and head
  std::shared_ptr<nn::Module> model;
};

/// The metadata keys: the preprocessing JSON and the MLP's shape JSON.
inline constexpr const char* kPreprocessingKey = "minigrad.preprocessing";
inline constexpr const char* kModelKey = "minigrad.model";

/// Writes the model atomically (nothing is left behind on error).
void save_model(const std::string& path, const TabularModel& m);

/// What save_model writes: the weights and the metadata.
io::SafetensorsContents model_file_contents(const TabularModel& m);
/// The model in `file` (read from `path`, named in errors), as load_model checks it.
TabularModel model_from_file_contents(const io::SafetensorsContents& file, const std::string& path);

/// Reads a model written by save_model. Throws DataError naming the file for a file without the
/// preprocessing metadata (such as a train_csv checkpoint) and for malformed metadata;
/// std::runtime_error for an unreadable or corrupt safetensors file. A resume checkpoint is refused
/// with a HINT to --resume.
TabularModel load_model(const std::string& path);

/// A new MLP for `prep`'s inputs and outputs with the hidden layers, BatchNorm and Dropout of
/// `shape` (its in_features and classes are set from `prep`).
TabularModel make_model(const Preprocessing& prep, nn::MlpOptions shape, uint64_t seed);

/// A new CNN (nn::make_cnn) reading each row's inputs as one image of `shape`'s CxHxW (its classes
/// and name are set here). Throws std::invalid_argument naming the column when a feature is not
/// one numeric input (a categorical column, a missing-cell indicator), or the image's pixel count
/// when it is not the number of inputs.
TabularModel make_cnn_model(const Preprocessing& prep, nn::CnnOptions shape, uint64_t seed);

}  // namespace minigrad::tabular
