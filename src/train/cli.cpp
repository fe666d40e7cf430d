// Command-line parsing for the training apps. Every value is read as text and converted here, so
// each error names its flag and what it expected.
// "The documents": README.md#the-documents.
#include "minigrad/train/cli.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <memory>
#include <stdexcept>

#include "minigrad/backend/backend.hpp"
#include "minigrad/data/csv.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/train/args.hpp"
#include "minigrad/train/interrupt.hpp"
#include "minigrad/train/nonfinite_guard.hpp"
#include "minigrad/train/trainer.hpp"
#include "minigrad/train/world.hpp"

namespace minigrad::train {

namespace {

std::vector<int64_t> parse_sizes(const std::string& flag, const std::string& text) {
  if (text.empty() || text == "none") return {};  // no hidden layer: a linear classifier
  return parse_positive_list(flag, text, "comma-separated positive layer sizes such as 128,64");
}

char parse_delimiter(const std::string& text) {
  if (text == "\\t" || text == "tab") return '\t';
  if (text.size() != 1) bad_flag("delimiter", "one character such as , ; | or 'tab'", text);
  return text[0];
}

}  // namespace

bool parse_args(int argc, char** argv, const AppPreset& preset, TrainConfig& c) {
  c = preset.defaults;
  const TrainConfig& d = preset.defaults;
  cxxopts::Options options(preset.program, preset.description);
  options.set_width(100);
  // Every value is a string here and converted below, so errors name the flag.
  options.add_options("Data")
      ("data", "One CSV file, split into train and test parts", cxxopts::value<std::string>()->default_value(d.data_path))
      ("train", "Training CSV file (with --test)", cxxopts::value<std::string>()->default_value(d.train_path))
      ("test", "Test CSV file", cxxopts::value<std::string>()->default_value(d.test_path))
      ("split", "Fraction of --data held out for testing", cxxopts::value<std::string>()->default_value(fmt::format("{}", d.test_fraction)))
      ("split-seed", "Seed of the train/test split", cxxopts::value<std::string>()->default_value(std::to_string(d.split_seed)))
      ("label", "Label column: an index (0 = first), a header name, or 'last'", cxxopts::value<std::string>()->default_value("0"))
      ("delimiter", "Field delimiter: , ; | or 'tab'", cxxopts::value<std::string>()->default_value(std::string(1, d.csv.delimiter)))
      ("header", "First row is a header: auto, yes or no", cxxopts::value<std::string>()->default_value("auto"))
      ("max-classes", "Most distinct labels (classes) a table may have; classes are the labels in ascending order", cxxopts::value<std::string>()->default_value(std::to_string(d.csv.max_classes)))
      ("skip-rows", "Lines to skip before the header or data", cxxopts::value<std::string>()->default_value(std::to_string(d.csv.skip_rows)))
      ("scale", "Divide features by K instead of standardising them", cxxopts::value<std::string>()->default_value(d.scaling == Scaling::Divide ? fmt::format("{}", d.scale) : ""))
      ("standardize", "Standardise features with training-set mean and std");
  options.add_options("Model")
      ("model", preset.cnn ? fmt::format("mlp, or cnn (convolution blocks, then a hidden Linear; lr {}, momentum {}, batch size {} unless given)", preset.cnn->lr, preset.cnn->momentum, preset.cnn->batch_size) : "mlp, or cnn (convolution blocks, then a hidden Linear)", cxxopts::value<std::string>()->default_value(d.model))
      ("image", "cnn: one row's pixels as an image CxHxW, channels first (empty: a square grey image)", cxxopts::value<std::string>()->default_value(d.image.empty() ? "" : fmt::format("{}", fmt::join(d.image, "x"))))
      ("hidden", "Hidden layer sizes, comma-separated ('none' for no hidden layer)", cxxopts::value<std::string>()->default_value(fmt::format("{}", fmt::join(d.hidden, ","))))
      ("dropout", "Dropout probability after each hidden ReLU (0 for none)", cxxopts::value<std::string>()->default_value(fmt::format("{}", d.dropout)))
      ("no-batchnorm", "Leave out the BatchNorm1d layers");
  options.add_options("Training")
      ("epochs", "Passes over the training data", cxxopts::value<std::string>()->default_value(std::to_string(d.epochs)))
      ("batch-size", "Rows per training step", cxxopts::value<std::string>()->default_value(std::to_string(d.batch_size)))
      ("lr", "Learning rate", cxxopts::value<std::string>()->default_value(fmt::format("{}", d.lr)))
      ("momentum", "SGD momentum", cxxopts::value<std::string>()->default_value(fmt::format("{}", d.momentum)))
      ("weight-decay", "L2 weight decay (decoupled for adamw)", cxxopts::value<std::string>()->default_value(fmt::format("{}", d.weight_decay)))
      ("optimizer", "sgd, adam or adamw", cxxopts::value<std::string>()->default_value(d.optimizer))
      ("seed", "Seed for initialisation, shuffling and dropout", cxxopts::value<std::string>()->default_value(std::to_string(d.seed)))
      ("on-nonfinite", "When a loss or gradient is NaN or infinite: stop (exit 3, no model saved) or skip-step (leave that batch out)", cxxopts::value<std::string>()->default_value(d.on_nonfinite == OnNonFinite::Stop ? "stop" : "skip-step"))
      ("bn-stats", "With several processes (mpirun): BatchNorm's batch statistics over every process's rows (sync: the step of one process) or over each process's own (local: faster; running statistics averaged across processes)", cxxopts::value<std::string>()->default_value(d.bn_stats == BnStats::Sync ? "sync" : "local"))
      ("threads", "Threads for minigrad's kernels (matrix products, SGD update, batch gather): auto (time 1 and 2 during training, keep the faster), 1 or 2; results are identical", cxxopts::value<std::string>()->default_value(d.threads == 0 ? "auto" : std::to_string(d.threads)));
  options.add_options("Output")
      ("save", "Write the trained model to a safetensors file", cxxopts::value<std::string>()->default_value(""))
      ("load", "Start from a safetensors model (ours or the documents' PyTorch MyNN); its layers and dropout come from the file (dropout 0.3 when its metadata does not say)", cxxopts::value<std::string>()->default_value(""))
      ("checkpoint-dir", "Directory for resume checkpoints (default: beside --save)", cxxopts::value<std::string>()->default_value(""))
      ("checkpoint-every", "Also write a resume checkpoint every N epochs (Ctrl-C or SIGTERM always writes one)", cxxopts::value<std::string>()->default_value("0"))
      ("resume", "Continue an interrupted run from its resume checkpoint (same flags; --epochs may grow)", cxxopts::value<std::string>()->default_value(""))
      ("eval-only", "Only evaluate the --load model on the test data")
      ("report", "Write a JSON report", cxxopts::value<std::string>()->default_value(""))
      ("summary", "Print the model's layer table")
      ("quiet", "Print only the final accuracy line")
      ("h,help", "Show this help");

  const std::optional<cxxopts::ParseResult> parsed = parse_command_line(options, argc, argv);
  if (!parsed) return false;  // --help
  const cxxopts::ParseResult& r = *parsed;

  auto str = [&](const char* flag) { return r[flag].as<std::string>(); };
  c.data_path = str("data");
  c.train_path = str("train");
  c.test_path = str("test");
  // --train/--test replace a preset's default --data unless --data is given explicitly.
  if ((r.count("train") || r.count("test")) && !r.count("data")) c.data_path.clear();
  c.test_fraction = parse_number<double>("split", str("split"), "a fraction such as 0.2");
  c.split_seed = parse_number<uint64_t>("split-seed", str("split-seed"), "a non-negative integer");
  c.csv.label = data::LabelColumn::parse(str("label"));
  c.csv.delimiter = parse_delimiter(str("delimiter"));
  const std::string header = str("header");
  if (header == "auto") c.csv.header = data::Header::Auto;
  else if (header == "yes") c.csv.header = data::Header::Present;
  else if (header == "no") c.csv.header = data::Header::Absent;
  else bad_flag("header", "auto, yes or no", header);
  c.csv.skip_rows = parse_number<int64_t>("skip-rows", str("skip-rows"), "a non-negative integer");
  if (c.csv.skip_rows < 0) bad_flag("skip-rows", "a non-negative integer", str("skip-rows"));
  c.csv.max_classes = parse_number<int64_t>("max-classes", str("max-classes"), "a whole number");
  if (c.csv.max_classes < 2 || c.csv.max_classes > 2147483647)
    bad_flag("max-classes", "a whole number from 2 to 2147483647", str("max-classes"));
  if (r.count("scale") && r.count("standardize"))
    throw std::invalid_argument("--scale and --standardize exclude each other: pick one");
  if (r.count("standardize")) {
    c.scaling = Scaling::Standardize;
  } else if (!str("scale").empty()) {
    c.scaling = Scaling::Divide;
    c.scale = parse_number<float>("scale", str("scale"), "a positive number such as 255");
  }

  c.model = str("model");
  if (c.model != "mlp" && c.model != "cnn") bad_flag("model", "mlp or cnn", c.model);
  if (!str("image").empty()) {
    const nn::CnnOptions image = io::parse_image_shape(str("image"), "--image");
    c.image = {image.channels, image.height, image.width};
  }
  c.hidden = parse_sizes("hidden", str("hidden"));
  c.dropout = parse_number<float>("dropout", str("dropout"), "a probability in [0, 1)");
  if (r.count("no-batchnorm")) c.batchnorm = false;

  c.epochs = parse_number<int>("epochs", str("epochs"), "a whole number of epochs");
  c.batch_size = parse_number<int64_t>("batch-size", str("batch-size"), "a whole number of rows");
  c.lr = parse_number<double>("lr", str("lr"), "a positive number such as 0.1");
  c.momentum = parse_number<double>("momentum", str("momentum"), "a number in [0, 1)");
  if (!(c.momentum >= 0.0 && c.momentum < 1.0)) bad_flag("momentum", "a number in [0, 1)", str("momentum"));
  c.weight_decay = parse_number<double>("weight-decay", str("weight-decay"), "a non-negative number");
  if (!(c.weight_decay >= 0.0)) bad_flag("weight-decay", "a non-negative number", str("weight-decay"));
  c.optimizer = str("optimizer");
  c.seed = parse_number<uint64_t>("seed", str("seed"), "a non-negative integer");
  const std::string on_nonfinite = str("on-nonfinite");
  if (on_nonfinite == "stop") c.on_nonfinite = OnNonFinite::Stop;
  else if (on_nonfinite == "skip-step") c.on_nonfinite = OnNonFinite::SkipStep;
  else bad_flag("on-nonfinite", "stop or skip-step", on_nonfinite);
  const std::string bn_stats = str("bn-stats");
  if (bn_stats == "sync") c.bn_stats = BnStats::Sync;
  else if (bn_stats == "local") c.bn_stats = BnStats::Local;
  else bad_flag("bn-stats", "sync or local", bn_stats);
  c.threads = str("threads") == "auto"
                  ? 0
                  : parse_number<int>("threads", str("threads"), "auto, 1 or 2");

  if (c.model == "cnn") c.model_name = "CNN";  // the MLP's name (the documents' MyNN) would mislead
  if (c.model == "cnn" && preset.cnn) {
    if (!r.count("lr")) c.lr = preset.cnn->lr;
    if (!r.count("momentum")) c.momentum = preset.cnn->momentum;
    if (!r.count("batch-size")) c.batch_size = preset.cnn->batch_size;
  }

  c.save_path = str("save");
  c.load_path = str("load");
  c.eval_only = r.count("eval-only") > 0;
  c.report_path = str("report");
  c.checkpoint_dir = str("checkpoint-dir");
  c.checkpoint_every =
      parse_number<int>("checkpoint-every", str("checkpoint-every"), "a whole number of epochs");
  c.resume_path = str("resume");
  // For tests only: steps after which to raise SIGINT, as if Ctrl-C were pressed then.
  c.raise_sigint_after_steps = sigint_steps_for_tests();
  c.summary = r.count("summary") > 0;
  c.quiet = r.count("quiet") > 0;
  return true;
}

namespace {

// The app in one process of `world` (alone, or a rank of an MPI job): errors name the rank.
// `interrupted`: every rank stopped together on a signal, so the job needs no abort.
int run_app_in(int argc, char** argv, const AppPreset& preset, const dist::ProcessGroup& world,
               bool& interrupted) {
  const std::string who = world.size() > 1 ? fmt::format("{}: rank {} of {}", preset.program,
                                                         world.rank(), world.size())
                                           : preset.program;
  TrainConfig config;
  try {
    backend::name();  // an unknown MINIGRAD_BACKEND is a usage error, before anything runs
    if (!parse_args(argc, argv, preset, config)) return 0;
    // Rank 0 prints; the others' output (progress, the accuracy line) goes nowhere.
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> sink(
        world.rank() == 0 ? nullptr : std::fopen("/dev/null", "w"), &std::fclose);
    if (world.rank() != 0 && !sink) throw std::runtime_error("cannot open /dev/null");
    run_training(config, world.rank() == 0 ? stdout : sink.get(), world);
    return 0;
  } catch (const Interrupted& e) {  // Ctrl-C or SIGTERM: 128 + signal, as a shell reports it
    if (world.rank() == 0) std::fprintf(stderr, "%s: %s\n", preset.program.c_str(), e.what());
    interrupted = true;
    return 128 + e.signal();
  } catch (const NonFiniteError& e) {  // a diverged run: not a usage error, not a crash
    std::fprintf(stderr, "%s: error: %s\n", who.c_str(), e.what());
    return 3;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: error: %s\n", who.c_str(), e.what());
    return 2;
  } catch (const std::runtime_error& e) {  // data::DataError, unreadable or mismatched files
    std::fprintf(stderr, "%s: error: %s\n", who.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", who.c_str(), e.what());
    return 1;
  }
}

}  // namespace

int run_app(int argc, char** argv, const AppPreset& preset) {
  std::unique_ptr<dist::ProcessGroup> world;
  try {
    world = join_world(preset.program);  // MPI_Init under mpirun, in a build with MPI
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: error: %s\n", preset.program.c_str(), e.what());
    return 2;
  }
  bool interrupted = false;
  const int code = run_app_in(argc, argv, preset, *world, interrupted);
  if (code != 0 && !interrupted) world->abort(code);  // a failed rank ends the job, never a hang
  return code;
}

}  // namespace minigrad::train
