// Tests of data/dataset.hpp: byte and float storage, the transforms applied by gather() (x/255
// to the last bit, standardisation with statistics from the training part only, zero stddev),
// and the seeded split (deterministic, disjoint, complete, sklearn's sizes).
// "The documents": README.md#the-documents.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>
#include <vector>

#include "minigrad/data/dataset.hpp"

using namespace minigrad;
using namespace minigrad::data;

namespace {

// n rows whose feature 0 is the row index (to identify rows after a split) and feature 1 is
// row % 7; labels are row % 3.
Dataset numbered(int64_t n) {
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    x.push_back(static_cast<float>(i % 7));
    y.push_back(static_cast<int32_t>(i % 3));
  }
  return Dataset::from_floats(std::move(x), std::move(y), 2);
}

std::vector<int64_t> row_ids(const Dataset& d) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < d.size(); ++i) ids.push_back(static_cast<int64_t>(d.raw_value(i, 0)));
  return ids;
}

}  // namespace

TEST_CASE("dataset: bytes and floats, sizes and labels") {
  const Dataset b = Dataset::from_bytes({0, 128, 255, 7, 8, 9}, {2, 5}, 3);
  CHECK(b.size() == 2);
  CHECK(b.num_features() == 3);
  CHECK(b.is_bytes());
  CHECK(b.has_labels());
  CHECK(b.num_classes() == 6);
  CHECK(b.raw_value(0, 2) == 255.0f);
  std::vector<float> row(3);
  b.raw_row(1, row.data());
  CHECK(row == std::vector<float>{7, 8, 9});

  const Dataset u = Dataset::from_floats({1.5f, 2.5f}, {}, 1);
  CHECK_FALSE(u.has_labels());
  CHECK(u.num_classes() == 0);
  CHECK_THROWS_AS(u.labels_tensor(), DataError);

  CHECK_THROWS_AS(Dataset::from_bytes({1, 2, 3}, {}, 2), std::invalid_argument);
  CHECK_THROWS_AS(Dataset::from_bytes({1, 2, 3, 4}, {0}, 2), std::invalid_argument);
  CHECK_THROWS_AS(Dataset::from_bytes({1, 2}, {-1}, 2), DataError);
  // The largest int32 label has no class count that fits an int32: refused, not overflowed.
  CHECK_THROWS_WITH_AS(Dataset::from_bytes({1, 2}, {2147483647}, 2),
                       doctest::Contains("label 2147483647 is too large"), DataError);
  CHECK_THROWS_AS(b.raw_value(2, 0), std::out_of_range);
}

TEST_CASE("dataset: class ids are bounded by max_classes, so one stray label cannot size a model") {
  // A table's labels are any int32 (read_csv counts the distinct ones); a Dataset's are class ids,
  // and its num_classes sizes the model's output layer: label 2000000000 must not ask for 2e9.
  CsvTable stray =
      parse_csv("a,label\n1,0\n2,2000000000\n", "t.csv", {.label = LabelColumn::last()});
  CHECK_THROWS_WITH_AS(
      Dataset::from_csv(std::move(stray)),
      doctest::Contains(
          "label 2000000000 of t.csv:3 would make 2000000001 classes, more than max_classes 1000"),
      DataError);
  CHECK_THROWS_WITH_AS(Dataset::from_floats({1, 2}, {0, 1000}, 1),
                       doctest::Contains("label 1000 of row 1 would make 1001 classes"), DataError);
  CHECK_THROWS_WITH_AS(Dataset::from_bytes({1, 2}, {5, -3}, 1),
                       doctest::Contains("label -3 of row 1 is negative"), DataError);
  CsvTable negative = parse_csv("a,label\n1,-1\n", "n.csv", {.label = LabelColumn::last()});
  CHECK_THROWS_WITH_AS(Dataset::from_csv(std::move(negative)),
                       doctest::Contains("label -1 of n.csv:2 is negative"), DataError);
  // Up to the limit, and past the default when asked.
  CHECK(Dataset::from_floats({1, 2}, {0, 999}, 1).num_classes() == 1000);
  CHECK(Dataset::from_floats({1, 2}, {0, 4999}, 1, 5000).num_classes() == 5000);
  CHECK_THROWS_AS(Dataset::from_floats({1, 2}, {0, 1}, 1, 0), std::invalid_argument);
  CHECK_THROWS_AS(Dataset::from_floats({1, 2}, {0, 1}, 1, int64_t{1} << 31), std::invalid_argument);
}

