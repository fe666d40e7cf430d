// The training pipeline: data -> model -> training loop -> evaluation -> checkpoint and report.
// "The documents": README.md#the-documents.
#include "minigrad/train/trainer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/blas.hpp"
#include "minigrad/backend/gemm_kernels.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/io/safetensors.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/summary.hpp"
#include "minigrad/optim/adam.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/train/progress.hpp"
#include "minigrad/train/report.hpp"

namespace minigrad::train {

namespace {

constexpr const char* kScalingKey = "minigrad.scaling";  // checkpoint metadata: how to scale inputs
constexpr const char* kMeanKey = "preprocess.mean";
constexpr const char* kStdKey = "preprocess.std";
constexpr int kMaxConfusionClasses = 30;  // a wider table is unreadable on a terminal

// What a checkpoint brings besides the weights: how its inputs were scaled.
struct LoadedModel {
  std::shared_ptr<nn::Mlp> model;
  std::optional<data::FeatureTransform> transform;  // none: the file does not say (PyTorch's)
};

struct Data {
  data::Dataset train, test;
  int classes = 0;
  int64_t features = 0;
};

void validate(const TrainConfig& c) {
  auto fail = [](const std::string& msg) { throw std::invalid_argument(msg); };
  const bool split_mode = !c.data_path.empty();
  if (split_mode && (!c.train_path.empty() || !c.test_path.empty()))
    fail("give either --data (one file, split) or --train/--test (two files), not both");
  if (!split_mode && c.test_path.empty())
    fail("no data: give --data FILE (split into train/test) or --train FILE --test FILE");
  if (!split_mode && !c.eval_only && c.train_path.empty())
    fail("--test needs --train (or --eval-only with --load to evaluate a saved model)");
  if (c.eval_only && c.load_path.empty()) fail("--eval-only needs --load FILE: a model to evaluate");
  if (split_mode && !(c.test_fraction > 0.0 && c.test_fraction < 1.0))
    fail(fmt::format("--split: expected a fraction between 0 and 1 (exclusive), got {}", c.test_fraction));
  if (!c.eval_only && c.epochs < 1) fail(fmt::format("--epochs: expected at least 1, got {}", c.epochs));
  if (c.batch_size < 1) fail(fmt::format("--batch-size: expected at least 1, got {}", c.batch_size));
  if (c.batchnorm && c.batch_size < 2 && !c.eval_only)
    fail("--batch-size 1 cannot train BatchNorm1d (one row has no variance) (HINT: use a batch size "
         "of 2 or more, or --no-batchnorm)");
  if (!(c.lr > 0.0)) fail(fmt::format("--lr: expected a positive learning rate, got {}", c.lr));
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    fail(fmt::format("--dropout: expected a probability in [0, 1), got {}", c.dropout));
  for (int64_t h : c.hidden)
    if (h < 1) fail(fmt::format("--hidden: layer sizes must be positive, got {}", h));
  if (c.scaling == Scaling::Divide && !(c.scale > 0.0f))
    fail(fmt::format("--scale: expected a positive divisor, got {}", c.scale));
  if (c.threads < 0 || c.threads > 2)
    fail(fmt::format("--threads: expected auto (0), 1 or 2 (minigrad's kernels use at most two "
                     "threads), got {}", c.threads));
  // Output paths are checked before training, not after: a typo must not cost a whole run.
  for (const auto& [flag, path] : {std::pair{"save", c.save_path}, std::pair{"report", c.report_path}}) {
    if (path.empty()) continue;
    const std::filesystem::path p(path);
    const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : ".";
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec))
      fail(fmt::format("--{}: '{}' is a directory (HINT: give a file name inside it)", flag, path));
    if (!std::filesystem::is_directory(dir, ec))
      fail(fmt::format("--{}: the directory '{}' does not exist (HINT: create it first)", flag, dir.string()));
  }
  if (c.optimizer != "sgd" && c.optimizer != "adam" && c.optimizer != "adamw")
    fail(fmt::format("--optimizer: expected sgd, adam or adamw, got '{}'", c.optimizer));
}

