// Tests of data/dataloader.hpp: batch counts with and without drop_last, the single-row policy
// (a last batch of one row is merged into the previous one), seeded shuffling that is the same
// for the same seed and new each epoch, batch contents, the reuse of the batch buffers, and the
// same batches whether the worker thread gathers them ahead or not.
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "minigrad/backend/backend.hpp"
#include "minigrad/data/dataloader.hpp"
#include "minigrad/ops/elementwise.hpp"
#include "minigrad/ops/matmul.hpp"
#include "minigrad/ops/reduce.hpp"

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

TEST_CASE("dataloader: two sets of batch storage, allocated once and used in turn") {
  const Dataset d = rows_dataset(12);
  DataLoader l(d, {.batch_size = 4, .shuffle = true}, Generator(3));
  l.new_epoch();
  const float* p0 = l.batch(0).x.data();  // no handle kept: the buffers may be reused
  const float* p1 = l.batch(1).x.data();
  const float* p2 = l.batch(2).x.data();
  CHECK(p0 != p1);  // batch 1 may be gathered while batch 0 is in use...
  CHECK(p2 == p0);  // ...and batch 2 reuses batch 0's storage, no longer referenced
  CHECK(l.batch(0).y.data() != l.batch(1).y.data());
  l.new_epoch();
  const float* x = l.batch(0).x.data();
  CHECK((x == p0 || x == p1));
}

TEST_CASE("dataloader: a batch still referenced is never overwritten") {
  // 14 rows: a short last batch, whose buffers come from the full slot idle during it.
  for (int64_t n : {12, 14}) {
    const Dataset d = rows_dataset(n);
    for (int threads : {1, 2}) {
      INFO("rows ", n, ", threads ", threads);
      backend::set_num_threads(threads);
      DataLoader l(d, {.batch_size = 4, .shuffle = true}, Generator(2));
      std::vector<Tensor> kept;
      std::vector<std::vector<float>> values;
      for (int epoch = 0; epoch < 3; ++epoch)
        for (const Batch& b : l) {
          kept.push_back(b.x);
          values.push_back(b.x.to_vector());
        }
      for (size_t i = 0; i < kept.size(); ++i) CHECK(kept[i].to_vector() == values[i]);
      backend::set_num_threads(1);
    }
  }
}

TEST_CASE("dataloader: the short last batch reuses the memory of the idle full slot") {
  // Batches of 256 rows of 784 features (803 KB) and a last one of 100 (314 KB): sizes the fast
  // backend lends one for the other. The last batch's buffer is made just after the idle full slot
  // (batch 0's) is given back, and the next epoch's full slot just after the last batch's: the fast
  // backend hands the same memory out again rather than fresh pages. Either way every batch holds
  // its own rows. The cache starts empty: a buffer between the two sizes that an earlier test
  // left there (all tests in one process) would be lent instead.
  backend::empty_cache();
  std::vector<uint8_t> x(612 * 784);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 7 % 253);
  std::vector<int32_t> y(612, 1);
  const Dataset d = Dataset::from_bytes(std::move(x), std::move(y), 784);
  DataLoader l(d, {.batch_size = 256});
  const float* p0 = l.batch(0).x.data();
  l.batch(1);
  const Batch& last = l.batch(2);
  CHECK(last.x.shape() == Shape{100, 784});
  CHECK(last.x.at({0, 0}) == static_cast<float>(512 * 784 * 7 % 253));
  const float* p_last = last.x.data();
  l.new_epoch();
  const float* p0_again = l.batch(0).x.data();
  CHECK(l.batch(0).x.at({1, 0}) == static_cast<float>(784 * 7 % 253));
  if (backend::reuses(256 * 784 * sizeof(float))) {  // the fast backend, outside AddressSanitizer
    CHECK(p_last == p0);
    CHECK(p0_again == p0);
  }
}

TEST_CASE("dataloader: losses summed over batches, one backward, the per-batch gradients") {
  // Σ_b sum((x_b·wᵀ) ⊙ y_b): linear saves each x_b for dw, so a loader that overwrote batch 0's
  // buffer while the graph held it would give dw from the wrong rows.
  const Dataset d = rows_dataset(12);
  for (int threads : {1, 2}) {
    backend::set_num_threads(threads);
    DataLoader l1(d, {.batch_size = 4, .shuffle = true}, Generator(1));
    DataLoader l2(d, {.batch_size = 4, .shuffle = true}, Generator(1));
    auto batch_loss = [](const Batch& b, const Tensor& w) {
      return sum(linear(b.x, w) * b.y.reshape({-1, 1}));
    };
    Tensor w1 = Tensor::from({{0.5f, -1.0f, 2.0f}}).requires_grad_();
    for (const Batch& b : l1) batch_loss(b, w1).backward();  // per batch: grads add up
    Tensor w2 = Tensor::from({{0.5f, -1.0f, 2.0f}}).requires_grad_();
    Tensor total = Tensor::scalar(0.0f);
    for (const Batch& b : l2) total = total + batch_loss(b, w2);
    total.backward();
    CHECK(w2.grad().to_vector() == w1.grad().to_vector());
    backend::set_num_threads(1);
  }
}

TEST_CASE("dataloader: the same batches with the worker gathering ahead as without") {
  // 1000 rows of 784 bytes, batches of 64 with a short last one, read in order, out of order and
  // across a new epoch in the middle; the values must match a gather of the same rows exactly.
  std::vector<uint8_t> x(1000 * 784);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 13 % 251);
  std::vector<int32_t> y(1000);
  for (int i = 0; i < 1000; ++i) y[static_cast<size_t>(i)] = i % 10;
  Dataset d = Dataset::from_bytes(std::move(x), std::move(y), 784);
  d.set_transform(FeatureTransform::divide_by(255.0f));
  auto run = [&d](int threads) {
    backend::set_num_threads(threads);
    DataLoader l(d, {.batch_size = 64, .shuffle = true}, Generator(5));
    std::vector<float> seen;
    auto take = [&](const Batch& b, const std::vector<int64_t>& order, int64_t first) {
      // What a direct gather of the batch's rows gives, checked here, and the values kept.
      std::vector<float> expect(static_cast<size_t>(b.x.numel()));
      d.gather(std::span<const int64_t>(order.data() + first, static_cast<size_t>(b.size())),
               expect.data(), nullptr, nullptr);
      CHECK(std::equal(expect.begin(), expect.end(), b.x.data()));
      for (int64_t i = 0; i < b.size(); ++i)
        CHECK(b.labels[static_cast<size_t>(i)] == order[static_cast<size_t>(first + i)] % 10);
      seen.insert(seen.end(), b.x.data(), b.x.data() + b.x.numel());
      seen.insert(seen.end(), b.y.data(), b.y.data() + b.y.numel());
    };
    for (int epoch = 0; epoch < 2; ++epoch) {
      l.new_epoch();
      for (int64_t b = 0; b < l.size(); ++b) take(l.batch(b), l.order(), b * 64);
    }
    l.new_epoch();
    for (int64_t b : {3, 4, 15, 0, 1, 1, 2}) take(l.batch(b), l.order(), b * 64);
    l.new_epoch();  // while batch 3 is being gathered ahead
    take(l.batch(2), l.order(), 2 * 64);
    backend::set_num_threads(1);
    return seen;
  };
  const std::vector<float> one = run(1);
  CHECK(one == run(2));
}
