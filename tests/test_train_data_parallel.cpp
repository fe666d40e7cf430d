// Tests of train/data_parallel.hpp that need no second process: the remainder rule of share_of,
// and a data-parallel step in a group of one equals the plain train_step. Steps across real
// processes (mpirun) are tested by tests/cli/mpi.sh.
#include <doctest/doctest.h>

#include <vector>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/nn/mlp.hpp"
#include "minigrad/optim/sgd.hpp"
#include "minigrad/train/data_parallel.hpp"
#include "support/pattern.hpp"

using namespace minigrad;
using train::share_of;

TEST_CASE("share_of: n / ranks rows each, the first n % ranks ranks one more, in order") {
  CHECK(share_of(10, 0, 3).begin == 0);
  CHECK(share_of(10, 0, 3).end == 4);
  CHECK(share_of(10, 1, 3).begin == 4);
  CHECK(share_of(10, 1, 3).end == 7);
  CHECK(share_of(10, 2, 3).begin == 7);
  CHECK(share_of(10, 2, 3).end == 10);
  for (int ranks = 1; ranks <= 5; ++ranks)
    for (int64_t n = 0; n <= 12; ++n) {
      int64_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        const train::RowRange part = share_of(n, r, ranks);
        CHECK(part.begin == next);  // the shares tile 0 .. n without a gap or an overlap
        CHECK(part.size() >= n / ranks);
        CHECK(part.size() <= n / ranks + 1);
        next = part.end;
      }
      CHECK(next == n);
    }
}

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
      train::data_parallel_step(*b, sb, batch, dist::SingleProcess(), pb, buffer);
  CHECK(stb.stepped);
  CHECK(stb.loss == doctest::Approx(sta.loss).epsilon(1e-6));
  CHECK(stb.correct == sta.correct);
  const std::vector<Tensor> pa_ = a->parameters(), pb_ = b->parameters();
  for (size_t i = 0; i < pa_.size(); ++i)
    for (int64_t k = 0; k < pa_[i].numel(); ++k)
      CHECK(pb_[i].data()[k] == doctest::Approx(pa_[i].data()[k]).epsilon(1e-6));
}
