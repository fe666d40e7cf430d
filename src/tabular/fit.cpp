// The tabular training loop: shuffled mini-batches, one optimizer step per batch, validation
// after every epoch, the best epoch's weights kept when early stopping is on, and its state
// (FitState) saved on an interrupt so that a resumed run continues with the same numbers. Across
// processes, each step is a rank's share of one process's batch with the gradients summed.
#include "minigrad/tabular/fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/data/dataset.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/tabular/metrics.hpp"
#include "minigrad/tabular/parallel.hpp"
#include "minigrad/train/data_parallel.hpp"
#include "minigrad/train/evaluate.hpp"
#include "minigrad/train/interrupt.hpp"
#include "minigrad/train/nonfinite_guard.hpp"
#include "minigrad/train/optimizer_factory.hpp"
#include "minigrad/train/resume.hpp"
#include "minigrad/train/sharded_loader.hpp"
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

// The training metric from an epoch's sums across the ranks: the correct rows, or (regression)
// Σ (y - ŷ)², Σ y and Σ y² for R² = 1 - Σ (y - ŷ)² / Σ (y - ȳ)².
double metric_of_sums(const std::array<double, 3>& sums, int64_t rows, Task task) {
  if (rows == 0) return std::numeric_limits<double>::quiet_NaN();
  const auto n = static_cast<double>(rows);
  if (task == Task::Classification) return sums[0] / n;
  const double sst = sums[2] - sums[1] * sums[1] / n;
  return sst > 0.0 ? 1.0 - sums[0] / sst : (sums[0] == 0.0 ? 1.0 : 0.0);
}

// One step across the ranks: this rank's share of batch `step` (the target is its last column),
// the loss Σ over its rows / B, the gradients summed and the same optimizer step on every rank.
// Adds the batch's mean loss to `loss_sum` and its metric sums to `sums`; returns the signal any
// rank had before the step, so that every rank stops after the same one.
int step_across(nn::Module& model, optim::Optimizer& optimizer, train::ShardedLoader& loader,
                int64_t step, Task task, RegressionLoss kind, const FitAcross& across,
                std::vector<float>& buffer, int signal, double& loss_sum,
                std::array<double, 3>& sums) {
  const data::Batch& share = loader.batch(step);  // x (b_r, in + 1)
  const int64_t B = loader.batch_rows(step), b = share.x.size(0), in = share.x.size(1) - 1;
  Tensor xb = Tensor::empty({b, in});  // (b_r, in)
  std::vector<float> yb(static_cast<size_t>(b));
  for (int64_t r = 0; r < b; ++r) {
    std::copy_n(share.x.data() + r * (in + 1), in, xb.data() + r * in);
    yb[static_cast<size_t>(r)] = share.x.data()[r * (in + 1) + in];
  }
  const Tensor out = model(xb);  // (b_r, C) logits or (b_r, 1) values
  const Tensor loss =
      task == Task::Regression
          ? regression_loss(out, Tensor::from(yb, {b, 1}), kind, nn::Reduction::Sum)
          : nn::cross_entropy(out, Tensor::from(yb, {b}), {.reduction = nn::Reduction::Sum});
  optimizer.zero_grad();
  (loss * (1.0f / static_cast<float>(B))).backward();
  float totals[3] = {};
  for (int64_t r = 0; r < b; ++r) {
    const float y = yb[static_cast<size_t>(r)];
    if (task == Task::Classification) {
      const float* row = out.data() + r * out.size(1);
      totals[0] += std::max_element(row, row + out.size(1)) - row == static_cast<int64_t>(y);
    } else {
      const float e = y - out.data()[r];
      totals[0] += e * e, totals[1] += y, totals[2] += y * y;
    }
  }
  const train::StepStats st =
      train::all_reduce_step(model, optimizer, loss.item(), b, B, across.group, buffer, totals,
                             train::OnNonFinite::Stop, signal);
  if (!st.non_finite.empty())
    throw train::NonFiniteError(fmt::format("step {}: {}; the training diverged (HINT: lower --lr)",
                                            step + 1, st.non_finite));
  loss_sum += st.loss;
  for (int k = 0; k < 3; ++k) sums[k] += totals[k];
  return st.signal;
}

}  // namespace

std::vector<float> forward_rows(nn::Module& model, const float* x, int64_t rows, int64_t inputs) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<float> out;
  // 1024 rows of input at a time, forwarded in parts of at most 512: a convolutional model's
  // activations for 1024 images of 28x28 take 100 MB each. The outputs are the same bytes unless
  // a layer's product changes kernel between the two row counts (kEvalRows in evaluate.hpp).
  constexpr int64_t kChunk = 1024, kPart = 512;
  for (int64_t r = 0; r < rows; r += kChunk) {
    const int64_t b = std::min(kChunk, rows - r);
    Tensor xb = Tensor::empty({b, inputs});
    std::copy(x + r * inputs, x + (r + b) * inputs, xb.data());
    const Tensor y = train::forward_in_parts(model, xb, kPart);  // (b, outputs)
    out.insert(out.end(), y.data(), y.data() + y.numel());
  }
  model.train(was_training);
  return out;
}

