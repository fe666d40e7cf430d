// Data-parallel training: the synchronised step on a rank's share of a batch, the evaluation,
// and the checks that keep the ranks one model. Gradients travel as one flat float buffer per
// step, all-reduced after the whole backward; what else the ranks must agree on every step
// (local BatchNorm's running statistics, a signal) rides in the same buffer, not in calls of its
// own.
#include "minigrad/train/data_parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <numeric>
#include <stdexcept>

#include "minigrad/autograd.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/dropout.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/index.hpp"
#include "minigrad/train/digest.hpp"
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
                           const ShardedLoader& loader, uint64_t seed, BnStats bn_stats) {
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
  const bool local_bn = bn_stats == BnStats::Local && group.size() > 1 &&
                        std::ranges::any_of(modules_of(model), [](nn::Module* m) {
                          return dynamic_cast<nn::BatchNorm*>(m) != nullptr;
                        });
  for (int64_t b = 0; b < loader.size(); ++b) {
    if (loader.batch_rows(b) < group.size())
      throw std::invalid_argument(fmt::format(
          "batch {} has {} rows, fewer than the {} processes: a process would have none (HINT: "
          "use a larger --batch-size, or fewer processes)",
          b + 1, loader.batch_rows(b), group.size()));
    // BatchNorm's batch variance needs 2 rows; the smallest share is B / N rows.
    if (local_bn && loader.batch_rows(b) / group.size() < 2)
      throw std::invalid_argument(fmt::format(
          "--bn-stats local: batch {} of {} rows gives a process {} row, and BatchNorm needs 2 "
          "to compute its statistics over a process's rows (HINT: use a larger --batch-size, "
          "--bn-stats sync, or fewer processes)",
          b + 1, loader.batch_rows(b), loader.batch_rows(b) / group.size()));
  }

  const dist::ProcessGroup* g = &group;
  Generator seeder(seed ^ 0x2545F4914F6CDD1Dull);  // one stream of seeds per rank, then per layer
  for (int r = 0; r < group.rank(); ++r) seeder.next_u64();
  Generator rank_gen(seeder.next_u64());
  for (nn::Module* m : modules_of(model)) {
    if (auto* bn = dynamic_cast<nn::BatchNorm*>(m); bn && bn_stats == BnStats::Sync)
      bn->set_all_reduce([g](std::span<double> v) { g->all_reduce_sum(v); });
    if (auto* d = dynamic_cast<nn::Dropout*>(m)) d->generator() = Generator(rank_gen.next_u64());
  }
}

StepStats data_parallel_step(nn::Module& model, optim::Optimizer& optimizer,
                             const data::Batch& share, int64_t B, const dist::ProcessGroup& group,
                             std::vector<int>& predictions, std::vector<float>& buffer,
                             OnNonFinite on_nonfinite, int signal) {
  const Tensor& x = share.x;       // (b, F), b this rank's rows
  const Tensor& y = share.y;       // (b)
  const Tensor logits = model(x);  // (b, C)
  // Σ over this rank's rows / B: the ranks' losses add up to the whole batch's mean.
  const Tensor loss_sum = nn::cross_entropy(logits, y, {.reduction = nn::Reduction::Sum});
  const Tensor loss = loss_sum * (1.0f / static_cast<float>(B));
  optimizer.zero_grad();
  loss.backward();  // always, even when not finite: synchronised BatchNorm reduces inside it
  predict_classes(logits, predictions);
  float correct = 0.0f;  // exact below 2^24 rows
  for (size_t i = 0; i < share.labels.size(); ++i) correct += predictions[i] == share.labels[i];
  StepStats st =
      all_reduce_step(model, optimizer, loss_sum.item(), static_cast<int64_t>(share.labels.size()),
                      B, group, buffer, std::span(&correct, 1), on_nonfinite, signal);
  st.correct = static_cast<int64_t>(correct);
  return st;
}

StepStats all_reduce_step(nn::Module& model, optim::Optimizer& optimizer, float loss_sum,
                          int64_t rows, int64_t B, const dist::ProcessGroup& group,
                          std::vector<float>& buffer, std::span<float> totals,
                          OnNonFinite on_nonfinite, int signal) {
  // Gradients, the running statistics of local BatchNorm layers (times this rank's share b/B, so
  // that the sum is their weighted average), the step's loss sum and the caller's totals, and
  // whether this rank had a signal, summed across the ranks in one call.
  const std::vector<Tensor> params = model.parameters();
  std::vector<Tensor> running;
  for (nn::Module* m : modules_of(model))
    if (auto* bn = dynamic_cast<nn::BatchNorm*>(m);
        bn && !bn->synchronised() && bn->options().track_running_stats)
      running.insert(running.end(), {bn->running_mean(), bn->running_var()});
  const float share_weight = static_cast<float>(rows) / static_cast<float>(B);
  buffer.clear();
  for (const Tensor& p : params) {
    const float* g = grad_buffer(p);
    buffer.insert(buffer.end(), g, g + p.numel());
  }
  for (const Tensor& t : running)
    for (int64_t i = 0; i < t.numel(); ++i) buffer.push_back(share_weight * t.data()[i]);
  buffer.push_back(loss_sum);
  buffer.insert(buffer.end(), totals.begin(), totals.end());
  buffer.push_back(signal == SIGTERM ? 1.0f : 0.0f);
  buffer.push_back(signal != 0 ? 1.0f : 0.0f);
  group.all_reduce_sum(buffer);
  size_t at = 0;
  for (const Tensor& p : params) {
    std::copy_n(buffer.data() + at, p.numel(), grad_buffer(p));
    at += static_cast<size_t>(p.numel());
  }
  for (Tensor& t : running) {
    std::copy_n(buffer.data() + at, t.numel(), t.data());
    t.bump_version();
    at += static_cast<size_t>(t.numel());
  }
  const double loss_total = buffer[at++];
  std::copy_n(buffer.data() + at, totals.size(), totals.begin());
  at += totals.size();

  // Every rank now holds the same loss and gradients, so each takes the same decision below.
  StepStats st{loss_total / static_cast<double>(B), 0, "", false};
  st.signal = buffer[at] > 0 ? SIGTERM : buffer[at + 1] > 0 ? SIGINT : 0;
  if (!std::isfinite(st.loss)) {
    st.non_finite = fmt::format("the loss is {}", st.loss);
    st.skippable = true;
    return st;
  }
  guarded_step(model, optimizer, on_nonfinite, st);
  return st;
}

