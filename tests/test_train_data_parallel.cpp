// Tests of train/data_parallel.hpp that need no second process: a data-parallel step in a group
// of one equals the plain train_step; two threads standing for two ranks check local BatchNorm
// statistics and the gathers of generator states and of strings. Steps across real processes
// (mpirun) are tested by tests/cli/mpi.sh.
#include <doctest/doctest.h>

#include <barrier>
#include <memory>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/nn/batchnorm.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/ops/index.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/train/data_parallel.hpp"
#include "support/pattern.hpp"
#include "support/two_thread_group.hpp"

using namespace minigrad;

TEST_CASE("data_parallel_step in a group of one takes the same step as train_step") {
  Generator g1(3), g2(3);
  nn::MlpOptions options{.in_features = 4, .hidden = {5}, .classes = 3, .dropout = 0.0f};
  auto a = nn::make_mlp(options, g1), b = nn::make_mlp(options, g2);
  optim::SGD sa(a->parameters(), {.lr = 0.1f}), sb(b->parameters(), {.lr = 0.1f});
  data::Batch batch;
  batch.x = pattern({6, 4}, 5, 1, 17, 4.0);
  batch.y = Tensor::from({0.0f, 1.0f, 2.0f, 1.0f, 0.0f, 2.0f});
  const std::vector<int32_t> labels = {0, 1, 2, 1, 0, 2};
  batch.labels = labels;
  std::vector<int> pa, pb;
  std::vector<float> buffer;
  const train::StepStats sta = train::train_step(*a, sa, batch, pa);
  const train::StepStats stb =
      train::data_parallel_step(*b, sb, batch, 6, dist::SingleProcess(), pb, buffer);
  CHECK(stb.stepped);
  CHECK(stb.loss == doctest::Approx(sta.loss).epsilon(1e-6));
  CHECK(stb.correct == sta.correct);
  const std::vector<Tensor> pa_ = a->parameters(), pb_ = b->parameters();
  for (size_t i = 0; i < pa_.size(); ++i)
    for (int64_t k = 0; k < pa_[i].numel(); ++k)
      CHECK(pb_[i].data()[k] == doctest::Approx(pa_[i].data()[k]).epsilon(1e-6));
}

namespace {

// Every BatchNorm of `model`, in module order.
std::vector<nn::BatchNorm*> batchnorms_of(nn::Module& model) {
  std::vector<nn::BatchNorm*> found;
  if (auto* bn = dynamic_cast<nn::BatchNorm*>(&model)) found.push_back(bn);
  for (const auto& [name, child] : model.children())
    for (nn::BatchNorm* bn : batchnorms_of(*child)) found.push_back(bn);
  return found;
}

}  // namespace

TEST_CASE(
    "local BatchNorm statistics: each rank normalises its rows, running statistics averaged") {
  // A batch of 8 rows shared 5 + 3; without synchronisation each rank's forward is that of one
  // process on its rows alone, so a model per share shows what each rank computes.
  nn::MlpOptions options{.in_features = 4, .hidden = {6, 5}, .classes = 3, .dropout = 0.0f};
  const Tensor x = pattern({8, 4}, 5, 1, 17, 4.0);
  const std::vector<int32_t> labels = {0, 1, 2, 1, 0, 2, 2, 1};
  auto share = [&](int r) {
    const int64_t begin = r == 0 ? 0 : 5, rows = r == 0 ? 5 : 3;
    data::Batch b;
    b.x = narrow(x, 0, begin, rows).clone();
    std::vector<float> y;
    for (int64_t i = begin; i < begin + rows; ++i) y.push_back(static_cast<float>(labels[i]));
    b.y = Tensor::from(y);
    b.labels = std::span(labels).subspan(static_cast<size_t>(begin), static_cast<size_t>(rows));
    return b;
  };
  const data::Batch shares[2] = {share(0), share(1)};
  std::shared_ptr<nn::Module> alone[2], rank[2];
  for (int r = 0; r < 2; ++r) {
    Generator g1(3), g2(3);
    alone[r] = nn::make_mlp(options, g1);
    rank[r] = nn::make_mlp(options, g2);
    (*alone[r])(shares[r].x);  // the running statistics each rank computes before averaging
  }

  TwoThreads shared;
  auto run = [&](int r) {
    const TwoThreadGroup group(shared, r);
    optim::SGD sgd(rank[r]->parameters(), {.lr = 0.1f});
    std::vector<int> predictions;
    std::vector<float> buffer;
    train::data_parallel_step(*rank[r], sgd, shares[r], 8, group, predictions, buffer);
  };
  std::thread other(run, 1);
  run(0);
  other.join();

  const auto bn0 = batchnorms_of(*rank[0]), bn1 = batchnorms_of(*rank[1]);
  const auto a0 = batchnorms_of(*alone[0]), a1 = batchnorms_of(*alone[1]);
  REQUIRE(bn0.size() == 2);
  for (size_t l = 0; l < bn0.size(); ++l)
    for (int64_t c = 0; c < bn0[l]->num_features(); ++c) {
      CAPTURE(l);
      CAPTURE(c);
      // The same on both ranks, bit for bit: the all-reduce hands both the same sum.
      CHECK(bn0[l]->running_mean().data()[c] == bn1[l]->running_mean().data()[c]);
      CHECK(bn0[l]->running_var().data()[c] == bn1[l]->running_var().data()[c]);
      // The average of the two ranks' own, weighted by their rows: 5/8 and 3/8.
      CHECK(bn0[l]->running_mean().data()[c] ==
            doctest::Approx(0.625 * a0[l]->running_mean().data()[c] +
                            0.375 * a1[l]->running_mean().data()[c])
                .epsilon(1e-6));
      CHECK(bn0[l]->running_var().data()[c] ==
            doctest::Approx(0.625 * a0[l]->running_var().data()[c] +
                            0.375 * a1[l]->running_var().data()[c])
                .epsilon(1e-6));
    }
  // The same step on both ranks.
  const std::vector<Tensor> p0 = rank[0]->parameters(), p1 = rank[1]->parameters();
  for (size_t i = 0; i < p0.size(); ++i) CHECK(p0[i].to_vector() == p1[i].to_vector());
}

