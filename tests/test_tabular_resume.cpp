// Tests of tabular/resume.hpp: a fit interrupted mid-epoch (after its best epoch, with Dropout,
// momentum and early stopping), written to a resume checkpoint, read back and continued, ends
// with the weights and curves of a fit never interrupted; a checkpoint read with other flags or
// other data is refused by name; a checkpoint of 2 processes keeps every rank's generators and
// is refused in one. The command line is tested by tests/cli/minigrad_resume.sh and mpi_tabular.sh.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>

#include "minigrad/generator.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/tabular/resume.hpp"
#include "minigrad/train/interrupt.hpp"
#include "support/error_of.hpp"
#include "support/two_thread_group.hpp"

using namespace minigrad;
using namespace minigrad::tabular;
using minigrad::error_of;
namespace fs = std::filesystem;

namespace {

// rows of two features; class 1 when a + b > 1, with a third of the labels flipped so that the
// validation loss stops improving and early stopping has something to keep.
struct Data {
  Preprocessing prep;
  EncodedRows train, val;
};
Data make_data() {
  const fs::path path =
      fs::temp_directory_path() / ("minigrad_tab_resume_" + std::to_string(getpid()) + ".csv");
  {
    Generator gen(7);
    std::ofstream out(path);
    out << "a,b,y\n";
    for (int i = 0; i < 160; ++i) {
      const float a = gen.uniform(), b = gen.uniform();
      out << a << ',' << b << ',' << ((a + b > 1) != (i % 3 == 0)) << '\n';
    }
  }
  const PreprocessingOptions o{.label = "y"};
  const Table t = read_table(path.string(), {}, o.na_values, training_plan(o, path.string()));
  fs::remove(path);
  std::vector<int64_t> train(120), val(40);
  std::iota(train.begin(), train.end(), 0);
  std::iota(val.begin(), val.end(), 120);
  Data d;
  d.prep = fit_preprocessing(t, train, o);
  d.train = encode_rows(d.prep, t, train);
  d.val = encode_rows(d.prep, t, val);
  return d;
}

const FitOptions kOptions{
    .epochs = 8, .batch_size = 16, .lr = 0.5, .momentum = 0.9, .patience = 2, .threads = 1};

}  // namespace

TEST_CASE("tabular resume: an interrupted fit, saved and read back, continues bit for bit") {
  const Data d = make_data();
  const nn::MlpOptions shape{.hidden = {8}, .dropout = 0.3f};
  TabularModel full = make_model(d.prep, shape, 5);
  const FitResult expected = fit(*full.model, d.train, d.val, d.prep.task, kOptions);
  REQUIRE(expected.epochs.size() >= 3);
  REQUIRE(expected.best_epoch < static_cast<int>(expected.epochs.size()));  // best weights kept

  const std::string path =
      (fs::temp_directory_path() / ("minigrad_tab_" + std::to_string(getpid()) + ".safetensors"))
          .string();
  const train::RunFlags flags = {{"lr", "0.5"}, {"seed", "42"}};
  const uint64_t fingerprint = data_fingerprint(d.prep, d.train, d.val);
  // Interrupted after step 8 * (epochs - 1) + 3: mid-epoch, after the best epoch.
  TabularModel first = make_model(d.prep, shape, 5);
  FitControl control;
  control.checkpoint = path;
  control.raise_sigint_after_steps = {8 * static_cast<int64_t>(expected.epochs.size() - 1) + 3};
  control.save = [&](const FitState& s, const optim::Optimizer& opt, bool) {
    save_resume(path, first, opt, s, flags, fingerprint);
  };
  CHECK_THROWS_AS(fit(*first.model, d.train, d.val, d.prep.task, kOptions, {}, control),
                  train::Interrupted);

  const TabularResume r = load_resume(path, flags, kOptions.epochs, fingerprint, "--data t.csv");
  CHECK(r.state.step == 3);
  CHECK(r.state.epochs.size() == expected.epochs.size() - 1);
  CHECK(r.state.best_epoch == expected.best_epoch);
  CHECK(to_json(r.model.prep) == to_json(d.prep));
  FitControl again;
  again.resume = &r.state;
  again.optimizer_state = &r.optimizer;
  const FitResult resumed = fit(*r.model.model, d.train, d.val, d.prep.task, kOptions, {}, again);
  CHECK(resumed.best_epoch == expected.best_epoch);
  CHECK(resumed.stopped_early == expected.stopped_early);
  REQUIRE(resumed.epochs.size() == expected.epochs.size());
  for (size_t e = 0; e < expected.epochs.size(); ++e) {
    CHECK(resumed.epochs[e].train_loss == expected.epochs[e].train_loss);
    CHECK(resumed.epochs[e].train_metric == expected.epochs[e].train_metric);
    CHECK(resumed.epochs[e].val_loss == expected.epochs[e].val_loss);
  }
  const StateDict a = full.model->state_dict(), b = r.model.model->state_dict();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(a[i].name);
    REQUIRE(a[i].tensor.numel() == b[i].tensor.numel());
    CHECK(std::equal(a[i].tensor.data(), a[i].tensor.data() + a[i].tensor.numel(),
                     b[i].tensor.data()));
  }

  // Other flags, other data, fewer epochs: refused, naming what differs.
  CHECK(error_of<std::invalid_argument>([&] {
          load_resume(path, {{"lr", "0.1"}, {"seed", "42"}}, 8, fingerprint, "");
        }).find("had --lr 0.5, this one has --lr 0.1") != std::string::npos);
  CHECK(error_of<std::invalid_argument>([&] {
          load_resume(path, flags, 8, fingerprint + 1, "--data t.csv");
        }).find("the training data differs from the interrupted run's (--data t.csv") !=
        std::string::npos);
  CHECK(error_of<std::invalid_argument>([&] {
          load_resume(path, flags, 1, fingerprint, "");
        }).find("more than --epochs 1") != std::string::npos);
  // A resume checkpoint is not a model: load_model says so and points to --resume.
  CHECK(error_of<std::runtime_error>([&] { load_model(path); }).find("is a resume checkpoint") !=
        std::string::npos);
  fs::remove(path);
}

