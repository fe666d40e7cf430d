// What the safetensors fuzz target does with one input, shared by the libFuzzer harness
// (fuzz_safetensors.cpp) and the doctest suite (test_fuzz_inputs.cpp). Refused inputs end in a
// std::runtime_error; anything else is a finding: another exception, or a broken invariant.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "minigrad/io/safetensors.hpp"
#include "require.hpp"

namespace fuzz {

/// The safetensors reader, and the writer on what it read: a file that loads is saved again,
/// and the saved bytes load to the same tensors and save to the same bytes.
inline void safetensors_input(std::span<const uint8_t> input) {
  using namespace minigrad;
  io::SafetensorsContents first;
  try {
    first = io::deserialize_safetensors(input, "fuzz.safetensors");
  } catch (const std::runtime_error&) {
    return;
  }
  for (const NamedTensor& nt : first.tensors)
    for (float v : nt.tensor.to_vector()) require(std::isfinite(v), "loaded values are finite");
  std::vector<uint8_t> saved;
  try {
    saved = io::serialize_safetensors(first.tensors, first.metadata);
  } catch (const std::invalid_argument&) {
    return;  // an I64 value beyond what float32 holds exactly cannot be written back
  }
  const io::SafetensorsContents second = io::deserialize_safetensors(saved, "saved");
  require(second.metadata == first.metadata, "metadata survives a round trip");
  require(second.tensors.size() == first.tensors.size(), "every tensor survives a round trip");
  for (size_t i = 0; i < first.tensors.size(); ++i) {
    const NamedTensor& a = first.tensors[i];
    const NamedTensor* b = nullptr;
    for (const NamedTensor& nt : second.tensors)
      if (nt.name == a.name) b = &nt;
    require(b != nullptr && b->dtype == a.dtype && b->tensor.shape() == a.tensor.shape(),
            "names, dtypes and shapes survive a round trip");
    const auto n = static_cast<size_t>(a.tensor.numel());
    require(n == 0 || std::memcmp(a.tensor.data(), b->tensor.data(), n * sizeof(float)) == 0,
            "values survive a round trip bit for bit");
  }
  require(io::serialize_safetensors(second.tensors, second.metadata) == saved,
          "saving what was loaded gives the same bytes");
}

}  // namespace fuzz
