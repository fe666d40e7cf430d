// The checkpoints the training apps read and write: an MLP (checkpoint.hpp) or make_cnn()'s
// convolutional model, told apart by the key shapes (a 4-D weight is a convolution). A CNN file
// has the keys of a PyTorch nn.Module whose `network` is an nn.Sequential of the same layers; the
// image shape goes in the metadata, since the weights cannot show it.
// Leaves out: other architectures, optimizer state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "minigrad/data/class_labels.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/io/checkpoint.hpp"
#include "minigrad/nn/cnn.hpp"

namespace minigrad::io {

/// Metadata key of a CNN's image shape, "CxHxW" (e.g. "1x28x28").
inline constexpr const char* kImageKey = "minigrad.image";
/// Metadata key naming the architecture: "mlp" or "cnn".
inline constexpr const char* kModelKey = "minigrad.model";

/// "1x28x28" -> {1, 28, 28}; throws std::invalid_argument naming `what` for anything else.
nn::CnnOptions parse_image_shape(const std::string& text, const std::string& what);
/// {1, 28, 28} -> "1x28x28".
std::string image_shape_str(const nn::CnnOptions& options);

/// The CNN stored in `state`: convolution widths from the 4-D weights, hidden and classes from the
/// Linear weights, Dropout from the layer indices and metadata[kDropoutKey], the image from
/// metadata[kImageKey] or else `image` (a file PyTorch wrote; height 0 when unknown). Throws
/// std::runtime_error naming `source` when the keys are not make_cnn()'s layout or the image does
/// not fit them.
nn::CnnOptions read_cnn_architecture(const StateDict& state, const Metadata& metadata,
                                     const nn::CnnOptions& image, const std::string& source,
                                     bool& dropout_assumed);

/// A model read back from a file, whichever kind it is.
struct ModelCheckpoint {
  std::shared_ptr<nn::Module> model;
  std::string kind;  // "mlp" or "cnn"
  int64_t in_features = 0;
  int64_t classes = 0;
  std::optional<data::FeatureTransform> transform;  // none: the file does not say (PyTorch's)
  bool dropout_assumed = false;  // Dropout layers but no kDropoutKey: kDefaultDropout used
  data::ClassLabels labels;      // the label of each output; 0..classes-1 for an older file
};

/// The labels of a model's `classes` outputs from metadata[data::kClassLabelsKey], or 0..classes-1
/// when the file has no such key (files written before it, and PyTorch's). Throws
/// std::runtime_error naming `source` and the key when the text is malformed or does not match
/// the outputs.
data::ClassLabels read_class_labels(const Metadata& metadata, int64_t classes,
                                    const std::string& source);

/// Rebuilds the MLP or CNN saved at `path` and loads its weights strictly. `name` is what
/// summary() calls it, `gen` seeds its Dropout masks, `image` is the CNN image shape to assume
/// when the file does not record one.
ModelCheckpoint load_model(const std::string& path, const std::string& name, Generator& gen,
                           const nn::CnnOptions& image);

/// load_model() on contents already read (and stripped of the caller's own entries); `path`
/// names the source in errors.
ModelCheckpoint model_from_contents(SafetensorsContents contents, const std::string& path,
                                    const std::string& name, Generator& gen,
                                    const nn::CnnOptions& image);

/// What save_model() writes, not yet written: a caller may add tensors and metadata of its own.
/// Throws std::invalid_argument for a model that is neither make_mlp()'s nor make_cnn()'s.
SafetensorsContents model_contents(const nn::Module& model,
                                   const data::FeatureTransform& transform);
/// The same with the label of each output under data::kClassLabelsKey (when `labels` is not
/// null; it must have one label per output).
SafetensorsContents model_contents(const nn::Module& model, const data::FeatureTransform& transform,
                                   const data::ClassLabels* labels);

/// Writes a CNN with the metadata load_model() reads back: image shape, Dropout, scaling.
void save_cnn(const nn::Cnn& model, const data::FeatureTransform& transform,
              const std::string& path);

/// save_cnn() or save_mlp(), by the model's type, with the class labels when given.
void save_model(const nn::Module& model, const data::FeatureTransform& transform,
                const std::string& path, const data::ClassLabels* labels = nullptr);

}  // namespace minigrad::io
