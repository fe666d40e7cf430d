// Classification metrics: predictions from logits, accuracy, and a confusion matrix that prints
// with class names (rows: true class, columns: predicted class).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "minigrad/tensor.hpp"

namespace minigrad::train {

/// Row-wise argmax of logits (B, C) into `out` (B).
void predict_classes(const Tensor& logits, std::vector<int>& out);

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int classes);
  /// Counts one batch; labels and predictions must be in [0, classes).
  void add(const std::vector<int>& labels, const std::vector<int>& predictions);
  int classes() const { return classes_; }
  int64_t count(int truth, int predicted) const { return counts_[truth * classes_ + predicted]; }
  int64_t total() const;
  int64_t correct() const;
  double accuracy() const;
  /// A table with one row per true class. `labels` gives the label of each class (empty: class
  /// c is label c); `names` are indexed by label (empty, or a label past them: the label shown).
  std::string str(const std::vector<std::string>& names,
                  std::span<const int32_t> labels = {}) const;

 private:
  int classes_;
  std::vector<int64_t> counts_;
};

/// Fashion-MNIST's class names, in label order 0..9.
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace minigrad::train