// ---- checkpoints ----
LoadedModel load_model(const TrainConfig& c) {
  const io::SafetensorsContents file = io::load_safetensors_with_metadata(c.load_path);
  StateDict weights;
  const Tensor* mean = nullptr;
  const Tensor* stddev = nullptr;
  for (const NamedTensor& t : file.tensors) {
    if (t.name == kMeanKey) mean = &t.tensor;
    else if (t.name == kStdKey) stddev = &t.tensor;
    else weights.push_back(t);
  }
  nn::MlpOptions options = infer_mlp_options(weights, c.load_path);
  // Dropout is invisible in the weights except through the layer indices: keep the configured
  // probability when the checkpoint has Dropout layers.
  if (options.dropout > 0.0f) options.dropout = c.dropout > 0.0f ? c.dropout : 0.3f;
  options.name = c.model_name;
  Generator gen(c.seed);
  LoadedModel loaded{nn::make_mlp(options, gen), std::nullopt};
  loaded.model->load_state_dict(weights, /*strict=*/true);

  const auto it = file.metadata.find(kScalingKey);
  if (it != file.metadata.end()) {
    const std::string& how = it->second;
    if (how.rfind("divide:", 0) == 0) {
      loaded.transform = data::FeatureTransform::divide_by(std::stof(how.substr(7)));
    } else if (how == "standardize") {
      if (mean == nullptr || stddev == nullptr)
        throw std::runtime_error(fmt::format("{}: metadata says 'standardize' but the tensors {} and "
                                             "{} are missing",
                                             c.load_path, kMeanKey, kStdKey));
      loaded.transform = data::FeatureTransform::standardize(mean->to_vector(), stddev->to_vector());
    } else if (how != "identity") {
      throw std::runtime_error(fmt::format("{}: unknown {} '{}' (expected divide:K, standardize or "
                                           "identity)",
                                           c.load_path, kScalingKey, how));
    }
    if (how == "identity") loaded.transform = data::FeatureTransform::identity();
  }
  return loaded;
}

void save_model(const nn::Module& model, const data::FeatureTransform& transform,
                const std::string& path) {
  StateDict state = model.state_dict();
  io::Metadata metadata = {{"format", "pt"}};
  using Kind = data::FeatureTransform::Kind;
  switch (transform.kind) {
    case Kind::Identity: metadata[kScalingKey] = "identity"; break;
    case Kind::Divide: metadata[kScalingKey] = fmt::format("divide:{}", transform.divisor); break;
    case Kind::Standardize:
      // Extra tensors: PyTorch users drop the "preprocess." keys before load_state_dict.
      metadata[kScalingKey] = "standardize";
      state.push_back({kMeanKey, Tensor::from(transform.mean), DType::F32});
      state.push_back({kStdKey, Tensor::from(transform.stddev), DType::F32});
      break;
  }
  io::save_safetensors(path, state, metadata);
}

// ---- data ----
data::Dataset read_dataset(const std::string& path, const data::CsvOptions& csv, int64_t features,
                           int classes, const std::string& model_source) {
  data::CsvTable table = data::read_csv(path, csv);
  if (table.labels.empty())
    throw data::DataError(fmt::format("{}: no label column (HINT: choose one with --label)", path));
  if (features > 0) data::check_num_features(table, features, model_source);
  if (classes > 0) data::check_labels_below(table, classes, model_source);
  return data::Dataset::from_csv(std::move(table));
}

Data load_data(const TrainConfig& c, const LoadedModel* loaded) {
  Data d;
  const int64_t model_features = loaded ? loaded->model->options().in_features : 0;
  const int model_classes = loaded ? static_cast<int>(loaded->model->options().classes) : 0;
  const std::string source = loaded ? fmt::format("the model in {}", c.load_path) : "";
  if (!c.data_path.empty()) {
    data::Dataset all = read_dataset(c.data_path, c.csv, model_features, model_classes, source);
    d.classes = model_classes ? model_classes : all.num_classes();
    Generator split_gen(c.split_seed);
    data::TrainTestSplit parts = data::train_test_split(all, c.test_fraction, split_gen);
    d.train = std::move(parts.train);
    d.test = std::move(parts.test);
  } else {
    if (!c.train_path.empty()) {
      d.train = read_dataset(c.train_path, c.csv, model_features, model_classes, source);
      d.classes = model_classes ? model_classes : d.train.num_classes();
    } else {
      d.classes = model_classes;
    }
    const int64_t features = model_features ? model_features : d.train.num_features();
    const std::string test_source =
        loaded ? source : fmt::format("the training data in {}", c.train_path);
    d.test = read_dataset(c.test_path, c.csv, features, d.classes, test_source);
  }
  d.features = d.test.num_features();
  if (d.classes < 2)
    throw data::DataError(fmt::format("{}: found {} class, need at least 2 to classify (HINT: is "
                                      "--label the right column?)",
                                      c.data_path.empty() ? c.train_path : c.data_path, d.classes));

  // Scaling: a loaded model's own, else the configured one with statistics from training rows.
  data::FeatureTransform transform;
  if (loaded && loaded->transform) {
    transform = *loaded->transform;
  } else if (c.scaling == Scaling::Divide) {
    transform = data::FeatureTransform::divide_by(c.scale);
  } else {
    if (d.train.size() == 0)
      throw std::invalid_argument(fmt::format(
          "{} does not say how its inputs were scaled, and there is no training data to compute "
          "standardisation from (HINT: pass --scale K, e.g. --scale 255 for pixels)",
          c.load_path));
    transform = data::fit_standardize(d.train);
  }
  if (d.train.size() > 0) d.train.set_transform(transform);
  d.test.set_transform(transform);
  return d;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c, std::vector<Tensor> params) {
  if (c.optimizer == "adam")
    return std::make_unique<optim::Adam>(std::move(params),
                                         optim::AdamOptions{.lr = c.lr, .weight_decay = c.weight_decay});
  if (c.optimizer == "adamw")
    return std::make_unique<optim::AdamW>(std::move(params),
                                          optim::AdamWOptions{.lr = c.lr, .weight_decay = c.weight_decay});
  return std::make_unique<optim::SGD>(
      std::move(params),
      optim::SGDOptions{.lr = c.lr, .momentum = c.momentum, .weight_decay = c.weight_decay});
}

}  // namespace