TEST_CASE("dataset: from_csv keeps bytes only when every feature is a byte") {
  CsvTable pixels = parse_csv("label,p1,p2\n3,0,255\n1,17,4\n", "t.csv");
  const Dataset d = Dataset::from_csv(std::move(pixels));
  CHECK(d.is_bytes());
  CHECK(d.labels() == std::vector<int32_t>{3, 1});
  CHECK(d.raw_value(1, 0) == 17.0f);

  CHECK_FALSE(Dataset::from_csv(parse_csv("label,p1\n3,0.5\n", "t.csv")).is_bytes());
  // allow_bytes = false widens a byte table to floats, values unchanged.
  const Dataset floats = Dataset::from_csv(parse_csv("label,p1\n3,5\n4,255\n", "t.csv"), false);
  CHECK_FALSE(floats.is_bytes());
  CHECK(floats.raw_value(0, 0) == 5.0f);
  CHECK(floats.raw_value(1, 0) == 255.0f);
  // A table that turns to floats on its last row keeps every earlier value.
  const Dataset mixed = Dataset::from_csv(parse_csv("label,p1,p2\n3,0,255\n1,17,4.5\n", "t.csv"));
  CHECK_FALSE(mixed.is_bytes());
  CHECK(mixed.raw_value(0, 1) == 255.0f);
  CHECK(mixed.raw_value(1, 1) == 4.5f);
  const Dataset none =
      Dataset::from_csv(parse_csv("a,b\n1,2\n", "t.csv", {.label = LabelColumn::none()}));
  CHECK_FALSE(none.has_labels());
  CHECK(none.num_features() == 2);
}

TEST_CASE("dataset: divide by 255 matches x / 255.0 to the last bit") {
  std::vector<uint8_t> all(256);
  std::iota(all.begin(), all.end(), 0);
  Dataset d = Dataset::from_bytes(all, std::vector<int32_t>(1, 4), 256);
  d.set_transform(FeatureTransform::divide_by(255.0f));
  const Tensor x = d.features_tensor();
  REQUIRE(x.shape() == Shape{1, 256});
  for (int v = 0; v < 256; ++v) {
    CAPTURE(v);
    // PyTorch divides the float64 pandas frame and then casts to float32.
    CHECK(x.data()[v] == static_cast<float>(static_cast<double>(v) / 255.0));
  }
  CHECK(d.labels_tensor().to_vector() == std::vector<float>{4.0f});
  CHECK(d.transform().str() == "divide by 255");
  CHECK_THROWS_AS(FeatureTransform::divide_by(0.0f), std::invalid_argument);
}

TEST_CASE("dataset: gather copies rows in the given order with float and int labels") {
  Dataset d = Dataset::from_bytes({10, 11, 20, 21, 30, 31}, {0, 1, 2}, 2);
  d.set_transform(FeatureTransform::divide_by(10.0f));
  const std::vector<int64_t> rows = {2, 0};
  std::vector<float> x(4), y(2);
  std::vector<int32_t> yi(2);
  d.gather(rows, x.data(), y.data(), yi.data());
  CHECK(x == std::vector<float>{3.0f, 3.1f, 1.0f, 1.1f});
  CHECK(y == std::vector<float>{2, 0});
  CHECK(yi == std::vector<int32_t>{2, 0});
  const std::vector<int64_t> bad = {3};
  CHECK_THROWS_AS(d.gather(bad, x.data(), nullptr, nullptr), std::out_of_range);
}

