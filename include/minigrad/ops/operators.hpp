// C++ operators for the elementwise ops: a + b is add(a, b), x * 2.0f is mul(x, 2) with the
// number as a [] tensor that broadcasts, -x is neg(x). Nothing here has a backward of its own:
// each operator records the node of the op it calls (ops/elementwise.hpp).
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, float b);
Tensor operator-(const Tensor& a, float b);
Tensor operator*(const Tensor& a, float b);
Tensor operator/(const Tensor& a, float b);
Tensor operator+(float a, const Tensor& b);
Tensor operator-(float a, const Tensor& b);
Tensor operator*(float a, const Tensor& b);
Tensor operator/(float a, const Tensor& b);

}  // namespace minigrad
