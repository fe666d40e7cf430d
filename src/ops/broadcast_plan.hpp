// How a broadcasting binary op walks its operands (ops/broadcast.hpp gives the rule): each
// operand gets a stride per output dimension, 0 where it is broadcast, so that stepping along
// such a dimension reads the same element again. The plan walks the output in row-major order and
// hands every element's position in a and in b to a loop body. Internal to src/ops.
#pragma once

#include <cstdint>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad::ops_detail {

/// The broadcast shape of a and b; throws naming `op`, both shapes and the first bad dimension.
Shape broadcast_or_throw(const char* op, const Shape& a, const Shape& b);

/// The strides of an operand of shape `s` read as the broadcast shape `out`.
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out);

struct BroadcastPlan {
  Shape out;
  std::vector<int64_t> a_strides, b_strides;
  bool same_shapes;  // a, b and out alike: element i of each, one flat loop

  BroadcastPlan(const char* op, const Shape& a, const Shape& b)
      : out(broadcast_or_throw(op, a, b)),
        a_strides(broadcast_strides(a, out)),
        b_strides(broadcast_strides(b, out)),
        same_shapes(a == b) {}

  /// Calls body(i, ia, ib) for every output element i, with the elements of a and b it reads.
  template <class Body>
  void for_each(Body body) const {
    const int64_t n = shape_numel(out);
    if (same_shapes) {
      for (int64_t i = 0; i < n; ++i) body(i, i, i);
      return;
    }
    std::vector<int64_t> index(out.size(), 0);
    int64_t ia = 0, ib = 0;
    for (int64_t i = 0; i < n; ++i) {
      body(i, ia, ib);
      for (size_t d = out.size(); d-- > 0;) {  // an odometer: the last dimension turns fastest
        ia += a_strides[d], ib += b_strides[d];
        if (++index[d] < out[d]) break;
        ia -= a_strides[d] * out[d], ib -= b_strides[d] * out[d];
        index[d] = 0;
      }
    }
  }
};

}  // namespace minigrad::ops_detail