Scores score(nn::Module& model, const EncodedRows& rows, Task task, RegressionLoss loss,
             std::vector<float>* outputs) {
  if (rows.rows == 0) return score_outputs({}, {}, 1, task, loss);
  std::vector<float> out = forward_rows(model, rows.x.data(), rows.rows, rows.inputs);
  const Scores s =
      score_outputs(out, rows.y, static_cast<int64_t>(out.size()) / rows.rows, task, loss);
  if (outputs) *outputs = std::move(out);
  return s;
}

Scores score_outputs(const std::vector<float>& out, const std::vector<float>& y, int64_t width,
                     Task task, RegressionLoss loss) {
  Scores s{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  const auto rows = static_cast<int64_t>(y.size());
  if (rows == 0) return s;
  NoGradGuard no_grad;
  const Tensor o = Tensor::from(out, {rows, width});
  if (task == Task::Regression)
    s.loss = regression_loss(o, Tensor::from(y, {rows, 1}), loss, nn::Reduction::Mean).item();
  else
    s.loss = nn::cross_entropy(o, Tensor::from(y, {rows})).item();
  s.metric = metric_of(out, y, width, task);
  return s;
}

FitResult fit(nn::Module& model, const EncodedRows& train, const EncodedRows& val, Task task,
              const FitOptions& o, const std::function<void(int, const EpochStats&)>& on_epoch,
              const FitControl& control) {
  auto optimizer = make_optimizer(o, model.parameters());
  // The shuffle draws from its own stream derived from the seed, as train_csv's loader does, so
  // a numeric table gives train_csv's batches (and its numbers).
  Generator seeder(o.seed ^ 0x5DEECE66Dull);
  Generator gen(seeder.next_u64());
  std::vector<int64_t> order(static_cast<size_t>(train.rows));
  const int64_t in = train.inputs;
  const FitAcross* across = control.across;
  std::optional<train::ShardedLoader> loader;  // across: this rank's share of each batch
  if (across)
    loader.emplace(across->train, o.batch_size, gen, across->group, /*drop_single_row=*/true);
  Generator& shuffler = loader ? loader->generator() : gen;  // draws each epoch's order
  const dist::SingleProcess single;
  const dist::ProcessGroup& group = across ? across->group : single;
  const int64_t n = across ? across->train.size() : train.rows;
  const int64_t steps = across ? loader->size() : (n + o.batch_size - 1) / o.batch_size;
  std::vector<float> buffer;
  // Across, before a resume sets the Dropouts' generators: it seeds them for this rank.
  if (across) train::prepare_data_parallel(model, group, *loader, o.seed, o.bn_stats);
  FitState s;  // where the run stands: fresh, or as the resume checkpoint says
  s.steps = steps;
  if (control.resume) {
    s = *control.resume;
    if (s.steps != steps ||
        s.masks.size() != train::dropouts_of(model).size() * static_cast<size_t>(group.size()))
      throw std::invalid_argument(fmt::format(
          "--resume: the interrupted run had {} batches per epoch, this one has {} (HINT: the "
          "training data changed; resume on the same data, or start afresh)",
          s.steps, steps));
    try {
      if (control.optimizer_state) optimizer->load_state_dict(*control.optimizer_state);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("--resume: {}", e.what()));
    }
    shuffler.set_state(s.shuffle);
    train::restore_dropout_generators(model, s.masks, group);
  }
  // --threads: the count given, or (auto) the faster of 1 and 2, timed during training.
  train::ThreadChooser chooser(o.threads, steps * (o.epochs - s.epoch + 1));
  backend::set_num_threads(o.threads == 0 ? 1 : o.threads);  // auto starts on one
  const train::InterruptGuard interrupt;
  int64_t steps_run = 0;  // by this process
  // The signal that stops the run: this process's, or across the one every rank learnt of in
  // the last step's all-reduce, so that every rank stops after the same step.
  int agreed = 0;
  // Rank 0 writes the checkpoint, with every rank's generators; the others wait for the file.
  auto save = [&](bool periodic) {
    s.masks = train::dropout_generators(model, group);
    s.processes = group.size();
    if (group.rank() == 0) control.save(s, *optimizer, periodic);
    double written[1] = {1.0};
    group.all_reduce_sum(written);
  };
  auto stop = [&](int signal, int epoch, int64_t done) {
    const std::string where = fmt::format("{} at epoch {}, step {} of {}",
                                          train::signal_name(signal), epoch, done, steps);
    if (!control.save)
      throw train::Interrupted(signal,
                               fmt::format("interrupted by {}; no resume checkpoint written (HINT: "
                                           "give --save FILE or --checkpoint-dir DIR to keep one)",
                                           where));
    save(false);
    throw train::Interrupted(signal,
                             fmt::format("interrupted by {}; saved a resume checkpoint to {} "
                                         "(HINT: continue with the same flags and --resume {})",
                                         where, control.checkpoint, control.checkpoint));
  };
  FitResult result;
  const auto start = std::chrono::steady_clock::now();
  for (int epoch = s.epoch; epoch <= o.epochs; ++epoch) {
    model.train();
    const std::array<uint64_t, 4> shuffle = shuffler.get_state();
    if (loader) loader->new_epoch();
    if (!across) data::shuffle_order(order, gen);  // a fresh permutation each epoch
    if (epoch != s.epoch || s.step == 0) {  // the epoch's mean loss is over its steps' losses
      s.loss_sum = 0.0, s.steps_done = 0, s.rows_done = 0;
      s.outputs.clear(), s.targets.clear(), s.sums = {};
    }
    for (int64_t step = epoch == s.epoch ? s.step : 0; step < steps; ++step) {
      const int64_t first = step * o.batch_size;
      const int64_t b = across ? loader->batch_rows(step) : std::min(o.batch_size, n - first);
      chooser.before_step();
      // BatchNorm1d cannot normalise one row in training mode (PyTorch refuses it too): a last
      // batch of one row is left out of this epoch; the shuffle puts it elsewhere next time.
      if (b == 1 && first > 0) break;
      int signal = 0;
      if (across) {
        signal = step_across(model, *optimizer, *loader, step, task, o.loss, *across, buffer,
                             interrupt.signal(), s.loss_sum, s.sums);
      } else {
        Tensor xb = Tensor::empty({b, in});  // (B, in)
        std::vector<float> yb(static_cast<size_t>(b));
        for (int64_t r = 0; r < b; ++r) {
          const int64_t src = order[first + r];
          std::copy(train.x.data() + src * in, train.x.data() + (src + 1) * in, xb.data() + r * in);
          yb[r] = train.y[src];
        }
        const Tensor out = model(xb);  // (B, C) logits or (B, 1) values
        const Tensor loss =
            task == Task::Regression
                ? regression_loss(out, Tensor::from(yb, {b, 1}), o.loss, nn::Reduction::Mean)
                : nn::cross_entropy(out, Tensor::from(yb, {b}));
        optimizer->zero_grad();
        loss.backward();
        optimizer->step();
        s.loss_sum += loss.item();
        s.outputs.insert(s.outputs.end(), out.data(), out.data() + out.numel());
        s.targets.insert(s.targets.end(), yb.begin(), yb.end());
      }
      chooser.after_step(b);
      s.rows_done += b;
      ++s.steps_done;
      ++steps_run;
      for (int64_t k : control.raise_sigint_after_steps)
        if (k == steps_run) std::raise(SIGINT);
      agreed = across ? signal : interrupt.signal();  // across: the step's sum said it
      if (agreed != 0 && step + 1 < steps) {          // else: after the epoch's end
        s.epoch = epoch, s.step = step + 1, s.shuffle = shuffle;
        stop(agreed, epoch, step + 1);
      }
    }
    EpochStats st;
    st.train_loss = s.loss_sum / static_cast<double>(std::max<int64_t>(s.steps_done, 1));
    st.train_metric =
        across
            ? metric_of_sums(s.sums, s.rows_done, task)
            : metric_of(s.outputs, s.targets,
                        static_cast<int64_t>(s.outputs.size()) / std::max<int64_t>(s.rows_done, 1),
                        task);
    const Scores v =
        across ? score_across(model, val, across->val, across->outputs, task, o.loss, across->group)
               : score(model, val, task, o.loss);
    st.val_loss = v.loss;
    st.val_metric = v.metric;
    s.epochs.push_back(st);
    if (on_epoch) on_epoch(epoch, st);
    bool early_stop = false;
    if (val.rows > 0 && o.patience > 0) {
      if (v.loss < s.best_loss) {
        s.best_loss = v.loss;
        s.best_epoch = epoch;
        s.since_best = 0;
        s.best = model.state_dict();
        for (NamedTensor& t : s.best) t.tensor = t.tensor.clone();
      } else if (++s.since_best >= o.patience) {
        result.stopped_early = epoch < o.epochs;
        early_stop = true;
      }
    }
    // The next epoch starts from here: its shuffle draws from the generator's current state.
    s.epoch = epoch + 1, s.step = 0, s.shuffle = shuffler.get_state();
    s.loss_sum = 0.0, s.steps_done = 0, s.rows_done = 0;
    s.outputs.clear(), s.targets.clear(), s.sums = {};
    if (early_stop) break;  // training is over: a checkpoint would train on when resumed
    if (!across) agreed = interrupt.signal();  // also one that came during validation
    if (agreed != 0) stop(agreed, epoch, steps);
    if (control.save && control.checkpoint_every > 0 && epoch % control.checkpoint_every == 0 &&
        epoch < o.epochs)
      save(true);
  }
  result.epochs = s.epochs;
  result.best_epoch = s.best_epoch;
  result.threads = chooser.threads();
  result.threads_summary = chooser.summary();
  result.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.best.empty())
    model.load_state_dict(s.best);
  else
    result.best_epoch = static_cast<int>(result.epochs.size());
  if (across) train::check_replicas_agree(model, across->group);
  return result;
}

}  // namespace minigrad::tabular
