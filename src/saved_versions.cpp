// Noting and checking the storage versions a backward depends on (saved_versions.hpp).
#include "minigrad/saved_versions.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace minigrad {

void SavedVersions::note(Saved saved, const std::vector<Tensor>& inputs, const Tensor& output) {
  if (saved == Saved::inputs || saved == Saved::inputs_and_output) {
    input_versions_.reserve(inputs.size());
    for (const Tensor& t : inputs)
      input_versions_.push_back(t.defined() ? t.impl()->storage->version() : -1);
  }
  if (saved == Saved::output || saved == Saved::inputs_and_output) {
    output_storage_ = output.impl()->storage;
    output_version_ = output_storage_->version();
    output_shape_ = output.shape();
  }
}

void SavedVersions::check(const std::string& op, const std::vector<Tensor>& inputs) const {
  auto fail = [&op](const std::string& which, const Shape& shape, int64_t now, int64_t then) {
    throw std::logic_error(fmt::format(
        "backward(): one of the tensors needed to compute the gradient of '{}' ({}, shape {}) "
        "has been modified by an in-place operation: its version is {}, it was {} when '{}' "
        "used it (HINT: clone() the tensor before writing to it with fill_/copy_/zero_ or an "
        "optimizer step, or write to it only after backward())",
        op, which, shape_str(shape), now, then, op));
  };
  for (size_t i = 0; i < input_versions_.size(); ++i) {
    if (input_versions_[i] < 0) continue;
    const int64_t now = inputs[i].impl()->storage->version();
    if (now != input_versions_[i])
      fail(fmt::format("input {}", i), inputs[i].shape(), now, input_versions_[i]);
  }
  if (output_storage_ && output_storage_->version() != output_version_)
    fail("its output", output_shape_, output_storage_->version(), output_version_);
}

void SavedVersions::clear() {
  input_versions_.clear();
  output_storage_.reset();
}

}  // namespace minigrad
