// softmax and log_softmax along one dimension, computed stably (the maximum is subtracted first).
#pragma once

#include "minigrad/tensor.hpp"

namespace minigrad {

/// x - max - log(sum(exp(x - max))) along `dim`: never log of an underflowed softmax.
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor softmax(const Tensor& x, int64_t dim);

}  // namespace minigrad
