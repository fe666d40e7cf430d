// Saved values written in place: a backward must see the values its forward read. Every storage
// counts its in-place writes (fill_, copy_, zero_, an optimizer step: its version, PyTorch's
// `_version`); a node notes the versions of what its backward reads and checks them before it
// runs, so `y = x * x; x.fill_(10); y.backward()` is an error, not a gradient of 20 everywhere.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// What an op's backward reads besides dout, so that writes to it in place can be detected:
/// mul reads its inputs, exp its output (y = eˣ, dx = dy·y), add nothing.
enum class Saved { none, inputs, output, inputs_and_output };

/// The storage versions of what one node's backward reads, noted when the op is recorded.
class SavedVersions {
 public:
  /// Notes the current versions of `inputs` and `output`, those that `saved` names.
  void note(Saved saved, const std::vector<Tensor>& inputs, const Tensor& output);
  /// Throws, naming `op`, the tensor and its shape, if a noted value was written in place since.
  void check(const std::string& op, const std::vector<Tensor>& inputs) const;
  /// Forgets the output's storage (the node is released).
  void clear();

 private:
  std::vector<int64_t> input_versions_;      // per input, or -1 if the backward does not read it
  std::shared_ptr<Storage> output_storage_;  // set only when the backward reads the output
  int64_t output_version_ = 0;
  Shape output_shape_;
};

}  // namespace minigrad
