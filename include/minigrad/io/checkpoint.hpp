// Checkpoints: a Module's state_dict in a safetensors file that PyTorch loads with
// load_state_dict(strict=True), optionally with extra named tensors beside it (the feature
// standardisation mean/std a model needs at inference), kept apart by a key prefix. An MLP is
// rebuilt from its key names and shapes, and from metadata for what the weights cannot show.
// Optimizer state and training progress travel in a resume checkpoint (train/resume.hpp).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "minigrad/data/dataset.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/io/safetensors.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/state_dict.hpp"

namespace minigrad::io {

/// Keys starting with this belong to the extras, never to the module.
inline constexpr const char* kDefaultExtraPrefix = "preprocess.";

/// Writes module.state_dict() (plus `extras`, whose names must all start with `extra_prefix`
/// and must not clash with the module's keys) to `path`, atomically, with `metadata`.
void save(const nn::Module& module, const std::string& path, const StateDict& extras = {},
          const std::string& extra_prefix = kDefaultExtraPrefix,
          const Metadata& metadata = {{"format", "pt"}});

/// Loads `path` into `module`: keys starting with `extra_prefix` are handed back (full names,
/// e.g. "preprocess.mean"); the rest go to module.load_state_dict(rest, strict).
StateDict load(nn::Module& module, const std::string& path, bool strict = true,
               const std::string& extra_prefix = kDefaultExtraPrefix);

/// The tensor called `name` in a StateDict (e.g. load()'s extras); throws std::out_of_range
/// listing the names it does have.
const Tensor& find_tensor(const StateDict& state, const std::string& name);

// ---- MLP checkpoints, as the training apps write and read them ----

/// Metadata key of the Dropout probability: the one part of make_mlp()'s options that neither
/// the key names nor the shapes show.
inline constexpr const char* kDropoutKey = "minigrad.dropout";
/// Metadata key of how inputs are scaled: "identity", "divide:K" or "standardize" (then the
/// extras "preprocess.mean" and "preprocess.std" hold the statistics).
inline constexpr const char* kScalingKey = "minigrad.scaling";
/// The Dropout probability assumed for a checkpoint that has Dropout layers but no kDropoutKey
/// (one PyTorch wrote): 0.3, the documents' MyNN.
inline constexpr float kDefaultDropout = 0.3f;

/// A Dropout probability read from metadata[kDropoutKey]; `assumed` when the key is missing but
/// the layers show a Dropout (then p is kDefaultDropout, an assumption the caller should report).
struct DropoutSetting {
  float p = 0.0f;
  bool assumed = false;
};
/// Checks metadata[kDropoutKey] against `has_dropout` (the layer indices show Dropout layers);
/// throws std::runtime_error naming `source` when they disagree or the value is no probability.
DropoutSetting read_dropout(const Metadata& metadata, bool has_dropout, const std::string& source);

/// How inputs were scaled, from metadata[kScalingKey] and the "preprocess." extras; none when the
/// file does not say (a file PyTorch wrote).
std::optional<data::FeatureTransform> read_scaling(const Metadata& metadata,
                                                   const StateDict& extras,
                                                   const std::string& path);
/// The reverse of read_scaling(): records `transform` in `metadata` (and its statistics in
/// `extras` for a standardisation).
void write_scaling(const data::FeatureTransform& transform, Metadata& metadata, StateDict& extras);

/// The MLP a checkpoint holds.
struct MlpArchitecture {
  nn::MlpOptions options;
  /// True when the file has Dropout layers but no kDropoutKey: options.dropout is then
  /// kDefaultDropout, an assumption the caller should report.
  bool dropout_assumed = false;
};

/// The MLP stored in a checkpoint (ours or PyTorch's MyNN): in/hidden/classes from the Linear
/// weights, BatchNorm from running_mean keys, Dropout layers from the index stride and their
/// probability from metadata[kDropoutKey]. Throws std::runtime_error naming `source` if the keys
/// are not such an MLP or the metadata contradicts them.
MlpArchitecture read_mlp_architecture(const StateDict& state, const Metadata& metadata,
                                      const std::string& source);

/// What load_mlp() brings back: the model, how its inputs were scaled, and the architecture.
struct MlpCheckpoint {
  std::shared_ptr<nn::Mlp> model;
  std::optional<data::FeatureTransform> transform;  // none: the file does not say (PyTorch's)
  MlpArchitecture architecture;
};

/// Rebuilds the MLP saved at `path` and loads its weights strictly. `name` is what repr() and
/// summary() call it; `gen` seeds its Dropout masks.
MlpCheckpoint load_mlp(const std::string& path, const std::string& name, Generator& gen);

/// Writes `model` with the metadata load_mlp() reads back: its Dropout probability and
/// `transform` (a standardisation's mean and std go in as extras).
void save_mlp(const nn::Mlp& model, const data::FeatureTransform& transform,
              const std::string& path);

/// What save_mlp() writes, not yet written: a caller may add tensors and metadata of its own.
SafetensorsContents mlp_contents(const nn::Mlp& model, const data::FeatureTransform& transform);
/// load_mlp() on contents already read (and stripped of the caller's own entries); `path` names
/// the source in errors.
MlpCheckpoint mlp_from_contents(SafetensorsContents contents, const std::string& path,
                                const std::string& name, Generator& gen);

}  // namespace minigrad::io
