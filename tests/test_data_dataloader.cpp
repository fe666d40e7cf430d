// Tests of data/dataloader.hpp: batch counts with and without drop_last, the single-row policy
// (a last batch of one row is merged into the previous one), seeded shuffling that is the same
// for the same seed and new each epoch, batch contents, and the reuse of the batch buffers.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "minigrad/data/dataloader.hpp"

using namespace minigrad;
using namespace minigrad::data;

namespace {

// n rows of 3 byte features (row % 256, 2, 3) with label row % 10.
Dataset rows_dataset(int64_t n) {
  std::vector<uint8_t> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    x.insert(x.end(), {static_cast<uint8_t>(i % 256), 2, 3});
    y.push_back(static_cast<int32_t>(i % 10));
  }
  return Dataset::from_bytes(std::move(x), std::move(y), 3);
}

std::vector<int64_t> sizes(DataLoader& loader) {
  std::vector<int64_t> out;
  for (const Batch& b : loader) out.push_back(b.size());
  return out;
}

// The row ids (feature 0, rows < 256) of one epoch, in the order the batches deliver them.
std::vector<int64_t> epoch_rows(DataLoader& loader) {
  std::vector<int64_t> out;
  for (const Batch& b : loader) {
    for (int64_t i = 0; i < b.size(); ++i) out.push_back(static_cast<int64_t>(b.x.at({i, 0})));
  }
  return out;
}

}  // namespace

TEST_CASE("dataloader: batch counts, drop_last and the single-row policy") {
  const Dataset d10 = rows_dataset(10), d9 = rows_dataset(9), d5 = rows_dataset(5);
  const Dataset d1 = rows_dataset(1), d3 = rows_dataset(3);
  {
    DataLoader l(d10, {.batch_size = 4});
    CHECK(l.size() == 3);
    CHECK(sizes(l) == std::vector<int64_t>{4, 4, 2});
    DataLoader dl(d10, {.batch_size = 4, .drop_last = true});
    CHECK(sizes(dl) == std::vector<int64_t>{4, 4});
  }
  {
    // 9 = 4 + 4 + 1: the lone row joins the previous batch.
    DataLoader l(d9, {.batch_size = 4});
    CHECK(l.size() == 2);
    CHECK(l.batch_rows(1) == 5);
    CHECK(sizes(l) == std::vector<int64_t>{4, 5});
    DataLoader dl(d9, {.batch_size = 4, .drop_last = true});
    CHECK(sizes(dl) == std::vector<int64_t>{4, 4});
    // The documents' numbers: 4800 rows in batches of 32 divide exactly.
    const Dataset d4801 = rows_dataset(4801);
    DataLoader docs(d4801, {.batch_size = 32});
    CHECK(docs.size() == 150);
    CHECK(docs.batch_rows(149) == 33);
  }
  {
    DataLoader l(d5, {.batch_size = 4});
    CHECK(sizes(l) == std::vector<int64_t>{5});
    DataLoader one(d1, {.batch_size = 4});  // nothing to merge with: one row is all there is
    CHECK(sizes(one) == std::vector<int64_t>{1});
    DataLoader ones(d3, {.batch_size = 1});  // batch_size 1 is the caller's explicit choice
    CHECK(sizes(ones) == std::vector<int64_t>{1, 1, 1});
    DataLoader none(d3, {.batch_size = 4, .drop_last = true});
    CHECK(none.size() == 0);
    CHECK(sizes(none).empty());
  }
  CHECK_THROWS_AS(DataLoader(d3, {.batch_size = 0}), std::invalid_argument);
  DataLoader l(d10, {.batch_size = 4});
  CHECK_THROWS_AS(l.batch(3), std::out_of_range);
}

TEST_CASE("dataloader: every row once per epoch, in order without shuffle") {
  const Dataset d = rows_dataset(9);
  DataLoader l(d, {.batch_size = 4});
  std::vector<int64_t> expected(9);
  std::iota(expected.begin(), expected.end(), int64_t{0});
  CHECK(epoch_rows(l) == expected);
  CHECK(epoch_rows(l) == expected);
  CHECK(l.epoch() == 2);

  DataLoader s(d, {.batch_size = 4, .shuffle = true}, Generator(1));
  std::vector<int64_t> rows = epoch_rows(s);
  CHECK(rows != expected);
  std::sort(rows.begin(), rows.end());
  CHECK(rows == expected);  // the merged last batch included
}

TEST_CASE("dataloader: shuffling is seeded and new each epoch") {
  const Dataset d = rows_dataset(100);
  DataLoader a(d, {.batch_size = 8, .shuffle = true}, Generator(42));
  DataLoader b(d, {.batch_size = 8, .shuffle = true}, Generator(42));
  DataLoader c(d, {.batch_size = 8, .shuffle = true}, Generator(43));
  const std::vector<int64_t> a1 = epoch_rows(a), a2 = epoch_rows(a);
  const std::vector<int64_t> b1 = epoch_rows(b), b2 = epoch_rows(b);
  CHECK(a1 == b1);
  CHECK(a2 == b2);
  CHECK(a1 != a2);
  CHECK(epoch_rows(c) != a1);
  CHECK(a.order().size() == 100);
}

TEST_CASE("dataloader: batch contents, labels and transform") {
  Dataset d = rows_dataset(6);
  d.set_transform(FeatureTransform::divide_by(2.0f));
  DataLoader l(d, {.batch_size = 4, .shuffle = true}, Generator(7));
  l.new_epoch();
  const Batch& b = l.batch(0);
  REQUIRE(b.x.shape() == Shape{4, 3});
  REQUIRE(b.y.shape() == Shape{4});
  REQUIRE(b.labels.size() == 4);
  for (int64_t i = 0; i < 4; ++i) {
    const int64_t row = l.order()[static_cast<size_t>(i)];
    CHECK(b.x.at({i, 0}) == static_cast<float>(row) / 2.0f);
    CHECK(b.x.at({i, 1}) == 1.0f);
    CHECK(b.x.at({i, 2}) == 1.5f);
    CHECK(b.y.at({i}) == static_cast<float>(row % 10));
    CHECK(b.labels[static_cast<size_t>(i)] == row % 10);
  }
  CHECK_FALSE(b.x.requires_grad());
  const Batch& last = l.batch(1);
  CHECK(last.x.shape() == Shape{2, 3});
  CHECK(last.y.shape() == Shape{2});

  // Unlabelled data: x only.
  const Dataset u = Dataset::from_floats({1, 2, 3, 4}, {}, 2);
  DataLoader lu(u, {.batch_size = 2});
  const Batch& bu = *lu.begin();
  CHECK(bu.x.shape() == Shape{2, 2});
  CHECK_FALSE(bu.y.defined());
  CHECK(bu.labels.empty());
}

TEST_CASE("dataloader: the batch storage is allocated once and reused") {
  const Dataset d = rows_dataset(12);
  DataLoader l(d, {.batch_size = 4, .shuffle = true}, Generator(3));
  l.new_epoch();
  const float* x0 = l.batch(0).x.data();
  const float* y0 = l.batch(0).y.data();
  const Tensor first = l.batch(0).x;
  const Tensor second = l.batch(1).x;
  CHECK(second.data() == x0);  // same storage...
  CHECK(l.batch(2).y.data() == y0);
  CHECK_FALSE(first.is_same(second));  // ...behind a fresh handle each step
  l.new_epoch();
  CHECK(l.batch(0).x.data() == x0);
}
