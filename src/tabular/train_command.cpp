// minigrad train: read the table, split it, learn the preprocessing from the training part,
// train an MLP, or a CNN on pixel columns (with validation and early stopping if asked), report
// test metrics, and save one model file holding weights and preprocessing. Ctrl-C or SIGTERM saves
// a resume checkpoint (resume.hpp) that --resume continues exactly. train_csv's flags keep their
// names and meaning.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>

#include "minigrad/backend/backend.hpp"
#include "minigrad/io/atomic_file.hpp"
#include "minigrad/io/model_checkpoint.hpp"
#include "minigrad/nn/summary.hpp"
#include "minigrad/tabular/commands.hpp"
#include "minigrad/tabular/evaluate.hpp"
#include "minigrad/tabular/parallel.hpp"
#include "minigrad/tabular/resume.hpp"
#include "minigrad/tabular/train_outputs.hpp"
#include "minigrad/train/args.hpp"
#include "minigrad/train/config.hpp"
#include "minigrad/train/interrupt.hpp"
#include "minigrad/train/resume.hpp"
#include "minigrad/train/validate.hpp"

namespace minigrad::tabular {

namespace {

using train::bad_flag;
using train::parse_number;
using train::UsageError;

// train_csv's flags first (same names, defaults and meaning), then the tabular ones.
constexpr Flag kTrainFlags[] = {
    {"Data", "data", "One CSV file, split into train and test parts", ""},
    {"Data", "train", "Training CSV file (with --test)", ""},
    {"Data", "test", "Test CSV file", ""},
    {"Data", "split", "Fraction of --data held out for testing", "0.2"},
    {"Data", "split-seed", "Seed of the train/test split", "20"},
    {"Data", "label", "Label column: a header name, an index (0 = first) or 'last'", "0"},
    {"Data", "delimiter", "Field delimiter: , ; | or 'tab'", ","},
    {"Data", "header", "First row is a header: auto, yes or no", "auto"},
    {"Data", "skip-rows", "Lines to skip before the header or data", "0"},
    {"Data", "decimal", "Decimal mark of numbers: . or , (',' reads 9,60 as 9.6)", "."},
    {"Data", "scale", "Divide numeric features by K instead of standardising them", ""},
    {"Data", "standardize", "Standardise numeric features (the default)", nullptr},
    {"Columns", "ignore", "Columns to leave out: names or 0-based indexes, comma-separated", ""},
    {"Columns", "categorical", "Columns to treat as categories even if they hold numbers", ""},
    {"Columns", "na-values",
     "Cells meaning 'missing', comma-separated; replaces NA,N/A,NaN,nan,null,NULL,None,#N/A,? "
     "(an empty cell is always missing)",
     ""},
    {"Columns", "task", "auto, classification or regression", "auto"},
    {"Model", "model",
     "mlp, or cnn (convolution blocks, then a hidden Linear; numeric pixel columns only)", "mlp"},
    {"Model", "image",
     "cnn: one row's pixels as an image CxHxW, channels first (empty: a square grey image)", ""},
    {"Model", "hidden", "Hidden layer sizes, comma-separated ('none' for no hidden layer)",
     "128,64"},
    {"Model", "dropout", "Dropout probability after each hidden ReLU (0 for none)", "0.3"},
    {"Model", "no-batchnorm", "Leave out the BatchNorm1d layers", nullptr},
    {"Training", "epochs", "Passes over the training data", "10"},
    {"Training", "batch-size", "Rows per training step", "32"},
    {"Training", "lr", "Learning rate", "0.1"},
    {"Training", "momentum", "SGD momentum", "0"},
    {"Training", "weight-decay", "L2 weight decay (decoupled for adamw)", "0"},
    {"Training", "optimizer", "sgd, adam or adamw", "sgd"},
    {"Training", "loss", "Regression loss: mse, l1 or huber", "mse"},
    {"Training", "val-split", "Fraction of the training rows held out for validation", "0"},
    {"Training", "patience", "Stop after N epochs without a better validation loss, keep the best",
     "0"},
    {"Training", "seed", "Seed for initialisation, shuffling and dropout", "42"},
    {"Training", "bn-stats",
     "With several processes (mpirun): BatchNorm's batch statistics over every process's rows "
     "(sync) or each process's own (local: faster; running statistics averaged)",
     "sync"},
    {"Training", "threads",
     "Threads for minigrad's kernels: 1, 2 or auto (the faster, timed during training); results "
     "are identical",
     "auto"},
    {"Output", "save", "Write the model (weights + preprocessing) to a safetensors file", ""},
    {"Output", "load", "Start from a model written by minigrad train --save", ""},
    {"Output", "eval-only", "Only evaluate the --load model on the test data", nullptr},
    {"Output", "report", "Write a JSON report", ""},
    {"Output", "plot", "Write the learning curves to an SVG file", ""},
    {"Output", "summary", "Print the columns, their encodings and the layer table", nullptr},
    {"Output", "quiet", "Print only the final metric line", nullptr},
    {"Resume", "resume",
     "Continue an interrupted run from its resume checkpoint (same flags; --epochs may grow)", ""},
    {"Resume", "checkpoint-dir", "Directory for resume checkpoints (empty: beside --save)", ""},
    {"Resume", "checkpoint-every",
     "Also write a resume checkpoint every N epochs (Ctrl-C or SIGTERM always writes one)", "0"},
};

// The flags that shape a run's numbers: a resume must repeat them (--epochs may grow; --threads,
// the outputs and the display may change).
constexpr const char* kRunFlags[] = {
    "data",        "train",        "test",       "split",     "split-seed", "label",
    "delimiter",   "decimal",      "header",     "skip-rows", "scale",      "ignore",
    "categorical", "na-values",    "task",       "model",     "image",      "hidden",
    "dropout",     "no-batchnorm", "batch-size", "lr",        "momentum",   "weight-decay",
    "optimizer",   "loss",         "val-split",  "patience",  "seed",       "bn-stats"};

// Their values as the command line gave them, numbers as numbers ("0.10" is "0.1", "1.0" is "1").
train::RunFlags run_flags(const cxxopts::ParseResult& r) {
  train::RunFlags f;
  for (const char* name : kRunFlags) {
    const Flag& flag =
        *std::find_if(std::begin(kTrainFlags), std::end(kTrainFlags),
                      [&](const Flag& g) { return std::string_view(g.name) == name; });
    if (!flag.value) {  // a switch
      f[name] = r.count(name) ? "yes" : "no";
      continue;
    }
    std::string text = r[name].as<std::string>();
    char* end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    if (digits)  // a whole number, kept exact (a seed may exceed a double's 53 bits)
      text = text.substr(std::min(text.find_first_not_of('0'), text.size() - 1));
    else if (!text.empty() && end == text.c_str() + text.size())
      text = fmt::format("{}", number);
    f[name] = text;
  }
  if (f["scale"].empty()) f["scale"] = "(standardize)";
  if (!r.count("na-values")) f["na-values"] = "(the default list)";
  return f;
}

// The values a flag takes, and what each means.
template <class T>
struct Choice {
  const char* name;
  T value;
};
constexpr Choice<TaskChoice> kTasks[] = {{"auto", TaskChoice::Auto},
                                         {"classification", TaskChoice::Classification},
                                         {"regression", TaskChoice::Regression}};
constexpr Choice<RegressionLoss> kLosses[] = {
    {"mse", RegressionLoss::MSE}, {"l1", RegressionLoss::L1}, {"huber", RegressionLoss::Huber}};
constexpr Choice<train::BnStats> kBnStats[] = {{"sync", train::BnStats::Sync},
                                               {"local", train::BnStats::Local}};

// The value of --flag named `text`; a bad_flag error listing the names otherwise.
template <class T, size_t N>
T choose(const char* flag, const std::string& text, const Choice<T> (&choices)[N]) {
  std::string names;
  for (size_t i = 0; i < N; ++i) {
    if (text == choices[i].name) return choices[i].value;
    names += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(choices[i].name);
  }
  bad_flag(flag, names, text);
}

// A grey square image of about `pixels` pixels: the shape --model cnn takes without --image
// (make_cnn_model names the mismatch when `pixels` is not a square).
nn::CnnOptions square_image(int64_t pixels) {
  nn::CnnOptions o;
  int64_t side = 1;
  while ((side + 1) * (side + 1) <= pixels) ++side;
  o.channels = 1, o.height = side, o.width = side;
  return o;
}

}  // namespace

int train_command(int argc, char** argv) {
  return train_command(argc, argv, dist::SingleProcess());
}

int train_command(int argc, char** argv, const dist::ProcessGroup& group) {
  const int ranks = group.size(), rank = group.rank();
  const std::string who = ranks > 1 ? fmt::format("minigrad train: rank {} of {}", rank, ranks)
                                    : std::string("minigrad train");
  // Every rank stops on the same signal: rank 0 alone says so.
  return run_command(who, /*quiet_interrupt=*/rank != 0, [&] {
    cxxopts::Options options("minigrad train",
                             "Train an MLP on a CSV table (numeric and categorical columns, "
                             "missing cells, classification or regression) or a CNN on images");
    options.set_width(110);
    add_flags(options, kTrainFlags);
    add_help(options);
    const auto parsed = train::parse_command_line(options, argc, argv);
    if (!parsed) return 0;
    const cxxopts::ParseResult& r = *parsed;
    auto str = [&](const char* f) { return r[f].as<std::string>(); };

    // ---- flags: parsed into train_csv's TrainConfig, checked by its validate() ----
    train::TrainConfig c;
    c.data_path = str("data"), c.train_path = str("train"), c.test_path = str("test");
    c.test_fraction = parse_number<double>("split", str("split"), "a fraction such as 0.2");
    c.split_seed =
        parse_number<uint64_t>("split-seed", str("split-seed"), "a non-negative integer");
    if (r.count("scale") && r.count("standardize"))
      throw UsageError("--scale and --standardize exclude each other: pick one");
    if (!str("scale").empty()) {
      c.scaling = train::Scaling::Divide;
      c.scale = parse_number<float>("scale", str("scale"), "a positive number such as 255");
    }
    c.hidden = str("hidden") == "none" ? std::vector<int64_t>{}
                                       : train::parse_positive_list(
                                             "hidden", str("hidden"),
                                             "comma-separated positive layer sizes such as 128,64");
    c.dropout = parse_number<float>("dropout", str("dropout"), "a probability in [0, 1)");
    c.model = str("model");
    if (c.model != "mlp" && c.model != "cnn") bad_flag("model", "mlp or cnn", c.model);
    std::optional<nn::CnnOptions> image;
    if (!str("image").empty()) image = io::parse_image_shape(str("image"), "--image");
    c.batchnorm = r.count("no-batchnorm") == 0;
    c.epochs = parse_number<int>("epochs", str("epochs"), "a whole number of epochs");
    c.batch_size =
        parse_number<int64_t>("batch-size", str("batch-size"), "a whole number of rows", 1);
    c.lr = parse_number<double>("lr", str("lr"), "a positive number such as 0.1");
    c.momentum = parse_number<double>("momentum", str("momentum"), "a number in [0, 1)");
    c.weight_decay =
        parse_number<double>("weight-decay", str("weight-decay"), "a non-negative number", 0.0);
    c.optimizer = str("optimizer");
    c.seed = parse_number<uint64_t>("seed", str("seed"), "a non-negative integer");
    c.bn_stats = choose("bn-stats", str("bn-stats"), kBnStats);
    c.threads =
        str("threads") == "auto" ? 0 : parse_number<int>("threads", str("threads"), "auto, 1 or 2");
    c.save_path = str("save"), c.load_path = str("load"), c.report_path = str("report");
    c.eval_only = r.count("eval-only") > 0;
    c.resume_path = str("resume"), c.checkpoint_dir = str("checkpoint-dir");
    c.checkpoint_every =
        parse_number<int>("checkpoint-every", str("checkpoint-every"), "a whole number of epochs");
    train::validate(c);

    // ---- the flags train_csv does not have ----
    if (c.data_path.empty() && c.train_path.empty())
      throw UsageError("no training data: give --train FILE beside --test FILE");
    if (!(c.momentum >= 0.0 && c.momentum < 1.0))
      bad_flag("momentum", "a number in [0, 1)", str("momentum"));
    const double val_split =
        parse_number<double>("val-split", str("val-split"), "a fraction such as 0.1");
    if (!(val_split >= 0.0 && val_split < 1.0))
      bad_flag("val-split", "a fraction in [0, 1)", str("val-split"));
    PreprocessingOptions po;
    po.label = str("label");
    po.ignore = split_list(str("ignore"));
    po.categorical = split_list(str("categorical"));
    if (r.count("na-values")) po.na_values = split_list(str("na-values"));
    po.task = choose("task", str("task"), kTasks);
    FitOptions fo{
        .epochs = c.epochs,
        .batch_size = c.batch_size,
        .lr = c.lr,
        .momentum = c.momentum,
        .weight_decay = c.weight_decay,
        .optimizer = c.optimizer,
        .seed = c.seed,
        .loss = choose("loss", str("loss"), kLosses),
        .patience = parse_number<int>("patience", str("patience"), "a whole number of epochs", 0),
        .threads = c.threads,
        .bn_stats = c.bn_stats};
    if (fo.patience > 0 && val_split == 0.0)
      throw UsageError("--patience needs a validation part to watch (HINT: add --val-split 0.1)");
    const std::string plot = str("plot");
    if (!plot.empty()) io::check_output_path(plot, "--plot");
    const ReadOptions read = read_flags(r);
    nn::MlpOptions shape{.hidden = c.hidden, .batchnorm = c.batchnorm, .dropout = c.dropout};
    const std::string &data_path = c.data_path, &train_path = c.train_path,
                      &test_path = c.test_path, &save = c.save_path, &load = c.load_path,
                      &report = c.report_path;
    const double split = c.test_fraction;
    const uint64_t split_seed = c.split_seed;
    const bool eval_only = c.eval_only;
    const double scale = c.scaling == train::Scaling::Divide ? c.scale : 0.0;
    const bool quiet = r.count("quiet") > 0;
    auto say = [&](const std::string& line) {
      if (!quiet) std::printf("%s\n", line.c_str());
    };

    // ---- data: the training part decides every column's type and statistics ----
    // With --load the model's preprocessing decides which columns to read, and how.
    TabularModel m;
    if (!load.empty()) {
      m = load_model(load);
      m.model->train();
    }
    // Each rank reads its part of the files; the rows are one process's (parallel.hpp).
    const std::string first_path = data_path.empty() ? train_path : data_path;
    TablePart first = read_table_part(
        first_path, read, load.empty() ? po.na_values : m.prep.na_values,
        load.empty() ? training_plan(po, first_path) : model_plan(m.prep, "", first_path), group);
    const Table& train_table = first.table;
    RunRows rows = split_run(first.rows(), !data_path.empty(), split, val_split, split_seed);
    std::vector<int64_t>&train_rows = rows.train, &val_rows = rows.val, &test_rows = rows.test;
    const HeldRows train_held = held_rows(train_rows, first, rank);
    if (load.empty()) {
      Preprocessing prep =
          fit_preprocessing(train_table, train_held.rows, po, group, train_held.positions);
      if (scale > 0.0)  // train_csv's --scale K: x / K instead of standardising
        for (ColumnEncoding& f : prep.features) f.mean = 0.0, f.std = scale;
      if (c.model == "cnn") {
        // A missing pixel takes its column's median: no indicator input beside it.
        for (ColumnEncoding& f : prep.features) f.missing_indicator = false;
        nn::CnnOptions cnn = image.value_or(square_image(prep.num_inputs()));
        cnn.dropout = c.dropout;
        m = make_cnn_model(prep, cnn, fo.seed);
      } else {
        m = make_model(prep, shape, fo.seed);
      }
    }
    const Preprocessing& prep = m.prep;
    TablePart second;  // --test, read once the preprocessing says which columns it needs
    if (data_path.empty()) {
      second =
          read_table_part(test_path, read, prep.na_values, model_plan(prep, "", test_path), group);
      test_rows = split_run(second.rows(), false, 0.0, 0.0, 0).train;
    }
    const TablePart& test_part = data_path.empty() ? second : first;
    const HeldRows val_held = held_rows(val_rows, first, rank);
    const HeldRows test_held = held_rows(test_rows, test_part, rank);
    const EncodedRows train = encode_rows(prep, train_table, train_held.rows);
    const EncodedRows val = encode_held_out(prep, train_table, val_held.rows, "validation");
    const EncodedRows test = encode_held_out(prep, test_part.table, test_held.rows, "test");
    // Where every rank's encoded rows stand in one process's order: the counts are the job's.
    const RowPlaces train_at = place_rows(train, train_held, train_rows, first, group);
    const RowPlaces val_at = place_rows(val, val_held, val_rows, first, group);
    const RowPlaces test_at = place_rows(test, test_held, test_rows, test_part, group);
    const int64_t without_label =
        static_cast<int64_t>(train_rows.size() + val_rows.size() + test_rows.size()) -
        train_at.total - val_at.total - test_at.total;
    say(columns_line(prep));
    for (const std::string& note : column_notes(prep, train_at.total)) say("note: " + note);
    if (ranks == 1) {  // with more, each rank holds only its own rows' counts
      for (const std::string& note : val.unseen_categories) say("note: validation rows: " + note);
      for (const std::string& note : test.unseen_categories) say("note: test rows: " + note);
    }
    say(fmt::format("task: {} ({}{})", task_name(prep.task), prep.task_reason,
                    po.task == TaskChoice::Auto && load.empty() ? "; override with --task" : ""));
    if (without_label > 0) say(fmt::format("{} rows without a label left out", without_label));
    say(fmt::format("rows: {} train, {} validation, {} test", train_at.total, val_at.total,
                    test_at.total));
    if (train_at.total < 2)
      throw DataError(fmt::format("{}: fewer than 2 training rows with a label", train_table.path));
    // ---- a resume: the checkpoint's model, once the flags and the data are checked ----
    std::optional<TabularResume> resumed;
    const uint64_t fingerprint = data_fingerprint(prep, train, val, group);
    if (!c.resume_path.empty()) {
      resumed =
          load_resume(c.resume_path, run_flags(r), c.epochs, fingerprint,
                      data_path.empty() ? "--train " + train_path : "--data " + data_path, group);
      m = std::move(resumed->model);
      say(fmt::format("model: resumed from {} at epoch {}, step {}", c.resume_path,
                      resumed->state.epoch, resumed->state.step));
    }
    if (r.count("summary")) {
      std::printf("%s\n%s\n", columns_text(prep).c_str(),
                  nn::summary(*m.model, {fo.batch_size, prep.num_inputs()}).c_str());
      m.model->train();
    }

    // ---- training ----
    FitResult fit_result;
    if (!eval_only) {
      const std::string metric = metric_name(prep.task);
      FitControl control;
      control.resume = resumed ? &resumed->state : nullptr;
      control.optimizer_state = resumed ? &resumed->optimizer : nullptr;
      control.checkpoint = train::resume_checkpoint_path(c);
      control.checkpoint_every = c.checkpoint_every;
      control.raise_sigint_after_steps = train::sigint_steps_for_tests();
      if (!control.checkpoint.empty())
        control.save = [&](const FitState& s, const optim::Optimizer& optimizer, bool periodic) {
          save_resume(control.checkpoint, m, optimizer, s, run_flags(r), fingerprint);
          if (periodic) say(fmt::format("saved a resume checkpoint to {}", control.checkpoint));
        };
      const auto on_epoch = [&](int epoch, const EpochStats& s) {
        std::string line = fmt::format("epoch {:>3}/{}  loss {:.4f}  {} {:.4f}", epoch, fo.epochs,
                                       s.train_loss, metric, s.train_metric);
        if (val_at.total > 0)
          line += fmt::format("  val_loss {:.4f}  val_{} {:.4f}", s.val_loss, metric, s.val_metric);
        say(line);
      };
      std::optional<FitAcross> across;  // this rank's training rows, ready for the exchange
      if (ranks > 1)
        control.across = &across.emplace(
            FitAcross{group, sharded_rows(train, train_at), val_at, prep.num_outputs()});
      fit_result = fit(*m.model, train, val, prep.task, fo, on_epoch, control);
      if (ranks > 1) say("checked: every process ends with the same weights and buffers");
      if (!fit_result.threads_summary.empty()) say(fit_result.threads_summary);
      say(fmt::format("trained in {:.2f}s on {} thread{}", fit_result.train_seconds,
                      fit_result.threads, fit_result.threads == 1 ? "" : "s"));
      if (fo.patience > 0) {
        if (fit_result.stopped_early)
          say(fmt::format("early stopping: no better validation loss for {} epochs", fo.patience));
        say(fmt::format(
            "kept the weights of epoch {} (best validation loss {:.4f})", fit_result.best_epoch,
            fit_result.epochs[static_cast<size_t>(fit_result.best_epoch - 1)].val_loss));
      }
    }
    m.model->eval();
    backend::empty_cache();  // the training step's buffers: the test rows need others

    // ---- results ----
    TabularEvaluation ev;
    if (test_at.total > 0) {
      ev = ranks > 1 ? evaluate_across(m, test, test_at, fo.loss, group)
                     : evaluate_model(m, test, fo.loss);
      if (quiet) {
        std::printf("%s", prep.task == Task::Regression
                              ? fmt::format("test RMSE: {:.4f}, MAE: {:.4f}, R²: {:.4f}\n",
                                            ev.regression.rmse, ev.regression.mae, ev.regression.r2)
                                    .c_str()
                              : fmt::format("test accuracy: {:.4f}\n", ev.accuracy).c_str());
      } else {
        std::printf("%s", evaluation_text(ev, prep, "test").c_str());
      }
    }
    if (rank != 0) return 0;  // rank 0 alone writes files (the others' output goes nowhere)
    if (!save.empty()) {
      save_model(save, m);
      say(fmt::format("saved {} (weights and preprocessing)", save));
    }
    const TrainOutcome outcome{.prep = prep,
                               .fit = fit_result,
                               .test = test_at.total > 0 ? &ev : nullptr,
                               .n_train = train_at.total,
                               .n_validation = val_at.total,
                               .n_test = test_at.total,
                               .rows_without_label = without_label,
                               .parameters = m.model->num_parameters(),
                               .patience = fo.patience > 0,
                               .processes = ranks,
                               .bn_stats = c.bn_stats};
    if (!plot.empty() && !fit_result.epochs.empty()) {
      const std::string svg = learning_curves_svg(outcome, train_table.path);
      io::write_file_atomically(
          plot, std::span(reinterpret_cast<const uint8_t*>(svg.data()), svg.size()), "--plot");
      say(fmt::format("wrote learning curves to {}", plot));
    }
    if (!report.empty()) {
      const std::string text = train_report_json(outcome);
      io::write_file_atomically(
          report, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
          "--report");
    }
    return 0;
  });
}

}  // namespace minigrad::tabular
