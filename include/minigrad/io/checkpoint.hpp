// Checkpoints: a Module's state_dict in a safetensors file that PyTorch loads with
// load_state_dict(strict=True), optionally with extra named tensors beside it (the feature
// standardisation mean/std a model needs at inference), kept apart by a key prefix.
// Leaves out: optimizer state and training progress.
#pragma once

#include <string>

#include "minigrad/io/safetensors.hpp"
#include "minigrad/nn/module.hpp"
#include "minigrad/state_dict.hpp"

namespace minigrad::io {

/// Keys starting with this belong to the extras, never to the module.
inline constexpr const char* kDefaultExtraPrefix = "preprocess.";

/// Writes module.state_dict() (plus `extras`, whose names must all start with `extra_prefix`
/// and must not clash with the module's keys) to `path`, atomically, with {"format": "pt"}.
void save(const nn::Module& module, const std::string& path, const StateDict& extras = {},
          const std::string& extra_prefix = kDefaultExtraPrefix);

/// Loads `path` into `module`: keys starting with `extra_prefix` are handed back (full names,
/// e.g. "preprocess.mean"); the rest go to module.load_state_dict(rest, strict).
StateDict load(nn::Module& module, const std::string& path, bool strict = true,
               const std::string& extra_prefix = kDefaultExtraPrefix);

/// The tensor called `name` in a StateDict (e.g. load()'s extras); throws std::out_of_range
/// listing the names it does have.
const Tensor& find_tensor(const StateDict& state, const std::string& name);

}  // namespace minigrad::io
