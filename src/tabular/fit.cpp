// The tabular training loop: shuffled mini-batches, one optimizer step per batch, validation
// after every epoch, and the best epoch's weights kept when early stopping is on.
#include "minigrad/tabular/fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/tabular/metrics.hpp"
#include "minigrad/train/optimizer_factory.hpp"
#include "minigrad/train/thread_chooser.hpp"

namespace minigrad::tabular {

std::string loss_name(RegressionLoss loss) {
  switch (loss) {
    case RegressionLoss::MSE:
      return "mse";
    case RegressionLoss::L1:
      return "l1";
    case RegressionLoss::Huber:
      return "huber";
  }
  return "?";
}

namespace {

// train_csv's optimizer for the same flags, after train_csv's check of its name.
std::unique_ptr<optim::Optimizer> make_optimizer(const FitOptions& o, std::vector<Tensor> params) {
  if (o.optimizer != "sgd" && o.optimizer != "adam" && o.optimizer != "adamw")
    throw std::invalid_argument(
        fmt::format("--optimizer: expected sgd, adam or adamw, got '{}'", o.optimizer));
  train::TrainConfig c;
  c.optimizer = o.optimizer, c.lr = o.lr, c.momentum = o.momentum, c.weight_decay = o.weight_decay;
  return train::make_optimizer(c, std::move(params));
}

// output (B, 1) against the standardised target (B, 1).
Tensor regression_loss(const Tensor& output, const Tensor& target, RegressionLoss loss,
                       nn::Reduction reduction) {
  if (loss == RegressionLoss::L1) return nn::l1_loss(output, target, reduction);
  if (loss == RegressionLoss::Huber) return nn::huber_loss(output, target, reduction);
  return nn::mse_loss(output, target, reduction);
}

// The metric of standardised outputs: accuracy from logits (rows, C), or R² from (rows, 1).
double metric_of(const std::vector<float>& out, const std::vector<float>& y, int64_t width,
                 Task task) {
  const size_t n = y.size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  if (task == Task::Regression) {
    std::vector<double> truth(y.begin(), y.end()), predicted(out.begin(), out.end());
    return regression_metrics(truth, predicted).r2;
  }
  int64_t correct = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* row = out.data() + i * static_cast<size_t>(width);
    correct += std::max_element(row, row + width) - row == static_cast<int64_t>(y[i]);
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace

std::vector<float> forward_rows(nn::Module& model, const float* x, int64_t rows, int64_t inputs) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<float> out;
  constexpr int64_t kChunk = 1024;
  for (int64_t r = 0; r < rows; r += kChunk) {
    const int64_t b = std::min(kChunk, rows - r);
    Tensor xb = Tensor::empty({b, inputs});
    std::copy(x + r * inputs, x + (r + b) * inputs, xb.data());
    const Tensor y = model(xb);  // (b, outputs)
    out.insert(out.end(), y.data(), y.data() + y.numel());
  }
  model.train(was_training);
  return out;
}

Scores score(nn::Module& model, const EncodedRows& rows, Task task, RegressionLoss loss,
             std::vector<float>* outputs) {
  Scores s{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  if (rows.rows == 0) return s;
  std::vector<float> out = forward_rows(model, rows.x.data(), rows.rows, rows.inputs);
  const int64_t width = static_cast<int64_t>(out.size()) / rows.rows;
  NoGradGuard no_grad;
  const Tensor o = Tensor::from(out, {rows.rows, width});
  if (task == Task::Regression)
    s.loss =
        regression_loss(o, Tensor::from(rows.y, {rows.rows, 1}), loss, nn::Reduction::Mean).item();
  else
    s.loss = nn::cross_entropy(o, Tensor::from(rows.y, {rows.rows})).item();
  s.metric = metric_of(out, rows.y, width, task);
  if (outputs) *outputs = std::move(out);
  return s;
}

FitResult fit(nn::Module& model, const EncodedRows& train, const EncodedRows& val, Task task,
              const FitOptions& o, const std::function<void(int, const EpochStats&)>& on_epoch) {
  auto optimizer = make_optimizer(o, model.parameters());
  // The shuffle draws from its own stream derived from the seed, as train_csv's loader does, so
  // a numeric table gives train_csv's batches (and its numbers).
  Generator seeder(o.seed ^ 0x5DEECE66Dull);
  Generator gen(seeder.next_u64());
  std::vector<int64_t> order(static_cast<size_t>(train.rows));
  std::iota(order.begin(), order.end(), 0);
  const int64_t in = train.inputs;
  FitResult result;
  double best_loss = std::numeric_limits<double>::infinity();
  StateDict best;
  int since_best = 0;
  std::vector<float> epoch_out, epoch_y;
  // --threads: the count given, or (auto) the faster of 1 and 2 timed in the first epoch.
  const int64_t steps = (train.rows + o.batch_size - 1) / o.batch_size;
  train::ThreadChooser chooser(o.threads, steps);
  backend::set_num_threads(o.threads == 0 ? 1 : o.threads);  // auto starts on one
  const auto start = std::chrono::steady_clock::now();
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    model.train();
    std::iota(order.begin(), order.end(), 0);  // a fresh Fisher-Yates permutation each epoch
    for (int64_t i = train.rows - 1; i > 0; --i)
      std::swap(order[i], order[gen.randint(static_cast<uint64_t>(i + 1))]);
    double loss_sum = 0.0;  // the epoch's loss is the mean of its steps' losses, as train_csv's
    int64_t seen = 0, steps = 0;
    epoch_out.clear();
    epoch_y.clear();
    for (int64_t first = 0, step = 0; first < train.rows; first += o.batch_size, ++step) {
      const int64_t b = std::min(o.batch_size, train.rows - first);
      chooser.before_step(epoch, step);
      // BatchNorm1d cannot normalise one row in training mode (PyTorch refuses it too): a last
      // batch of one row is left out of this epoch; the shuffle puts it elsewhere next time.
      if (b == 1 && first > 0) break;
      Tensor xb = Tensor::empty({b, in});  // (B, in)
      std::vector<float> yb(static_cast<size_t>(b));
      for (int64_t r = 0; r < b; ++r) {
        const int64_t src = order[first + r];
        std::copy(train.x.data() + src * in, train.x.data() + (src + 1) * in, xb.data() + r * in);
        yb[r] = train.y[src];
      }
      const Tensor out = model(xb);  // (B, C) logits or (B, 1) values
      const Tensor loss = task == Task::Regression ? regression_loss(out, Tensor::from(yb, {b, 1}),
                                                                     o.loss, nn::Reduction::Mean)
                                                   : nn::cross_entropy(out, Tensor::from(yb, {b}));
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
      chooser.after_step(b);
      loss_sum += loss.item();
      seen += b;
      ++steps;
      epoch_out.insert(epoch_out.end(), out.data(), out.data() + out.numel());
      epoch_y.insert(epoch_y.end(), yb.begin(), yb.end());
    }
    EpochStats st;
    st.train_loss = loss_sum / static_cast<double>(std::max<int64_t>(steps, 1));
    st.train_metric =
        metric_of(epoch_out, epoch_y,
                  static_cast<int64_t>(epoch_out.size()) / std::max<int64_t>(seen, 1), task);
    const Scores v = score(model, val, task, o.loss);
    st.val_loss = v.loss;
    st.val_metric = v.metric;
    result.epochs.push_back(st);
    if (on_epoch) on_epoch(epoch, st);
    if (val.rows > 0 && o.patience > 0) {
      if (v.loss < best_loss) {
        best_loss = v.loss;
        result.best_epoch = epoch;
        since_best = 0;
        best = model.state_dict();
        for (NamedTensor& t : best) t.tensor = t.tensor.clone();
      } else if (++since_best >= o.patience) {
        result.stopped_early = epoch < o.epochs;
        break;
      }
    }
  }
  result.threads = chooser.threads();
  result.threads_summary = chooser.summary();
  result.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!best.empty())
    model.load_state_dict(best);
  else
    result.best_epoch = static_cast<int>(result.epochs.size());
  return result;
}

}  // namespace minigrad::tabular
