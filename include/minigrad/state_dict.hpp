// StateDict: an ordered list of named tensors, the currency between modules and checkpoints.
// minigrad tensors are float32; a tensor tagged I64 (BatchNorm's num_batches_tracked) holds
// whole numbers and is written to files as a 64-bit integer, as PyTorch stores it.
#pragma once

#include <string>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad {

enum class DType { F32, I64 };

struct NamedTensor {
  std::string name;  // dotted, PyTorch-style: "network.0.weight"
  Tensor tensor;
  DType dtype = DType::F32;
};

/// In registration order, parameters before buffers within each module, like PyTorch.
using StateDict = std::vector<NamedTensor>;

}  // namespace minigrad
