// Tests of train/resume.hpp through the pipeline: a run interrupted by SIGINT (raised in the
// process after step K) and resumed from its checkpoint ends with the uninterrupted run's weights
// and curves, bit for bit, mid-epoch and at an epoch boundary; the checkpoint's path rules; and
// the Dropout generators of every process of a data-parallel run, whose count a resume must repeat.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/train/interrupt.hpp"
#include "minigrad/train/resume.hpp"
#include "minigrad/train/trainer.hpp"
#include "support/io_files.hpp"

using namespace minigrad;
using train::TrainConfig;

namespace {

// 120 rows of three separable classes; 96 training rows make 6 batches of 16.
std::string write_blobs(const iotest::TempDir& dir) {
  const std::string path = (dir.path / "blobs.csv").string();
  std::ofstream f(path);
  f << "a,b,c,label\n";
  Generator gen(3);
  for (int i = 0; i < 120; ++i) {
    const int c = i % 3;
    f << c * 2 + gen.uniform() << ',' << -c + gen.uniform() << ',' << gen.uniform() * 3 << ',' << c
      << '\n';
  }
  return path;
}

TrainConfig tiny_run(const std::string& data, const std::string& save) {
  TrainConfig c;
  c.data_path = data;
  c.csv.label = data::LabelColumn::last();
  c.hidden = {8, 4};  // BatchNorm1d and Dropout(0.3) after each: buffers and masks to carry over
  c.epochs = 3;
  c.batch_size = 16;
  c.quiet = true;
  c.threads = 1;
  c.save_path = save;
  return c;
}

struct Outcome {
  train::TrainResult result;
  StateDict weights;
};

Outcome run(const TrainConfig& c) {
  std::FILE* out = std::tmpfile();
  Outcome o{train::run_training(c, out), {}};
  std::fclose(out);
  o.weights = io::load_safetensors(c.save_path);
  return o;
}

// Interrupts `c` after `steps` (one entry per interruption, each counted within its process),
// resuming each time; returns the final outcome.
Outcome run_interrupted(TrainConfig c, const std::vector<int64_t>& steps) {
  for (int64_t k : steps) {
    c.raise_sigint_after_steps = {k};
    std::FILE* out = std::tmpfile();
    CHECK_THROWS_AS(train::run_training(c, out), train::Interrupted);
    std::fclose(out);
    c.resume_path = train::resume_checkpoint_path(c);
  }
  c.raise_sigint_after_steps.clear();
  return run(c);
}

void check_identical(const Outcome& a, const Outcome& b) {
  CHECK(a.result.epoch_loss == b.result.epoch_loss);  // exact doubles: the same sums
  CHECK(a.result.epoch_accuracy == b.result.epoch_accuracy);
  REQUIRE(a.weights.size() == b.weights.size());
  for (size_t i = 0; i < a.weights.size(); ++i) {
    CAPTURE(a.weights[i].name);
    CHECK(a.weights[i].name == b.weights[i].name);
    CHECK(a.weights[i].tensor.to_vector() == b.weights[i].tensor.to_vector());  // bit for bit
  }
}

}  // namespace

TEST_CASE("resume: an interrupted and resumed run equals the uninterrupted one bit for bit") {
  iotest::TempDir dir;
  const std::string data = write_blobs(dir);
  for (const char* optimizer : {"sgd", "adam"}) {
    CAPTURE(optimizer);
    TrainConfig c = tiny_run(data, (dir.path / "model.safetensors").string());
    c.optimizer = optimizer;
    c.momentum = c.optimizer == "sgd" ? 0.9 : 0.0;
    c.lr = c.optimizer == "sgd" ? 0.1 : 0.01;
    const Outcome whole = run(c);
    REQUIRE(whole.result.epoch_loss.size() == 3);
    SUBCASE("mid-epoch (epoch 1, step 4 of 6)") { check_identical(whole, run_interrupted(c, {4})); }
    SUBCASE("at an epoch boundary (end of epoch 2)") {
      check_identical(whole, run_interrupted(c, {12}));
    }
    SUBCASE("twice, then the last step of all") {
      check_identical(whole, run_interrupted(c, {5, 5, 8}));
    }
  }
}