// ---- the architecture stored in a checkpoint ----
nn::MlpOptions infer_mlp_options(const StateDict& state, const std::string& source) {
  // Keys look like network.<index>.<name>; collect the Linear weights and BatchNorm layers.
  std::map<int64_t, Shape> linear_weights;
  std::map<int64_t, bool> batchnorms;
  for (const NamedTensor& t : state) {
    const std::string prefix = "network.";
    if (t.name.rfind(prefix, 0) != 0)
      throw std::runtime_error(fmt::format("{}: key '{}' is not part of an MLP saved by minigrad or "
                                           "the documents' MyNN (expected network.<i>.<name>)",
                                           source, t.name));
    const size_t dot = t.name.find('.', prefix.size());
    if (dot == std::string::npos)
      throw std::runtime_error(fmt::format("{}: malformed key '{}'", source, t.name));
    int64_t index = 0;
    try {
      index = std::stoll(t.name.substr(prefix.size(), dot - prefix.size()));
    } catch (const std::exception&) {
      throw std::runtime_error(fmt::format("{}: malformed key '{}'", source, t.name));
    }
    const std::string field = t.name.substr(dot + 1);
    if (field == "running_mean") batchnorms[index] = true;
    else if (field == "weight" && t.tensor.dim() == 2) linear_weights[index] = t.tensor.shape();
  }
  if (linear_weights.empty())
    throw std::runtime_error(fmt::format("{}: no Linear layer weights (network.<i>.weight) found", source));

  nn::MlpOptions o;
  o.batchnorm = !batchnorms.empty();
  o.hidden.clear();
  std::vector<int64_t> indices;
  int64_t previous_out = -1;
  for (const auto& [index, shape] : linear_weights) {
    indices.push_back(index);
    if (previous_out >= 0 && shape[1] != previous_out)
      throw std::runtime_error(fmt::format("{}: network.{}.weight has shape {} but the layer before "
                                           "gives {} features",
                                           source, index, shape_str(shape), previous_out));
    if (previous_out < 0) o.in_features = shape[1];
    else o.hidden.push_back(previous_out);
    previous_out = shape[0];
  }
  o.classes = previous_out;
  // Layers per hidden block: Linear [+ BatchNorm] + ReLU [+ Dropout].
  const int64_t stride = indices.size() > 1 ? indices[1] - indices[0] : 2 + (o.batchnorm ? 1 : 0);
  const int64_t without_dropout = 2 + (o.batchnorm ? 1 : 0);
  if (stride != without_dropout && stride != without_dropout + 1)
    throw std::runtime_error(fmt::format("{}: layer indices {} do not match an MLP of Linear, "
                                         "BatchNorm1d, ReLU and Dropout blocks",
                                         source, fmt::join(indices, ", ")));
  o.dropout = stride == without_dropout + 1 ? 0.3f : 0.0f;
  return o;
}

// ---- one step ----
StepStats train_step(nn::Module& model, optim::Optimizer& optimizer, const data::Batch& batch,
                     std::vector<int>& predictions) {
  const Tensor logits = model(batch.x);             // (B, C)
  const Tensor loss = nn::cross_entropy(logits, batch.y);  // ()
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  predict_classes(logits, predictions);
  int64_t correct = 0;
  for (size_t i = 0; i < predictions.size(); ++i) correct += predictions[i] == batch.labels[i];
  return {loss.item(), correct};
}

