// Tests of train/data_parallel.hpp that need no second process: a data-parallel step in a group
// of one equals the plain train_step. Steps across real
// processes (mpirun) are tested by tests/cli/mpi.sh.
#include <doctest/doctest.h>

#include <vector>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/train/data_parallel.hpp"
#include "support/pattern.hpp"

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