TEST_CASE("resume: the checkpoint's place and the flags a resume must repeat") {
  TrainConfig c;
  CHECK(train::resume_checkpoint_path(c).empty());
  c.save_path = "out/model.safetensors";
  CHECK(train::resume_checkpoint_path(c) == "out/model.resume.safetensors");
  c.save_path = "model.bin";
  CHECK(train::resume_checkpoint_path(c) == "model.bin.resume.safetensors");
  c.checkpoint_dir = "ckpt";
  CHECK(train::resume_checkpoint_path(c) == "ckpt/model.bin.resume.safetensors");
  c.save_path.clear();
  CHECK(train::resume_checkpoint_path(c) == "ckpt/resume.safetensors");

  iotest::TempDir dir;
  TrainConfig run_config = tiny_run(write_blobs(dir), (dir.path / "m.safetensors").string());
  run_config.raise_sigint_after_steps = {2};
  std::FILE* out = std::tmpfile();
  try {
    train::run_training(run_config, out);
    FAIL("no interruption");
  } catch (const train::Interrupted& e) {
    CHECK(e.signal() == SIGINT);
    CHECK(std::string(e.what()).find("at epoch 1, step 2 of 6") != std::string::npos);
  }
  run_config.raise_sigint_after_steps.clear();
  run_config.resume_path = train::resume_checkpoint_path(run_config);
  run_config.batch_size = 32;
  std::string error;
  try {
    train::run_training(run_config, out);
  } catch (const std::invalid_argument& e) {
    error = e.what();
  }
  CHECK(error.find("had --batch-size 16, this one has --batch-size 32") != std::string::npos);
  std::fclose(out);
}

TEST_CASE("resume: a checkpoint holds each process's Dropout generators and is refused elsewhere") {
  train::TrainingState s;
  s.steps = 4;
  s.shuffle = {1, 2, 3, 4};
  s.processes = 2;
  s.masks = {{5, 6, 7, 8}, {9, 10, 11, 12}};  // one Dropout, two processes
  io::Metadata m;
  write_training_state(m, s, {});
  const std::string path = "run.resume.safetensors";
  const train::TrainingState back = train::ResumeReader(m, path).training_state();
  CHECK(back.processes == 2);
  CHECK(back.masks == s.masks);
  m.erase(train::resume_key("processes"));  // as written before runs of several processes
  CHECK(train::ResumeReader(m, path).training_state().processes == 1);

  // A one-process checkpoint said to come from 2 processes is refused in one, naming both counts.
  iotest::TempDir dir;
  TrainConfig c = tiny_run(write_blobs(dir), (dir.path / "m.safetensors").string());
  c.raise_sigint_after_steps = {2};
  std::FILE* out = std::tmpfile();
  CHECK_THROWS_AS(train::run_training(c, out), train::Interrupted);
  std::fclose(out);
  c.raise_sigint_after_steps.clear();
  c.resume_path = train::resume_checkpoint_path(c);
  Generator gen(c.seed);
  train::ResumeCheckpoint from = train::load_resume(c, gen);
  CHECK(from.state.processes == 1);
  from.state.processes = 2;
  optim::SGD sgd(from.checkpoint.model->parameters(), {.lr = 0.1f});
  CHECK_THROWS_WITH_AS(
      train::restore_resume(c, from, from.state.steps, sgd, *from.checkpoint.model,
                            dist::SingleProcess()),
      doctest::Contains("the interrupted run had 2 processes, this one has 1 (HINT: resume with "
                        "the same number of processes, mpirun -np 2)"),
      std::invalid_argument);
}