// ---- evaluation ----
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
    const Tensor logits = model(batch.x);
    loss_sum += nn::cross_entropy(logits, batch.y, {.reduction = nn::Reduction::Sum}).item();
    predict_classes(logits, predictions);
    labels.assign(batch.labels.begin(), batch.labels.end());
    ev.confusion.add(labels, predictions);
  }
  ev.loss = data.size() ? loss_sum / static_cast<double>(data.size()) : 0.0;
  model.train(was_training);
  return ev;
}

// ---- --threads auto: a measured choice ----
// One and two threads give bit-identical results (every element is computed the same way, only
// by one core or the other), so the thread count can be chosen by speed alone: during the first
// epoch, after kWarmup steps, four blocks of kBlock steps run on 1, 2, 1 and 2 threads; the
// first kSettle steps of each block are not timed (they move each weight half to the core that
// now owns it), the rest are, and the faster count stays for the rest of the run. Epochs too
// short to measure keep one thread, and so does a run on OpenBLAS alone (MINIGRAD_GEMM=blas),
// whose threads may split sums.
class ThreadChooser {
 public:
  ThreadChooser(int requested, int64_t steps_per_epoch)
      : auto_(requested == 0 && steps_per_epoch >= kWarmup + 4 * kBlock &&
              kernels::isa() != kernels::Isa::None),
        threads_(requested == 0 ? 1 : requested) {
    if (requested != 0 || auto_) return;
    // auto that cannot measure: say why it keeps one thread.
    kept_because_ = kernels::isa() == kernels::Isa::None
                        ? "OpenBLAS runs every product (MINIGRAD_GEMM=blas or no AVX2), and its "
                          "threads may change sums"
                        : fmt::format("an epoch of {} steps is too short to time both; it takes {}",
                                      steps_per_epoch, kWarmup + 4 * kBlock);
  }

  void before_step(int epoch, int64_t step) {
    const int64_t k = step - kWarmup;
    trying_ = auto_ && epoch == 1 && k >= 0 && k < 4 * kBlock;
    if (!trying_) return;
    trial_ = (k / kBlock) % 2 == 0 ? 1 : 2;
    timing_ = k % kBlock >= kSettle;
    // minigrad's kernels only: OpenBLAS (which runs none of training's products here) stays on
    // one thread, as resizing its pool would cost milliseconds.
    kernels::set_num_threads(trial_);
    start_ = std::chrono::steady_clock::now();
  }

  void after_step(int64_t rows) {
    if (!trying_) return;
    if (timing_) {
      seconds_[trial_ - 1] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      rows_[trial_ - 1] += rows;
    }
    if (++tried_ == 4 * kBlock) {  // the last trial step: decide
      threads_ = rate(2) > rate(1) ? 2 : 1;
      kernels::set_num_threads(threads_);
    }
  }

  int threads() const { return threads_; }
  /// What auto did, once it is decided (after the first epoch); empty for an explicit count.
  std::string summary() const {
    if (!kept_because_.empty()) return fmt::format("threads: auto kept 1 ({})", kept_because_);
    if (tried_ != 4 * kBlock) return "";
    return fmt::format("threads: auto chose {} ({:.0f} samples/s on 1 thread, {:.0f} on 2, over {} "
                       "steps each)", threads_, rate(1), rate(2), 2 * (kBlock - kSettle));
  }

 private:
  static constexpr int64_t kWarmup = 20, kBlock = 25, kSettle = 5;
  double rate(int t) const { return seconds_[t - 1] > 0 ? static_cast<double>(rows_[t - 1]) / seconds_[t - 1] : 0.0; }

  bool auto_;
  int threads_;
  bool trying_ = false, timing_ = false;
  int trial_ = 1;
  int64_t tried_ = 0;
  double seconds_[2] = {0, 0};
  int64_t rows_[2] = {0, 0};
  std::chrono::steady_clock::time_point start_;
  std::string kept_because_;  // auto without a measurement: why one thread
};