TEST_CASE("dataset: standardisation statistics come from the training part only") {
  // Train rows have feature 0 in {0, 2} and a constant feature 1; the test rows are far away.
  Dataset train = Dataset::from_bytes({0, 5, 2, 5, 0, 5, 2, 5}, {0, 1, 0, 1}, 2);
  Dataset test = Dataset::from_bytes({200, 9, 250, 9}, {0, 1}, 2);
  const FeatureTransform t = fit_standardize(train);
  REQUIRE(t.kind == FeatureTransform::Kind::Standardize);
  CHECK(t.mean == std::vector<float>{1.0f, 5.0f});
  CHECK(t.stddev[0] == 1.0f);  // population stddev of {0, 2, 0, 2}
  CHECK(t.stddev[1] == 1.0f);  // zero stddev replaced by 1
  train.set_transform(t);
  test.set_transform(t);
  CHECK(train.features_tensor().to_vector() ==
        std::vector<float>{-1.0f, 0.0f, 1.0f, 0.0f, -1.0f, 0.0f, 1.0f, 0.0f});
  // The test part is transformed with the training statistics, not its own.
  CHECK(test.features_tensor().to_vector() == std::vector<float>{199.0f, 4.0f, 249.0f, 4.0f});

  // A wider check: standardised training features have mean 0 and stddev 1.
  Dataset big = numbered(1000);
  big.set_transform(fit_standardize(big));
  const std::vector<float> v = big.features_tensor().to_vector();
  for (int j = 0; j < 2; ++j) {
    double s = 0, s2 = 0;
    for (size_t i = static_cast<size_t>(j); i < v.size(); i += 2) {
      s += v[i];
      s2 += static_cast<double>(v[i]) * v[i];
    }
    CHECK(s / 1000 == doctest::Approx(0.0).epsilon(1e-5));
    CHECK(s2 / 1000 == doctest::Approx(1.0).epsilon(1e-4));
  }

  // After a split: the statistics are those of the training rows, not of the whole table.
  Generator gen(5);
  const TrainTestSplit split = train_test_split(numbered(1000), 0.3, gen);
  const FeatureTransform fitted = fit_standardize(split.train);
  double sum = 0, sq = 0;
  for (int64_t id : row_ids(split.train)) sum += static_cast<double>(id);
  const double train_mean = sum / static_cast<double>(split.train.size());
  for (int64_t id : row_ids(split.train)) sq += (id - train_mean) * (id - train_mean);
  CHECK(fitted.mean[0] == doctest::Approx(train_mean).epsilon(1e-6));
  CHECK(fitted.stddev[0] ==
        doctest::Approx(std::sqrt(sq / static_cast<double>(split.train.size()))).epsilon(1e-6));
  CHECK(std::abs(fitted.mean[0] - 499.5f) > 0.01f);  // the whole table's mean is 499.5

  CHECK_THROWS_AS(test.set_transform(FeatureTransform::standardize({0, 0, 0}, {1, 1, 1})),
                  std::invalid_argument);
  CHECK_THROWS_AS(FeatureTransform::standardize({0}, {0}), std::invalid_argument);
  CHECK_THROWS_AS(fit_standardize(Dataset()), DataError);
}

TEST_CASE("dataset: the split is seeded, disjoint, complete and sized like sklearn") {
  const Dataset d = numbered(6000);
  Generator g1(20), g2(20), g3(21);
  const TrainTestSplit a = train_test_split(d, 0.2, g1);
  const TrainTestSplit b = train_test_split(d, 0.2, g2);
  const TrainTestSplit c = train_test_split(d, 0.2, g3);
  CHECK(a.train.size() == 4800);  // the documents' torch.Size([4800, 784])
  CHECK(a.test.size() == 1200);
  CHECK(row_ids(a.train) == row_ids(b.train));
  CHECK(row_ids(a.test) == row_ids(b.test));
  CHECK(row_ids(a.test) != row_ids(c.test));

  std::vector<int64_t> ids = row_ids(a.train);
  const std::vector<int64_t> test_ids = row_ids(a.test);
  ids.insert(ids.end(), test_ids.begin(), test_ids.end());
  std::sort(ids.begin(), ids.end());
  std::vector<int64_t> expected(6000);
  std::iota(expected.begin(), expected.end(), int64_t{0});
  CHECK(ids == expected);  // every row exactly once: disjoint and complete

  // Labels travel with their rows; the order is shuffled, not the original one.
  for (int64_t i = 0; i < a.test.size(); ++i) {
    CHECK(a.test.labels()[static_cast<size_t>(i)] ==
          static_cast<int32_t>(test_ids[static_cast<size_t>(i)] % 3));
  }
  CHECK_FALSE(std::is_sorted(test_ids.begin(), test_ids.end()));

  Generator g(0);
  CHECK(train_test_split(numbered(7), 0.2, g).test.size() == 2);  // ceil(1.4)
  CHECK(train_test_split(numbered(7), 0.0, g).test.size() == 0);
  CHECK_THROWS_AS(train_test_split(d, 1.5, g), std::invalid_argument);

  // The transform set before the split is kept by both parts.
  Dataset scaled = numbered(10);
  scaled.set_transform(FeatureTransform::divide_by(2.0f));
  const TrainTestSplit s = train_test_split(scaled, 0.3, g);
  CHECK(s.train.transform().kind == FeatureTransform::Kind::Divide);
  CHECK(s.test.transform().divisor == 2.0f);
}