TEST_CASE("tabular resume: a checkpoint of 2 processes keeps every rank's generators and sums") {
  const Data d = make_data();
  TabularModel m = make_model(d.prep, {.hidden = {8}, .dropout = 0.3f}, 5);  // one Dropout
  optim::SGD sgd(m.model->parameters(), {.lr = 0.5});
  FitState s;  // as rank 0 saves it mid-epoch: no outputs kept, the training metric's sums
  s.epoch = 2, s.step = 3, s.steps = 8, s.shuffle = Generator(1).get_state();
  s.processes = 2;
  s.masks = {Generator(2).get_state(), Generator(3).get_state()};  // rank 0's, rank 1's
  s.loss_sum = 1.5, s.steps_done = 3, s.rows_done = 48;
  s.sums = {40.0, 0.1, 1.0 / 3.0};
  s.epochs = {{0.7, 0.6, 0.5, 0.4}};
  const std::string path =
      (fs::temp_directory_path() / ("minigrad_tab2_" + std::to_string(getpid()) + ".safetensors"))
          .string();
  const train::RunFlags flags = {{"lr", "0.5"}};
  save_resume(path, m, sgd, s, flags, 7);

  TwoThreads shared;
  const TwoThreadGroup rank1(shared, 1);  // read as rank 1 of 2: no collective is made
  const TabularResume r = load_resume(path, flags, 8, 7, "--data t.csv", rank1);
  CHECK(r.state.processes == 2);
  CHECK(r.state.masks == s.masks);
  CHECK(r.state.sums == s.sums);  // exact: written as the shortest text that reads back
  CHECK(r.state.rows_done == 48);
  CHECK(r.state.outputs.empty());
  // In one process: refused before the data are compared, naming both counts.
  CHECK(error_of<std::invalid_argument>([&] { load_resume(path, flags, 8, 8, "--data t.csv"); })
            .find("the interrupted run had 2 processes, this one has 1 (HINT: resume with the "
                  "same number of processes, mpirun -np 2)") != std::string::npos);
  fs::remove(path);
}

TEST_CASE("check_flags: a flag newer than a checkpoint matches the value runs had before it") {
  const io::Metadata before_decimal = {};  // a checkpoint written before --decimal existed
  CHECK_NOTHROW(train::check_flags(before_decimal, {{"decimal", "."}}, "old.resume.safetensors",
                                   {{"decimal", "."}}));
  const std::string msg = error_of<std::invalid_argument>([&] {
    train::check_flags(before_decimal, {{"decimal", ","}}, "old.resume.safetensors",
                       {{"decimal", "."}});
  });
  CHECK(msg.find("the interrupted run had --decimal ., this one has --decimal ,") !=
        std::string::npos);
  CHECK(error_of<std::invalid_argument>([&] {
          train::check_flags(before_decimal, {{"decimal", "."}}, "old.resume.safetensors");
        }).find("--decimal (not given)") != std::string::npos);
}
