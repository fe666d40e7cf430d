// pattern: deterministic test inputs that tests/reference/golden_*.py rebuilds bit for bit, so a
// golden test pastes only PyTorch's outputs, never its inputs. Values are small fractions such as
// -1.125 or 0.5 (exact in float32), with few ties unless the arguments ask for them.
#pragma once

#include <cstdint>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad {

/// Element k is float(((k·mul + add) mod `mod` - mod/2) / scale), in row-major order.
inline Tensor pattern(const Shape& shape, int64_t mul, int64_t add, int64_t mod, double scale) {
  const int64_t n = shape_numel(shape);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k)
    v[static_cast<size_t>(k)] =
        static_cast<float>(static_cast<double>((k * mul + add) % mod - mod / 2) / scale);
  return Tensor::from(v, shape);
}

}  // namespace minigrad