// ---- the pipeline ----
TrainResult run_training(const TrainConfig& c, std::FILE* out) {
  validate(c);
  blas::set_num_threads(c.threads == 0 ? 1 : c.threads);
  auto say = [&](const std::string& line) {
    if (!c.quiet) std::fprintf(out, "%s\n", line.c_str());
  };

  std::optional<LoadedModel> loaded;
  if (!c.load_path.empty()) loaded = load_model(c);
  Data d = load_data(c, loaded ? &*loaded : nullptr);

  std::shared_ptr<nn::Mlp> model;
  if (loaded) {
    model = loaded->model;
  } else {
    Generator init(c.seed);
    nn::MlpOptions options{.in_features = d.features, .hidden = c.hidden,
                           .classes = d.classes, .batchnorm = c.batchnorm,
                           .dropout = c.dropout, .name = c.model_name};
    model = nn::make_mlp(options, init);
  }

  TrainResult r;
  r.n_train = d.train.size();
  r.n_test = d.test.size();
  r.parameters = model->num_parameters();
  r.features = d.features;
  r.classes = d.classes;
  r.blas = blas::describe();

  say(r.blas);
  say(fmt::format("data: {} training rows, {} test rows, {} features, {} classes; inputs: {}",
                  r.n_train, r.n_test, r.features, r.classes, d.test.transform().str()));
  if (loaded) say(fmt::format("model: loaded from {}", c.load_path));
  if (c.summary && !c.quiet)
    std::fprintf(out, "%s\n", nn::summary(*model, {std::max<int64_t>(r.n_train, 1), r.features}).c_str());

  if (!c.eval_only) {
    auto optimizer = make_optimizer(c, model->parameters());
    // The loader's shuffling gets its own stream, derived from the seed.
    Generator seeder(c.seed ^ 0x5DEECE66Dull);
    data::DataLoader loader(d.train, {.batch_size = c.batch_size, .shuffle = true},
                            Generator(seeder.next_u64()));
    if (loader.size() == 0)
      throw std::invalid_argument(fmt::format("{} training rows make no batch of {}", r.n_train,
                                              c.batch_size));
    say(fmt::format("training: {} epochs of {} batches (batch size {}), {} lr {}", c.epochs,
                    loader.size(), c.batch_size, c.optimizer, c.lr));
    Progress progress(out, stdout_is_terminal() && out == stdout, c.quiet);
    ThreadChooser chooser(c.threads, loader.size());
    std::vector<int> predictions;
    int64_t samples = 0;
    model->train();
    for (int epoch = 1; epoch <= c.epochs; ++epoch) {
      const auto start = std::chrono::steady_clock::now();
      progress.begin_epoch(epoch, c.epochs, loader.size());
      loader.new_epoch();
      for (int64_t b = 0; b < loader.size(); ++b) {
        const data::Batch& batch = loader.batch(b);
        chooser.before_step(epoch, b);
        const StepStats st = train_step(*model, *optimizer, batch, predictions);
        chooser.after_step(batch.size());
        progress.step(st.loss, st.correct, batch.size());
        samples += batch.size();
      }
      r.train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress.end_epoch();
      if (epoch == 1)
        if (const std::string threads = chooser.summary(); !threads.empty()) say(threads);
      r.epoch_loss.push_back(progress.epoch_loss());
      r.epoch_accuracy.push_back(progress.epoch_accuracy());
    }
    r.threads = chooser.threads();
    r.samples_per_second = r.train_seconds > 0 ? static_cast<double>(samples) / r.train_seconds : 0.0;
    say(fmt::format("trained in {:.2f}s: {:.0f} samples/s", r.train_seconds, r.samples_per_second));
  }

  const Evaluation ev = evaluate(*model, d.test, d.classes);
  r.test_accuracy = ev.confusion.accuracy();
  r.test_loss = ev.loss;
  std::fprintf(out, "test accuracy: %.4f (%lld/%lld), test loss: %.4f\n", r.test_accuracy,
               static_cast<long long>(ev.confusion.correct()), static_cast<long long>(ev.confusion.total()),
               r.test_loss);
  if (c.confusion_matrix && !c.quiet) {
    if (d.classes <= kMaxConfusionClasses)
      std::fprintf(out, "\n%s", ev.confusion.str(c.class_names).c_str());
    else
      std::fprintf(out, "(no confusion matrix for %d classes; is --label the right column?)\n", d.classes);
  }

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux

  if (!c.save_path.empty()) {
    save_model(*model, d.test.transform(), c.save_path);
    say(fmt::format("saved model to {}", c.save_path));
  }
  if (!c.report_path.empty()) {
    write_text_atomic(c.report_path, report_json(c, r));
    say(fmt::format("wrote report to {}", c.report_path));
  }
  std::fflush(out);
  return r;
}

}  // namespace minigrad::train