TEST_CASE("all_gather hands every rank every rank's values, in rank order") {
  const std::vector<std::array<uint64_t, 4>> mine[2] = {
      {{1, 0xFFFFFFFFFFFFFFFFull, 3, 4}, {5, 6, 7, 0x8000000000000001ull}},
      {{9, 10, 11, 12}, {13, 0x123456789ABCDEF0ull, 15, 16}}};
  std::vector<std::array<uint64_t, 4>> got[2];
  TwoThreads shared;
  auto run = [&](int r) { got[r] = train::all_gather(TwoThreadGroup(shared, r), mine[r]); };
  std::thread other(run, 1);
  run(0);
  other.join();
  std::vector<std::array<uint64_t, 4>> all = mine[0];
  all.insert(all.end(), mine[1].begin(), mine[1].end());
  CHECK(got[0] == all);
  CHECK(got[1] == all);
  CHECK(train::all_gather(dist::SingleProcess(), mine[1]) == mine[1]);
}

TEST_CASE("all_gather_strings hands every rank every rank's strings, in rank order") {
  const std::vector<std::string> mine[2] = {{"a", "", "bc"}, {"\xC3\xA9t\xC3\xA9"}};
  std::vector<std::vector<std::string>> got[2];
  TwoThreads shared;
  auto run = [&](int r) { got[r] = train::all_gather_strings(TwoThreadGroup(shared, r), mine[r]); };
  std::thread other(run, 1);
  run(0);
  other.join();
  for (int r = 0; r < 2; ++r) {
    REQUIRE(got[r].size() == 2);
    CHECK(got[r][0] == mine[0]);
    CHECK(got[r][1] == mine[1]);
  }
}

TEST_CASE("check_replicas_agree finds a rank whose weights or buffers differ") {
  nn::MlpOptions options{.in_features = 4, .hidden = {5}, .classes = 3, .dropout = 0.0f};
  std::shared_ptr<nn::Module> models[2];
  for (int r = 0; r < 2; ++r) {
    Generator g(3);
    models[r] = nn::make_mlp(options, g);
  }
  auto check_both = [&]() {
    std::string errors[2];
    TwoThreads shared;
    auto run = [&](int r) {
      try {
        train::check_replicas_agree(*models[r], TwoThreadGroup(shared, r));
      } catch (const std::logic_error& e) {
        errors[r] = e.what();
      }
    };
    std::thread other(run, 1);
    run(0);
    other.join();
    CHECK(errors[0] == errors[1]);  // every rank reaches the same verdict
    return errors[0];
  };
  CHECK(check_both().empty());
  batchnorms_of(*models[1])[0]->running_var().data()[2] += 1e-6f;  // one buffer, one element
  CHECK(check_both() ==
        "rank 1 of 2 ended training with another network.1.running_var than rank 0: the "
        "processes no longer train one model (an internal error; please report it)");
}

TEST_CASE("prepare_data_parallel: --bn-stats local needs 2 rows of every batch on every rank") {
  // 12 rows in batches of 3: shares of 2 and 1 rows. Synchronised statistics cover the 3 rows.
  train::ShardedRows rows;
  rows.owner.assign(12, 0);
  rows.local.resize(12);
  std::iota(rows.local.begin(), rows.local.end(), int64_t{0});
  nn::MlpOptions options{.in_features = 4, .hidden = {5}, .classes = 3, .dropout = 0.0f};
  for (const bool batchnorm : {true, false})
    for (const train::BnStats mode : {train::BnStats::Sync, train::BnStats::Local}) {
      CAPTURE(batchnorm);
      CAPTURE(mode == train::BnStats::Local);
      options.batchnorm = batchnorm;
      std::string errors[2];
      TwoThreads shared;
      auto run = [&](int r) {
        Generator g(3);
        const auto model = nn::make_mlp(options, g);
        const TwoThreadGroup group(shared, r);
        const train::ShardedLoader loader(rows, 3, Generator(1), group);
        try {
          train::prepare_data_parallel(*model, group, loader, 42, mode);
        } catch (const std::invalid_argument& e) {
          errors[r] = e.what();
        }
      };
      std::thread other(run, 1);
      run(0);
      other.join();
      CHECK(errors[0] == errors[1]);
      // Without BatchNorm there are no statistics to need rows: the flag changes nothing.
      if (batchnorm && mode == train::BnStats::Local)
        CHECK(errors[0] ==
              "--bn-stats local: batch 1 of 3 rows gives a process 1 row, and BatchNorm needs 2 to "
              "compute its statistics over a process's rows (HINT: use a larger --batch-size, "
              "--bn-stats sync, or fewer processes)");
      else
        CHECK(errors[0].empty());
    }
}
