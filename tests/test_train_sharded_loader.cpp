// Tests of train/sharded_loader.hpp that need no second process: the remainder rule of share_of,
// and in a group of one a ShardedLoader hands out a DataLoader's batches. The exchange between
// real processes (mpirun) is tested by tests/cli/mpi.sh, where 2 ranks end with the weights of 1.
#include <doctest/doctest.h>

#include <numeric>
#include <vector>

#include "minigrad/data/dataloader.hpp"
#include "minigrad/dist/process_group.hpp"
#include "minigrad/train/sharded_loader.hpp"

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
TEST_CASE("ShardedLoader in a group of one: a shuffling DataLoader's batches, epoch after epoch") {
  for (const int64_t n : {23, 21, 4}) {  // a short last batch, a merged single row, one batch
    CAPTURE(n);
    std::vector<float> features(static_cast<size_t>(n * 3));
    std::iota(features.begin(), features.end(), 0.5f);
    std::vector<int32_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = static_cast<int32_t>(i % 4);
    const data::Dataset table = data::Dataset::from_floats(features, labels, 3);
    train::ShardedRows rows;
    rows.held = table;
    rows.owner.assign(static_cast<size_t>(n), 0);
    rows.local.resize(static_cast<size_t>(n));
    std::iota(rows.local.begin(), rows.local.end(), int64_t{0});
    const dist::SingleProcess group;
    data::DataLoader plain(table, {.batch_size = 5, .shuffle = true}, Generator(9));
    train::ShardedLoader sharded(rows, 5, Generator(9), group);
    REQUIRE(sharded.size() == plain.size());
    for (int epoch = 0; epoch < 2; ++epoch) {
      plain.new_epoch();
      sharded.new_epoch();
      for (int64_t b = 0; b < plain.size(); ++b) {
        const data::Batch& p = plain.batch(b);
        const data::Batch& s = sharded.batch(b);
        CHECK(sharded.batch_rows(b) == plain.batch_rows(b));
        REQUIRE(s.x.shape() == p.x.shape());
        for (int64_t k = 0; k < p.x.numel(); ++k) CHECK(s.x.data()[k] == p.x.data()[k]);
        for (int64_t i = 0; i < p.size(); ++i) {
          CHECK(s.y.data()[i] == p.y.data()[i]);
          CHECK(s.labels[static_cast<size_t>(i)] == p.labels[static_cast<size_t>(i)]);
        }
      }
    }
  }
}

TEST_CASE("ShardedLoader with drop_single_row: a last batch of one row is left out, not joined") {
  for (const int64_t n : {21, 23}) {  // 4 batches of 5 and a single row; a last batch of 3
    CAPTURE(n);
    std::vector<float> features(static_cast<size_t>(n), 1.0f);
    train::ShardedRows rows;
    rows.held = data::Dataset::from_floats(features, std::vector<int32_t>(features.size(), 0), 1);
    rows.owner.assign(static_cast<size_t>(n), 0);
    rows.local.resize(static_cast<size_t>(n));
    std::iota(rows.local.begin(), rows.local.end(), int64_t{0});
    const dist::SingleProcess group;
    train::ShardedLoader joined(rows, 5, Generator(9), group);
    train::ShardedLoader dropped(rows, 5, Generator(9), group, /*drop_single_row=*/true);
    CHECK(joined.size() == dropped.size());  // 4 (or 5) batches either way
    const int64_t last = dropped.size() - 1;
    CHECK(dropped.batch_rows(last) == (n == 21 ? 5 : 3));
    CHECK(joined.batch_rows(last) == (n == 21 ? 6 : 3));
    dropped.new_epoch();
    CHECK(dropped.batch(last).x.size(0) == dropped.batch_rows(last));
  }
}
