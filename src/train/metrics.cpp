// Classification metrics: argmax predictions, accuracy, confusion matrix.
#include "minigrad/train/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace minigrad::train {

void predict_classes(const Tensor& logits, std::vector<int>& out) {
  if (logits.dim() != 2)
    throw std::invalid_argument("predict_classes: logits must be (batch, classes), got " +
                                shape_str(logits.shape()));
  const int64_t rows = logits.size(0), classes = logits.size(1);
  out.resize(static_cast<size_t>(rows));
  const float* p = logits.data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = p + r * classes;
    out[static_cast<size_t>(r)] = static_cast<int>(std::max_element(row, row + classes) - row);
  }
}

ConfusionMatrix::ConfusionMatrix(int classes)
    : classes_(classes), counts_(static_cast<size_t>(classes) * static_cast<size_t>(classes), 0) {
  if (classes < 1) throw std::invalid_argument("ConfusionMatrix: need at least one class");
}

void ConfusionMatrix::add(const std::vector<int>& labels, const std::vector<int>& predictions) {
  if (labels.size() != predictions.size())
    throw std::invalid_argument(fmt::format("ConfusionMatrix::add: {} labels but {} predictions",
                                            labels.size(), predictions.size()));
  for (size_t i = 0; i < labels.size(); ++i) {
    const int t = labels[i], p = predictions[i];
    if (t < 0 || t >= classes_ || p < 0 || p >= classes_)
      throw std::out_of_range(fmt::format("ConfusionMatrix::add: class {} or {} outside [0, {})", t,
                                          p, classes_));
    ++counts_[static_cast<size_t>(t * classes_ + p)];
  }
}

int64_t ConfusionMatrix::total() const {
  int64_t n = 0;
  for (int64_t c : counts_) n += c;
  return n;
}

int64_t ConfusionMatrix::correct() const {
  int64_t n = 0;
  for (int c = 0; c < classes_; ++c) n += count(c, c);
  return n;
}

double ConfusionMatrix::accuracy() const {
  const int64_t n = total();
  return n ? static_cast<double>(correct()) / static_cast<double>(n) : 0.0;
}

std::string ConfusionMatrix::str(const std::vector<std::string>& names,
                                 std::span<const int32_t> labels) const {
  if (!labels.empty() && labels.size() != static_cast<size_t>(classes_))
    throw std::invalid_argument(fmt::format("ConfusionMatrix::str: {} labels for {} classes",
                                            labels.size(), classes_));
  auto label = [&](int c) { return labels.empty() ? c : labels[static_cast<size_t>(c)]; };
  auto name = [&](int c) {
    const int32_t l = label(c);
    return l >= 0 && l < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(l)]
                                                             : std::to_string(l);
  };
  size_t label_width = 4;
  for (int c = 0; c < classes_; ++c) label_width = std::max(label_width, name(c).size());
  int64_t largest = 0;
  for (int64_t v : counts_) largest = std::max(largest, v);
  size_t cell = std::max<size_t>(5, std::to_string(largest).size() + 1);
  for (int c = 0; c < classes_; ++c) cell = std::max(cell, std::to_string(label(c)).size() + 1);

  std::string out = fmt::format("{:<{}}  predicted →\n", "true ↓", label_width);
  out += fmt::format("{:<{}}", "", label_width);
  for (int c = 0; c < classes_; ++c) out += fmt::format("{:>{}}", label(c), cell);
  out += fmt::format("{:>9}\n", "recall");
  for (int t = 0; t < classes_; ++t) {
    out += fmt::format("{:<{}}", name(t), label_width);
    int64_t row_total = 0;
    for (int p = 0; p < classes_; ++p) {
      out += fmt::format("{:>{}}", count(t, p), cell);
      row_total += count(t, p);
    }
    const double recall = row_total ? static_cast<double>(count(t, t)) / static_cast<double>(row_total) : 0.0;
    out += fmt::format("{:>9.3f}\n", recall);
  }
  out += fmt::format("(columns are predicted classes by {}: ", labels.empty() ? "id" : "label");
  for (int c = 0; c < classes_; ++c)
    out += fmt::format("{}{}={}", c ? ", " : "", label(c), name(c));
  out += ")\n";
  return out;
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                 "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

}  // namespace minigrad::train
