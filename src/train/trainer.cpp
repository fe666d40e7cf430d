// The training pipeline: data -> model -> training loop -> evaluation -> checkpoint and report.
// Each step is a function here or a file of its own: validate.cpp (the flags), training_data.cpp
// (the CSVs), io/checkpoint.cpp (the model on disk), optimizer_factory.cpp, thread_chooser.cpp,
// resume.cpp and interrupt.cpp (stopping on Ctrl-C and continuing exactly).
// "The documents": README.md#the-documents.
#include "minigrad/train/trainer.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "minigrad/autograd.hpp"
#include "minigrad/backend/backend.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/nn/loss.hpp"
#include "minigrad/nn/summary.hpp"
#include "minigrad/train/data_parallel.hpp"
#include "minigrad/train/interrupt.hpp"
#include "minigrad/train/nonfinite_guard.hpp"
#include "minigrad/train/optimizer_factory.hpp"
#include "minigrad/train/progress.hpp"
#include "minigrad/train/report.hpp"
#include "minigrad/train/resume.hpp"
#include "minigrad/train/sharded_data.hpp"
#include "minigrad/train/thread_chooser.hpp"
#include "minigrad/train/training_data.hpp"
#include "minigrad/train/validate.hpp"

namespace minigrad::train {

// ---- one step ----
// The non-finite guard (nonfinite_guard.hpp) checks the loss before backward, with skip-step the
// gradients before the update, and the parameters (where a NaN gradient shows too) and buffers
// after it; a failure's scan names the tensor. A bad loss or gradient can be skipped, an update
// cannot.
StepStats train_step(nn::Module& model, optim::Optimizer& optimizer, const data::Batch& batch,
                     std::vector<int>& predictions, OnNonFinite on_nonfinite) {
  const Tensor logits = model(batch.x);                    // (B, C)
  const Tensor loss = nn::cross_entropy(logits, batch.y);  // ()
  StepStats st{loss.item(), 0, "", false};
  if (!std::isfinite(st.loss)) {
    st.non_finite = fmt::format("the loss is {}", st.loss);
    st.skippable = true;
    return st;
  }
  optimizer.zero_grad();
  loss.backward();
  guarded_step(model, optimizer, on_nonfinite, st);
  if (!st.stepped) return st;
  predict_classes(logits, predictions);
  for (size_t i = 0; i < predictions.size(); ++i) st.correct += predictions[i] == batch.labels[i];
  return st;
}

namespace {

constexpr int kMaxConfusionClasses = 30;  // a wider table is unreadable on a terminal

using Say = std::function<void(const std::string&)>;

// The image shape of --model cnn: --image, or a square grey image of `features` pixels (height 0,
// unknown, for features 0).
nn::CnnOptions image_options(const TrainConfig& c, int64_t features) {
  nn::CnnOptions o;
  if (c.image.size() == 3) {
    o.channels = c.image[0], o.height = c.image[1], o.width = c.image[2];
    return o;
  }
  int64_t side = 0;
  while ((side + 1) * (side + 1) <= features) ++side;
  o.channels = 1, o.height = side, o.width = side;
  return o;
}

// A fresh model of the configured shape for `d`, or the loaded one.
std::shared_ptr<nn::Module> build_model(const TrainConfig& c, const TrainingData& d,
                                        const std::optional<io::ModelCheckpoint>& loaded) {
  if (loaded) return loaded->model;
  Generator init(c.seed);
  if (c.model == "cnn") {
    nn::CnnOptions options = image_options(c, d.features);
    if (options.channels * options.height * options.width != d.features)
      throw std::invalid_argument(fmt::format(
          "--model cnn: the data has {} features, which is not {} (HINT: give the image shape "
          "with --image CxHxW, e.g. --image 3x32x32 for 3072 features)",
          d.features,
          c.image.empty() ? "a square grey image"
                          : fmt::format("{} pixels of a {} image",
                                        options.channels * options.height * options.width,
                                        io::image_shape_str(options))));
    options.classes = d.classes;
    options.dropout = c.dropout;
    options.name = c.model_name;
    return nn::make_cnn(options, init);
  }
  nn::MlpOptions options{.in_features = d.features,
                         .hidden = c.hidden,
                         .classes = d.classes,
                         .batchnorm = c.batchnorm,
                         .dropout = c.dropout,
                         .name = c.model_name};
  return nn::make_mlp(options, init);
}

// Where the epoch loop starts and how it saves a resume checkpoint (resume.hpp).
struct Resume {
  const ResumeCheckpoint* from = nullptr;  // null: a fresh start
  const data::FeatureTransform* transform = nullptr;
  const data::ClassLabels* labels = nullptr;  // the label of each output, saved with the model
};

// ---- the epoch loop (a DataLoader, or a data-parallel run's ShardedLoader): fills r's curves ----
template <class Loader>
void train_epochs(const TrainConfig& c, nn::Module& model, Loader& loader, std::FILE* out,
                  const Say& say, const Resume& resume, const dist::ProcessGroup& group,
                  TrainResult& r) {
  auto optimizer = make_optimizer(c, model.parameters());
  if (loader.size() == 0)
    throw std::invalid_argument(
        fmt::format("{} training rows make no batch of {}", r.n_train, c.batch_size));
  constexpr bool parallel = std::is_same_v<Loader, ShardedLoader>;  // data_parallel.hpp
  if constexpr (parallel) prepare_data_parallel(model, group, loader, c.seed, c.bn_stats);
  TrainingState s;  // where the run stands: fresh, or as the checkpoint says
  s.steps = loader.size();
  if (resume.from) {  // after prepare_data_parallel, which seeds the Dropouts afresh
    restore_resume(c, *resume.from, loader.size(), *optimizer, model, group);
    s = resume.from->state;
    loader.generator().set_state(s.shuffle);
    r.epoch_loss = s.epoch_loss;
    r.epoch_accuracy = s.epoch_accuracy;
  }
  say(fmt::format("training: {} epochs of {} batches (batch size {}), {} lr {}", c.epochs,
                  loader.size(), c.batch_size, c.optimizer, c.lr));
  std::vector<float> flat_grads;
  if constexpr (parallel) {
    say(fmt::format("data parallel: {}, each taking {} or {} rows of a batch of {}",
                    group.describe(), c.batch_size / group.size(),
                    (c.batch_size + group.size() - 1) / group.size(), c.batch_size));
  }
  Progress progress(out, stdout_is_terminal() && out == stdout, c.quiet);
  ThreadChooser chooser(c.threads, loader.size() * (c.epochs - s.epoch + 1));
  std::vector<int> predictions;
  int64_t samples = 0;
  model.train();
  BufferSnapshot buffers;  // with skip-step: the running statistics before each step
  const InterruptGuard interrupt;
  const std::string checkpoint = resume_checkpoint_path(c);
  int64_t steps_run = 0;  // by this process
  // With N processes, a signal counts once every process knows of it (data_parallel_step).
  int agreed_signal = 0;
  auto signal = [&] { return parallel ? agreed_signal : interrupt.signal(); };
  // Saves the state at (s.epoch, s.step); s.shuffle must be the loader's state before that
  // epoch's shuffle. Every process calls it; rank 0 writes, the others wait for the file.
  auto save_checkpoint = [&]() {
    s.epoch_loss = r.epoch_loss;
    s.epoch_accuracy = r.epoch_accuracy;
    s.masks = dropout_generators(model, group);
    s.processes = group.size();
    if (group.rank() == 0)
      save_resume(checkpoint, c, model, *resume.transform, *resume.labels, *optimizer, s);
    double written[1] = {1.0};
    group.all_reduce_sum(written);
  };
  auto stop = [&](int epoch, int64_t done) {
    const std::string where = fmt::format("{} at epoch {}, step {} of {}", signal_name(signal()),
                                          epoch, done, loader.size());
    if (checkpoint.empty())
      throw Interrupted(signal(),
                        fmt::format("interrupted by {}; no resume checkpoint written (HINT: give "
                                    "--save FILE or --checkpoint-dir DIR to keep one)",
                                    where));
    save_checkpoint();
    throw Interrupted(signal(),
                      fmt::format("interrupted by {}; saved a resume checkpoint to {} (HINT: "
                                  "continue with the same flags and --resume {})",
                                  where, checkpoint, checkpoint));
  };
  for (int epoch = s.epoch; epoch <= c.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    progress.begin_epoch(epoch, c.epochs, loader.size());
    const std::array<uint64_t, 4> shuffle = loader.generator().get_state();
    loader.new_epoch();
    const int64_t first = epoch == s.epoch ? s.step : 0;
    if (first > 0) progress.restore(s.partial);
    for (int64_t b = first; b < loader.size(); ++b) {
      const data::Batch& batch = loader.batch(b);  // with N processes: this one's share
      const int64_t rows = loader.batch_rows(b);
      chooser.before_step();
      if (c.on_nonfinite == OnNonFinite::SkipStep) buffers.take(model);
      const StepStats st =
          parallel ? data_parallel_step(model, *optimizer, batch, rows, group, predictions,
                                        flat_grads, c.on_nonfinite, interrupt.signal())
                   : train_step(model, *optimizer, batch, predictions, c.on_nonfinite);
      agreed_signal = st.signal;
      chooser.after_step(rows);
      if (st.non_finite.empty()) {
        progress.step(st.loss, st.correct, rows);
        samples += rows;
      } else {
        const bool can_skip = st.skippable && !st.stepped;
        if (!can_skip || c.on_nonfinite == OnNonFinite::Stop) {
          progress.end_epoch();
          throw NonFiniteError(non_finite_message(
              st.non_finite, {.epoch = epoch, .step = b + 1, .steps = loader.size(), .lr = c.lr},
              st.skippable));
        }
        buffers.restore(model);
        ++s.skipped;
      }
      ++steps_run;
      for (int64_t k : c.raise_sigint_after_steps)
        if (k == steps_run) std::raise(SIGINT);
      if (signal() != 0 && b + 1 < loader.size()) {  // else: after the epoch's end
        progress.end_epoch();
        s.epoch = epoch;
        s.step = b + 1;
        s.shuffle = shuffle;
        s.partial = progress.totals();
        stop(epoch, b + 1);
      }
    }
    r.train_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.end_epoch();
    if (const std::string threads = chooser.news(); !threads.empty()) say(threads);
    r.epoch_loss.push_back(progress.epoch_loss());
    r.epoch_accuracy.push_back(progress.epoch_accuracy());
    s.epoch = epoch + 1;  // the next epoch's shuffle draws from the loader's current state
    s.step = 0;
    s.shuffle = loader.generator().get_state();
    s.partial = {};
    if (signal() != 0) stop(epoch, loader.size());
    if (c.checkpoint_every > 0 && epoch % c.checkpoint_every == 0 && epoch < c.epochs) {
      save_checkpoint();
      say(fmt::format("saved a resume checkpoint to {}", checkpoint));
    }
  }
  if (s.skipped > 0)  // printed even with --quiet, like the accuracy line: the run was not whole
    std::fprintf(out, "%s",
                 fmt::format("skipped {} of {} steps whose loss or gradient was not finite "
                             "(--on-nonfinite skip-step)\n",
                             s.skipped, loader.size() * c.epochs)
                     .c_str());
  if constexpr (parallel) {
    check_replicas_agree(model, group);
    say("checked: every process ends with the same weights and buffers");
  }
  r.threads = chooser.threads();
  r.samples_per_second = r.train_seconds > 0 ? static_cast<double>(samples) / r.train_seconds : 0.0;
  say(fmt::format("trained in {:.2f}s: {:.0f} samples/s", r.train_seconds, r.samples_per_second));
  if (const dist::Traffic& t = group.traffic(); parallel && steps_run > 0)
    say(
        fmt::format("collectives: {} bytes and {:.3f} ms per step in {} calls ({:.0f}% of the "
                    "training time, waits for the slower process included)",
                    t.bytes / steps_run, 1e3 * t.seconds / static_cast<double>(steps_run),
                    t.calls / steps_run, 100.0 * t.seconds / r.train_seconds));
}

// The accuracy line (printed even with quiet) and the confusion matrix.
void print_evaluation(const TrainConfig& c, const Evaluation& ev, const data::ClassLabels& labels,
                      std::FILE* out) {
  const int classes = static_cast<int>(labels.size());
  std::fprintf(out, "test accuracy: %.4f (%lld/%lld), test loss: %.4f\n", ev.confusion.accuracy(),
               static_cast<long long>(ev.confusion.correct()),
               static_cast<long long>(ev.confusion.total()), ev.loss);
  if (!c.confusion_matrix || c.quiet) return;
  if (classes <= kMaxConfusionClasses)
    std::fprintf(out, "\n%s",
                 ev.confusion
                     .str(c.class_names, labels.is_identity() ? std::span<const int32_t>()
                                                              : std::span(labels.labels()))
                     .c_str());
  else
    std::fprintf(out, "(no confusion matrix for %d classes; is --label the right column?)\n",
                 classes);
}

}  // namespace

// ---- the pipeline ----
TrainResult run_training(const TrainConfig& c, std::FILE* out) {
  return run_training(c, out, dist::SingleProcess());
}

TrainResult run_training(const TrainConfig& c, std::FILE* out, const dist::ProcessGroup& group) {
  validate(c);
  backend::set_num_threads(c.threads == 0 ? 1 : c.threads);
  const Say say = [&](const std::string& line) {
    if (!c.quiet) std::fprintf(out, "%s\n", line.c_str());
  };

  std::optional<io::ModelCheckpoint> loaded;
  std::optional<ResumeCheckpoint> resumed;
  if (!c.load_path.empty()) {
    if (!std::filesystem::exists(c.load_path))
      throw std::runtime_error(fmt::format(
          "--load: there is no file '{}' (HINT: a model is written by training with --save)",
          c.load_path));
    Generator gen(c.seed);
    io::SafetensorsContents file = io::load_safetensors_with_metadata(c.load_path);
    if (is_resume_checkpoint(file.metadata))
      throw std::invalid_argument(fmt::format(
          "--load {}: the file is a resume checkpoint, which holds an optimizer's state beside "
          "the model (HINT: continue that run with its flags and --resume {})",
          c.load_path, c.load_path));
    loaded = io::model_from_contents(std::move(file), c.load_path, c.model_name, gen,
                                     image_options(c, 0));
  }
  if (!c.resume_path.empty()) {
    Generator gen(c.seed);  // the Dropout masks are then set from the checkpoint
    resumed = load_resume(c, gen);
    loaded = resumed->checkpoint;
  }
  const bool parallel = group.size() > 1;  // each process holds its part of the rows
  const io::ModelCheckpoint* model_file = loaded ? &*loaded : nullptr;
  ShardedTrainingData sd;
  if (parallel)
    sd = load_sharded_training_data(c, model_file, group);
  else
    sd.data = load_training_data(c, model_file);
  const TrainingData& d = sd.data;
  const std::shared_ptr<nn::Module> model = build_model(c, d, loaded);

  TrainResult r;
  r.n_train = parallel ? sd.train.size() : d.train.size();
  r.n_test = parallel ? sd.test_rows : d.test.size();
  r.rows_held = parallel ? sd.rows_held : std::vector<int64_t>{r.n_train + r.n_test};
  r.parameters = model->num_parameters();
  r.features = d.features;
  r.classes = d.classes;
  r.class_labels = d.labels.labels();
  r.blas = backend::describe();
  r.processes = group.size();

  say(r.blas);
  say(fmt::format("data: {} training rows, {} test rows, {} features, {} classes{}; inputs: {}",
                  r.n_train, r.n_test, r.features, r.classes,
                  d.labels.is_identity() ? "" : fmt::format(" (labels {})", d.labels.str()),
                  d.test.transform().str()));
  for (const std::string& warning : d.warnings) std::fprintf(out, "%s\n", warning.c_str());
  if (resumed)
    say(fmt::format("model: resumed from {} at epoch {}, step {}", c.resume_path,
                    resumed->state.epoch, resumed->state.step));
  else if (loaded)
    say(fmt::format("model: loaded from {}", c.load_path));
  if (loaded && loaded->dropout_assumed)
    say(
        fmt::format("model: {} has Dropout layers but its metadata gives no probability ({}), as "
                    "in files PyTorch writes: using the default {}",
                    c.load_path, io::kDropoutKey, io::kDefaultDropout));
  if (c.summary && !c.quiet)
    std::fprintf(out, "%s\n",
                 nn::summary(*model, {std::max<int64_t>(r.n_train, 1), r.features}).c_str());

  if (!c.eval_only) {
    const data::FeatureTransform transform = d.test.transform();
    const Resume resume{resumed ? &*resumed : nullptr, &transform, &d.labels};
    Generator seeder(c.seed ^ 0x5DEECE66Dull);  // the loader's shuffling gets its own stream
    if (parallel) {
      ShardedLoader loader(sd.train, c.batch_size, Generator(seeder.next_u64()), group);
      train_epochs(c, *model, loader, out, say, resume, group, r);
    } else {
      data::DataLoader loader(d.train, {.batch_size = c.batch_size, .shuffle = true},
                              Generator(seeder.next_u64()));
      train_epochs(c, *model, loader, out, say, resume, group, r);
    }
  }

  // The training step's buffers, which the fast backend keeps for the next step, would stay
  // resident beside evaluation's, of other sizes (up to 128 MiB more at the run's peak).
  backend::empty_cache();
  const Evaluation ev = parallel ? evaluate_data_parallel(*model, d.test, d.classes, group)
                                 : evaluate(*model, d.test, d.classes);
  r.test_accuracy = ev.confusion.accuracy();
  r.test_loss = ev.loss;
  print_evaluation(c, ev, d.labels, out);

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux

  if (group.rank() != 0) return r;  // rank 0 alone writes files
  if (!c.save_path.empty()) {
    io::save_model(*model, d.test.transform(), c.save_path, &d.labels);
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
