// Evaluation in eval mode without a graph, the batch forwarded in parts (evaluate.hpp).
#include "minigrad/train/evaluate.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "minigrad/autograd.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/ops/index.hpp"
#include "minigrad/ops/join.hpp"

namespace minigrad::train {

Tensor forward_in_parts(nn::Module& model, const Tensor& x, int64_t rows) {
  if (rows < 1)
    throw std::invalid_argument(
        fmt::format("forward_in_parts: rows is {}, must be at least 1", rows));
  const int64_t B = x.dim() == 0 ? 0 : x.shape()[0];
  if (B <= rows) return model(x);
  // Equal parts rather than `rows` and a remainder: a small last part could take another product
  // kernel than the whole batch (kEvalRows).
  const int64_t parts = (B + rows - 1) / rows;
  std::vector<Tensor> outputs;
  outputs.reserve(static_cast<size_t>(parts));
  for (int64_t p = 0, start = 0; p < parts; ++p) {
    const int64_t end = B * (p + 1) / parts;
    outputs.push_back(model(narrow(x, 0, start, end - start)));
    start = end;
  }
  return cat(outputs, 0);
}

Evaluation evaluate(nn::Module& model, const data::Dataset& data, int classes) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  Evaluation ev{0.0, ConfusionMatrix(classes)};
  data::DataLoader loader(data, {.batch_size = 1000, .shuffle = false});
  std::vector<int> predictions, labels;
  double loss_sum = 0.0;
  for (int64_t b = 0; b < loader.size(); ++b) {
    const data::Batch& batch = loader.batch(b);
    const Tensor logits = forward_in_parts(model, batch.x);  // (B, C)
    loss_sum += nn::cross_entropy(logits, batch.y, {.reduction = nn::Reduction::Sum}).item();
    predict_classes(logits, predictions);
    labels.assign(batch.labels.begin(), batch.labels.end());
    ev.confusion.add(labels, predictions);
  }
  ev.loss = data.size() ? loss_sum / static_cast<double>(data.size()) : 0.0;
  model.train(was_training);
  return ev;
}

}  // namespace minigrad::train
