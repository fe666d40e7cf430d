// Dataset storage, the gather that turns stored rows into a float batch, the standardisation
// statistics and the seeded split. Statistics are accumulated in double: 60,000 rows of values
// up to 255 would lose digits in a float sum.
#include "minigrad/data/dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "minigrad/backend/backend.hpp"

namespace minigrad::data {

// ---- FeatureTransform ----

FeatureTransform FeatureTransform::divide_by(float divisor) {
  if (!std::isfinite(divisor) || divisor == 0.0f) {
    throw std::invalid_argument(
        fmt::format("FeatureTransform::divide_by: divisor is {}, expected a finite non-zero "
                    "number such as 255",
                    divisor));
  }
  FeatureTransform t;
  t.kind = Kind::Divide;
  t.divisor = divisor;
  return t;
}

FeatureTransform FeatureTransform::standardize(std::vector<float> mean, std::vector<float> stddev) {
  if (mean.size() != stddev.size()) {
    throw std::invalid_argument(fmt::format(
        "FeatureTransform::standardize: {} means but {} standard deviations (expected one of "
        "each per feature)",
        mean.size(), stddev.size()));
  }
  for (size_t j = 0; j < stddev.size(); ++j) {
    if (!(stddev[j] > 0.0f) || !std::isfinite(stddev[j]) || !std::isfinite(mean[j])) {
      throw std::invalid_argument(fmt::format(
          "FeatureTransform::standardize: feature {} has mean {} and stddev {}, expected a "
          "finite mean and a finite stddev > 0 (HINT: fit_standardize replaces a zero stddev "
          "by 1)",
          j, mean[j], stddev[j]));
    }
  }
  FeatureTransform t;
  t.kind = Kind::Standardize;
  t.mean = std::move(mean);
  t.stddev = std::move(stddev);
  return t;
}

std::string FeatureTransform::str() const {
  switch (kind) {
    case Kind::Identity:
      return "identity";
    case Kind::Divide:
      return fmt::format("divide by {}", divisor);
    case Kind::Standardize:
      return fmt::format("standardize ({} features)", mean.size());
  }
  return "?";
}

// ---- construction ----

namespace {

// Largest class id + 1. `where(i)` names row i in messages ("row 3", "t.csv:5").
int32_t checked_num_classes(const std::vector<int32_t>& labels, int64_t max_classes,
                            const std::function<std::string(size_t)>& where) {
  if (max_classes < 1 || max_classes > std::numeric_limits<int32_t>::max())
    throw std::invalid_argument(
        fmt::format("Dataset: max_classes is {}, expected 1..2147483647", max_classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) {
      throw DataError(
          fmt::format("Dataset: label {} of {} is negative (expected class ids 0, 1, 2, ...) "
                      "(HINT: number other labels with data::encode_labels)",
                      labels[i], where(i)));
    }
    if (labels[i] == std::numeric_limits<int32_t>::max()) {
      throw DataError(fmt::format(
          "Dataset: label {} is too large: the class count {} does not fit an int32 (HINT: labels "
          "are class ids 0, 1, 2, ...)",
          labels[i], int64_t{labels[i]} + 1));
    }
    if (labels[i] >= max_classes) {
      throw DataError(fmt::format(
          "Dataset: label {} of {} would make {} classes, more than max_classes {} (HINT: labels "
          "are class ids 0, 1, 2, ...; number other labels with data::encode_labels, or raise "
          "max_classes)",
          labels[i], where(i), int64_t{labels[i]} + 1, max_classes));
    }
  }
  return labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
}

std::string row_name(size_t i) { return fmt::format("row {}", i); }

void check_sizes(size_t values, size_t labels, int64_t num_features, const char* who) {
  if (num_features <= 0) {
    throw std::invalid_argument(
        fmt::format("{}: num_features is {}, expected > 0", who, num_features));
  }
  const auto f = static_cast<size_t>(num_features);
  if (values % f != 0) {
    throw std::invalid_argument(
        fmt::format("{}: {} values are not a whole number of rows of {} features", who, values, f));
  }
  if (labels != 0 && labels != values / f) {
    throw std::invalid_argument(
        fmt::format("{}: {} rows but {} labels (expected one per row)", who, values / f, labels));
  }
}

}  // namespace

Dataset Dataset::from_bytes(std::vector<uint8_t> features, std::vector<int32_t> labels,
                            int64_t num_features, int64_t max_classes) {
  check_sizes(features.size(), labels.size(), num_features, "Dataset::from_bytes");
  Dataset d;
  d.cols_ = num_features;
  d.rows_ = static_cast<int64_t>(features.size()) / num_features;
  d.is_bytes_ = true;
  d.has_labels_ = !labels.empty() || d.rows_ == 0;
  d.num_classes_ = checked_num_classes(labels, max_classes, row_name);
  d.bytes_ = std::move(features);
  d.labels_ = std::move(labels);
  return d;
}

Dataset Dataset::from_floats(std::vector<float> features, std::vector<int32_t> labels,
                             int64_t num_features, int64_t max_classes) {
  check_sizes(features.size(), labels.size(), num_features, "Dataset::from_floats");
  Dataset d;
  d.cols_ = num_features;
  d.rows_ = static_cast<int64_t>(features.size()) / num_features;
  d.is_bytes_ = false;
  d.has_labels_ = !labels.empty() || d.rows_ == 0;
  d.num_classes_ = checked_num_classes(labels, max_classes, row_name);
  d.floats_ = std::move(features);
  d.labels_ = std::move(labels);
  return d;
}

Dataset Dataset::from_csv(CsvTable&& table, bool allow_bytes, int64_t max_classes) {
  // Checked here first, so that a message names the file and line rather than a row number.
  checked_num_classes(table.labels, max_classes, [&](size_t i) {
    return fmt::format("{}:{}", table.path, table.line_of(static_cast<int64_t>(i)));
  });
  std::vector<int32_t> labels = std::move(table.labels);
  if (!table.features_are_bytes) {
    return from_floats(std::move(table.features), std::move(labels), table.cols, max_classes);
  }
  if (allow_bytes) {
    return from_bytes(std::move(table.feature_bytes), std::move(labels), table.cols, max_classes);
  }
  std::vector<float> floats = table.features_as_floats();
  std::vector<uint8_t>().swap(table.feature_bytes);  // the bytes are no longer needed
  return from_floats(std::move(floats), std::move(labels), table.cols, max_classes);
}

// ---- access ----

float Dataset::raw_value(int64_t row, int64_t col) const {
  if (row < 0 || row >= rows_ || col < 0 || col >= cols_) {
    throw std::out_of_range(
        fmt::format("Dataset::raw_value: ({}, {}) is outside a dataset of "
                    "{} rows and {} features",
                    row, col, rows_, cols_));
  }
  const size_t k = static_cast<size_t>(row * cols_ + col);
  return is_bytes_ ? static_cast<float>(bytes_[k]) : floats_[k];
}

void Dataset::raw_row(int64_t row, float* out) const {
  if (row < 0 || row >= rows_) {
    throw std::out_of_range(
        fmt::format("Dataset::raw_row: row {} is outside a dataset of {} rows", row, rows_));
  }
  if (is_bytes_) {
    const uint8_t* src = bytes_.data() + row * cols_;
    for (int64_t j = 0; j < cols_; ++j) out[j] = static_cast<float>(src[j]);
  } else {
    std::copy_n(floats_.data() + row * cols_, cols_, out);
  }
}

void Dataset::set_transform(FeatureTransform transform) {
  if (transform.kind == FeatureTransform::Kind::Standardize &&
      static_cast<int64_t>(transform.mean.size()) != cols_) {
    throw std::invalid_argument(fmt::format(
        "Dataset::set_transform: the standardization has {} features but the dataset has {} "
        "(HINT: were the statistics computed on a different table?)",
        transform.mean.size(), cols_));
  }
  inv_stddev_.clear();
  for (float s : transform.stddev) inv_stddev_.push_back(1.0f / s);
  transform_ = std::move(transform);
}

Dataset Dataset::subset(std::span<const int64_t> indices) const {
  Dataset d;
  d.cols_ = cols_;
  d.rows_ = static_cast<int64_t>(indices.size());
  d.is_bytes_ = is_bytes_;
  d.has_labels_ = has_labels_;
  const auto f = static_cast<size_t>(cols_);
  if (is_bytes_)
    d.bytes_.resize(indices.size() * f);
  else
    d.floats_.resize(indices.size() * f);
  if (has_labels_) d.labels_.resize(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t r = indices[i];
    if (r < 0 || r >= rows_) {
      throw std::out_of_range(
          fmt::format("Dataset::subset: row {} is outside a dataset of {} rows", r, rows_));
    }
    const size_t src = static_cast<size_t>(r) * f;
    if (is_bytes_)
      std::copy_n(bytes_.data() + src, f, d.bytes_.data() + i * f);
    else
      std::copy_n(floats_.data() + src, f, d.floats_.data() + i * f);
    if (has_labels_) d.labels_[i] = labels_[static_cast<size_t>(r)];
  }
  d.num_classes_ = num_classes_;  // the classes of the whole table, even if a part misses one
  d.transform_ = transform_;
  d.inv_stddev_ = inv_stddev_;
  return d;
}

// ---- gather: stored rows -> float batch ----

namespace {

// One row: src (F) -> dst (F) under the transform. Templated on the stored type so the byte and
// float loops are each a plain vectorisable loop.
template <typename T>
void transform_row(const T* src, float* dst, int64_t f, const FeatureTransform& t,
                   const float* inv_stddev) {
  switch (t.kind) {
    case FeatureTransform::Kind::Identity:
      for (int64_t j = 0; j < f; ++j) dst[j] = static_cast<float>(src[j]);
      break;
    case FeatureTransform::Kind::Divide: {
      // Divide (not multiply by 1/255) so the values match PyTorch's x / 255.0 to the last bit.
      const float d = t.divisor;
      for (int64_t j = 0; j < f; ++j) dst[j] = static_cast<float>(src[j]) / d;
      break;
    }
    case FeatureTransform::Kind::Standardize: {
      const float* mean = t.mean.data();
      for (int64_t j = 0; j < f; ++j)
        dst[j] = (static_cast<float>(src[j]) - mean[j]) * inv_stddev[j];
      break;
    }
  }
}

}  // namespace

void Dataset::check_indices(std::span<const int64_t> indices) const {
  for (const int64_t r : indices) {
    if (r < 0 || r >= rows_) {
      throw std::out_of_range(
          fmt::format("Dataset::gather: row {} is outside a dataset of {} rows", r, rows_));
    }
  }
}

void Dataset::gather_range(std::span<const int64_t> indices, int64_t begin, int64_t end,
                           float* x_out, float* y_out, int32_t* y_int) const {
  // Rows of a shuffled batch lie anywhere in the table: each row's cache lines (and its label)
  // are requested kAhead rows before they are converted, so their memory latencies overlap. This
  // halved the worker's share of a batch-256 step spent gathering (11% -> 6% of its samples).
  const auto n = static_cast<int64_t>(indices.size());
  const auto* base = is_bytes_ ? reinterpret_cast<const char*>(bytes_.data())
                               : reinterpret_cast<const char*>(floats_.data());
  const int64_t row_bytes = cols_ * (is_bytes_ ? 1 : static_cast<int64_t>(sizeof(float)));
  // (The same request as prefetch() makes, written out here: one helper for both measured 7-9%
  // slower on one thread, twice.)
  constexpr int64_t kAhead = 3;
  for (int64_t i = begin; i < end; ++i) {
    if (i + kAhead < n) {
      const int64_t ahead = indices[static_cast<size_t>(i + kAhead)];
      for (int64_t off = 0; off < row_bytes; off += 64)
        __builtin_prefetch(base + ahead * row_bytes + off, 0, 3);
      if (!labels_.empty()) __builtin_prefetch(labels_.data() + ahead, 0, 3);
    }
    const int64_t r = indices[static_cast<size_t>(i)];
    float* dst = x_out + i * cols_;
    if (is_bytes_)
      transform_row(bytes_.data() + r * cols_, dst, cols_, transform_, inv_stddev_.data());
    else
      transform_row(floats_.data() + r * cols_, dst, cols_, transform_, inv_stddev_.data());
    if (has_labels_ && !labels_.empty()) {
      const int32_t y = labels_[static_cast<size_t>(r)];
      if (y_out) y_out[i] = static_cast<float>(y);
      if (y_int) y_int[i] = y;
    }
  }
}

void Dataset::gather(std::span<const int64_t> indices, float* x_out, float* y_out,
                     int32_t* y_int) const {
  check_indices(indices);
  // With two threads (backend::set_num_threads) a large batch is gathered in two parts.
  auto part = [&](int64_t i0, int64_t i1) { gather_range(indices, i0, i1, x_out, y_out, y_int); };
  backend::parallel_rows(static_cast<int64_t>(indices.size()), cols_, part);
}

void Dataset::prefetch(std::span<const int64_t> indices) const {
  const auto* base = is_bytes_ ? reinterpret_cast<const char*>(bytes_.data())
                               : reinterpret_cast<const char*>(floats_.data());
  const int64_t row_bytes = cols_ * (is_bytes_ ? 1 : static_cast<int64_t>(sizeof(float)));
  for (const int64_t r : indices) {
    if (r < 0 || r >= rows_) continue;  // gather() reports it
    const char* row = base + r * row_bytes;
    for (int64_t off = 0; off < row_bytes; off += 64) __builtin_prefetch(row + off, 0, 3);
    if (static_cast<size_t>(r) < labels_.size()) __builtin_prefetch(labels_.data() + r, 0, 3);
  }
}

Tensor Dataset::features_tensor() const {
  Tensor x = Tensor::empty({rows_, cols_});
  std::vector<int64_t> all(static_cast<size_t>(rows_));
  std::iota(all.begin(), all.end(), int64_t{0});
  gather(all, x.data(), nullptr, nullptr);
  return x;
}

Tensor Dataset::labels_tensor() const {
  if (!has_labels_) {
    throw DataError(
        "Dataset::labels_tensor: this dataset has no labels (HINT: was the table read "
        "with LabelColumn::none()?)");
  }
  Tensor y = Tensor::empty({rows_});
  for (int64_t i = 0; i < rows_; ++i)
    y.data()[i] = static_cast<float>(labels_[static_cast<size_t>(i)]);
  return y;
}

// ---- statistics and split ----

FeatureTransform fit_standardize(const Dataset& train,
                                 const std::function<void(std::span<double>)>& sum_across) {
  const int64_t f = train.num_features();
  // Two passes (mean, then squared deviations) in double: stable and exact enough for pixels.
  const auto fs = static_cast<size_t>(f);
  std::vector<float> row(fs);
  std::vector<double> mean(fs + 1, 0.0);  // the sums, then the row count
  for (int64_t i = 0; i < train.size(); ++i) {
    train.raw_row(i, row.data());
    for (size_t j = 0; j < fs; ++j) mean[j] += row[j];
  }
  mean[fs] = static_cast<double>(train.size());
  if (sum_across) sum_across(mean);
  const double n = mean[fs];
  if (n == 0) {
    throw DataError("fit_standardize: the training set is empty (HINT: is test_size 1.0?)");
  }
  for (double& m : mean) m /= n;
  std::vector<double> sq(fs, 0.0);
  for (int64_t i = 0; i < train.size(); ++i) {
    train.raw_row(i, row.data());
    for (size_t j = 0; j < fs; ++j) {
      const double d = row[j] - mean[j];
      sq[j] += d * d;
    }
  }
  if (sum_across) sum_across(sq);
  std::vector<float> mean_f(fs), std_f(fs);
  for (size_t j = 0; j < fs; ++j) {
    mean_f[j] = static_cast<float>(mean[j]);
    const double s = std::sqrt(sq[j] / n);
    // A constant feature carries no information: stddev 1 maps it to 0 (sklearn does the same).
    std_f[j] = (s > 0.0 && static_cast<float>(s) > 0.0f) ? static_cast<float>(s) : 1.0f;
  }
  return FeatureTransform::standardize(std::move(mean_f), std::move(std_f));
}

void shuffle_order(std::vector<int64_t>& order, Generator& gen) {
  // Fisher-Yates from the identity: position i takes a uniformly chosen value among those not
  // yet placed, so the order depends on the generator only.
  std::iota(order.begin(), order.end(), int64_t{0});
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i) {
    const auto k = static_cast<size_t>(gen.randint(static_cast<uint64_t>(i + 1)));
    std::swap(order[static_cast<size_t>(i)], order[k]);
  }
}

SplitOrder train_test_order(int64_t n, double test_size, Generator& gen) {
  if (!(test_size >= 0.0 && test_size <= 1.0)) {
    throw std::invalid_argument(
        fmt::format("train_test_split: test_size is {}, expected a fraction in [0, 1]", test_size));
  }
  SplitOrder split;
  split.test_rows = static_cast<int64_t>(std::ceil(test_size * static_cast<double>(n)));
  split.order.resize(static_cast<size_t>(n));
  shuffle_order(split.order, gen);
  return split;
}

TrainTestSplit train_test_split(const Dataset& data, double test_size, Generator& gen) {
  const SplitOrder order = train_test_order(data.size(), test_size, gen);
  const std::span<const int64_t> all(order.order);
  const auto n_test = static_cast<size_t>(order.test_rows);
  TrainTestSplit split;
  split.test = data.subset(all.first(n_test));
  split.train = data.subset(all.subspan(n_test));
  return split;
}

}  // namespace minigrad::data
