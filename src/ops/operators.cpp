// The operators of ops/operators.hpp, each one line over an elementwise op. The scalar forms wrap
// the number as a [] tensor, which broadcasts.
#include "minigrad/ops/operators.hpp"

#include "minigrad/ops/elementwise.hpp"

namespace minigrad {

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, float b) { return add(a, Tensor::scalar(b)); }
Tensor operator-(const Tensor& a, float b) { return sub(a, Tensor::scalar(b)); }
Tensor operator*(const Tensor& a, float b) { return mul(a, Tensor::scalar(b)); }
Tensor operator/(const Tensor& a, float b) { return div(a, Tensor::scalar(b)); }
Tensor operator+(float a, const Tensor& b) { return add(Tensor::scalar(a), b); }
Tensor operator-(float a, const Tensor& b) { return sub(Tensor::scalar(a), b); }
Tensor operator*(float a, const Tensor& b) { return mul(Tensor::scalar(a), b); }
Tensor operator/(float a, const Tensor& b) { return div(Tensor::scalar(a), b); }

}  // namespace minigrad
