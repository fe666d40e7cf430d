// retain_grad(), PyTorch's rule: a non-leaf tensor's grad lives for one backward() walk and is
// dropped after it, unless retain_grad() asked to keep it. A grad kept from an earlier walk is set
// aside while the next walk runs (so the tensor's node passes on only this walk's gradient) and
// the new gradient is added to it afterwards. Internal to the backward walk in autograd.cpp.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad::autograd_detail {

class RetainedGrads {
 public:
  /// Empties the grad of every non-leaf in `order`, setting aside those kept by retain_grad().
  explicit RetainedGrads(const std::vector<Tensor>& order);
  /// Adds each walk's new grad into the one set aside, and puts that back.
  void restore();

 private:
  std::vector<std::pair<TensorImpl*, std::shared_ptr<TensorImpl>>> kept_;
};

}  // namespace minigrad::autograd_detail