std::vector<std::array<uint64_t, 4>> all_gather(const dist::ProcessGroup& group,
                                                const std::vector<std::array<uint64_t, 4>>& mine) {
  // A gather as a sum: each rank fills its own slot of a zeroed buffer with its values, as
  // 32-bit halves (a double holds them exactly), and the others' slots stay 0.
  const size_t n = mine.size(), words = 8 * n;
  std::vector<double> all(words * static_cast<size_t>(group.size()), 0.0);
  double* slot = all.data() + words * static_cast<size_t>(group.rank());
  for (size_t i = 0; i < n; ++i)
    for (size_t w = 0; w < 4; ++w) {
      slot[8 * i + 2 * w] = static_cast<double>(mine[i][w] >> 32);
      slot[8 * i + 2 * w + 1] = static_cast<double>(mine[i][w] & 0xFFFFFFFFu);
    }
  group.all_reduce_sum(all);
  std::vector<std::array<uint64_t, 4>> states(n * static_cast<size_t>(group.size()));
  for (size_t i = 0; i < states.size(); ++i)
    for (size_t w = 0; w < 4; ++w)
      states[i][w] = static_cast<uint64_t>(all[8 * i + 2 * w]) << 32 |
                     static_cast<uint64_t>(all[8 * i + 2 * w + 1]);
  return states;
}

std::vector<std::vector<std::string>> all_gather_strings(const dist::ProcessGroup& group,
                                                         const std::vector<std::string>& mine) {
  // Each rank fills its own slots of zeroed buffers: first how many strings and bytes it has,
  // then the strings' lengths and bytes (a double holds each exactly); the sum is everyone's.
  const auto ranks = static_cast<size_t>(group.size()), me = static_cast<size_t>(group.rank());
  std::vector<double> sizes(2 * ranks, 0.0);
  sizes[2 * me] = static_cast<double>(mine.size());
  for (const std::string& s : mine) sizes[2 * me + 1] += static_cast<double>(s.size());
  group.all_reduce_sum(sizes);
  std::vector<size_t> at(ranks + 1, 0);  // where each rank's slots start
  for (size_t r = 0; r < ranks; ++r)
    at[r + 1] = at[r] + static_cast<size_t>(sizes[2 * r] + sizes[2 * r + 1]);
  std::vector<double> all(at[ranks], 0.0);
  size_t i = at[me];
  for (const std::string& s : mine) all[i++] = static_cast<double>(s.size());
  for (const std::string& s : mine)
    for (const char c : s) all[i++] = static_cast<double>(static_cast<unsigned char>(c));
  group.all_reduce_sum(all);
  std::vector<std::vector<std::string>> out(ranks);
  for (size_t r = 0; r < ranks; ++r) {
    const auto n = static_cast<size_t>(sizes[2 * r]);
    size_t byte = at[r] + n;
    for (size_t k = 0; k < n; ++k) {
      std::string s(static_cast<size_t>(all[at[r] + k]), '\0');
      for (char& c : s) c = static_cast<char>(static_cast<unsigned char>(all[byte++]));
      out[r].push_back(std::move(s));
    }
  }
  return out;
}

void check_replicas_agree(const nn::Module& model, const dist::ProcessGroup& group) {
  // A 64-bit FNV-1a digest of each tensor's bytes, gathered from every rank.
  const StateDict state = model.state_dict();
  std::vector<std::array<uint64_t, 4>> mine;
  for (const NamedTensor& nt : state) {
    Digest h;
    h.add(nt.tensor.data(), sizeof(float) * static_cast<size_t>(nt.tensor.numel()));
    mine.push_back({h.value, 0, 0, 0});
  }
  const std::vector<std::array<uint64_t, 4>> all = all_gather(group, mine);
  for (int r = 1; r < group.size(); ++r)
    for (size_t i = 0; i < state.size(); ++i)
      if (all[r * state.size() + i] != all[i])
        throw std::logic_error(fmt::format(
            "rank {} of {} ended training with another {} than rank 0: the processes no longer "
            "train one model (an internal error; please report it)",
            r, group.size(), state[i].name));
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
