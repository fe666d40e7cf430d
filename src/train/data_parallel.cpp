// Data-parallel training: the synchronised step on a rank's share of a batch, the evaluation.
// Gradients travel as one flat float buffer per step, all-reduced after the whole backward.
#include "minigrad/train/data_parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/index.hpp"
#include "minigrad/train/metrics.hpp"
#include "minigrad/train/nonfinite_guard.hpp"

namespace minigrad::train {

namespace {

// Every module of `model`, depth first.
std::vector<nn::Module*> modules_of(nn::Module& model) {
  std::vector<nn::Module*> found, stack = {&model};
  while (!stack.empty()) {
    nn::Module* m = stack.back();
    stack.pop_back();
    found.push_back(m);
    for (const auto& [name, child] : m->children()) stack.push_back(child.get());
  }
  return found;
}

}  // namespace

void prepare_data_parallel(nn::Module& model, const dist::ProcessGroup& group,
                           const ShardedLoader& loader, uint64_t seed) {
  // The same model and the same batches on every rank, or the sums below mix unrelated things.
  const double mine[2] = {static_cast<double>(model.num_parameters()),
                          static_cast<double>(loader.size())};
  double sums[2] = {mine[0], mine[1]};
  group.all_reduce_sum(sums);
  if (sums[0] != mine[0] * group.size() || sums[1] != mine[1] * group.size())
    throw std::invalid_argument(fmt::format(
        "rank {} of {}: the ranks disagree on the model ({} parameters here) or on the batches "
        "per epoch ({} here) (HINT: start every rank with the same flags and data)",
        group.rank(), group.size(), mine[0], mine[1]));
  for (int64_t b = 0; b < loader.size(); ++b)
    if (loader.batch_rows(b) < group.size())
      throw std::invalid_argument(fmt::format(
          "batch {} has {} rows, fewer than the {} processes: a process would have none (HINT: "
          "use a larger --batch-size, or fewer processes)",
          b + 1, loader.batch_rows(b), group.size()));

  const dist::ProcessGroup* g = &group;
  Generator seeder(seed ^ 0x2545F4914F6CDD1Dull);  // one stream of seeds per rank, then per layer
  for (int r = 0; r < group.rank(); ++r) seeder.next_u64();
  Generator rank_gen(seeder.next_u64());
  for (nn::Module* m : modules_of(model)) {
    if (auto* bn = dynamic_cast<nn::BatchNorm*>(m))
      bn->set_all_reduce([g](std::span<double> v) { g->all_reduce_sum(v); });
    if (auto* d = dynamic_cast<nn::Dropout*>(m)) d->generator() = Generator(rank_gen.next_u64());
  }
}

StepStats data_parallel_step(nn::Module& model, optim::Optimizer& optimizer,
                             const data::Batch& share, int64_t B, const dist::ProcessGroup& group,
                             std::vector<int>& predictions, std::vector<float>& buffer,
                             OnNonFinite on_nonfinite) {
  const Tensor& x = share.x;       // (b, F), b this rank's rows
  const Tensor& y = share.y;       // (b)
  const Tensor logits = model(x);  // (b, C)
  // Σ over this rank's rows / B: the ranks' losses add up to the whole batch's mean.
  const Tensor loss_sum = nn::cross_entropy(logits, y, {.reduction = nn::Reduction::Sum});
  const Tensor loss = loss_sum * (1.0f / static_cast<float>(B));
  optimizer.zero_grad();
  loss.backward();  // always, even when not finite: synchronised BatchNorm reduces inside it
  predict_classes(logits, predictions);
  int64_t correct = 0;
  for (size_t i = 0; i < share.labels.size(); ++i) correct += predictions[i] == share.labels[i];

  // Gradients and the step's totals (loss sum, correct rows) summed across the ranks, in one call.
  const std::vector<Tensor> params = model.parameters();
  buffer.clear();
  for (const Tensor& p : params) {
    const float* g = grad_buffer(p);
    buffer.insert(buffer.end(), g, g + p.numel());
  }
  buffer.push_back(loss_sum.item());
  buffer.push_back(static_cast<float>(correct));  // exact below 2^24 rows
  group.all_reduce_sum(buffer);
  size_t at = 0;
  for (const Tensor& p : params) {
    std::copy_n(buffer.data() + at, p.numel(), grad_buffer(p));
    at += static_cast<size_t>(p.numel());
  }
  const double loss_total = buffer[at], correct_total = buffer[at + 1];

  // Every rank now holds the same loss and gradients, so each takes the same decision below.
  StepStats st{loss_total / static_cast<double>(B), static_cast<int64_t>(correct_total), "", false};
  if (!std::isfinite(st.loss)) {
    st.non_finite = fmt::format("the loss is {}", st.loss);
    st.skippable = true;
    return st;
  }
  guarded_step(model, optimizer, on_nonfinite, st);
  return st;
}

Evaluation evaluate_data_parallel(nn::Module& model, const data::Dataset& data, int classes,
                                  const dist::ProcessGroup& group) {
  const Evaluation part = evaluate(model, data, classes);
  // counts[t·C + p], then the loss summed over the rows, then the rows.
  std::vector<double> totals(static_cast<size_t>(classes) * classes + 2);
  for (int t = 0; t < classes; ++t)
    for (int p = 0; p < classes; ++p) totals[t * classes + p] = part.confusion.count(t, p);
  const auto rows = static_cast<double>(data.size());
  totals[totals.size() - 2] = part.loss * rows;
  totals.back() = rows;
  group.all_reduce_sum(totals);
  const double n = totals.back();
  Evaluation ev{n > 0 ? totals[totals.size() - 2] / n : 0.0, ConfusionMatrix(classes)};
  for (int t = 0; t < classes; ++t)
    for (int p = 0; p < classes; ++p) {
      const auto n = static_cast<size_t>(totals[t * classes + p]);
      if (n > 0) ev.confusion.add(std::vector<int>(n, t), std::vector<int>(n, p));
    }
  return ev;
}

}  // namespace minigrad::train
