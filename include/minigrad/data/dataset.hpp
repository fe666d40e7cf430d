// Dataset: N rows of F features plus an int32 label per row, and the transform applied to the
// features whenever a batch is gathered (divide by 255, or standardise with statistics computed
// on the training part only). Pixels stay uint8 (4x smaller than float) until that gather.
// Also the seeded train/test split. Leaves out: lazy loading, augmentation, non-numeric features.
// "The documents": README.md#the-documents.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "minigrad/data/csv.hpp"
#include "minigrad/data/idx.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad::data {

/// What happens to each feature value x[j] when a batch is gathered.
struct FeatureTransform {
  enum class Kind {
    Identity,     // x
    Divide,       // x / divisor (the documents' x / 255.0)
    Standardize,  // (x - mean[j]) / stddev[j], like sklearn's StandardScaler
  };
  Kind kind = Kind::Identity;
  float divisor = 1.0f;
  std::vector<float> mean;    // F values, Standardize only
  std::vector<float> stddev;  // F values, Standardize only; never 0 (see fit_standardize)

  static FeatureTransform identity() { return {}; }
  /// x / divisor; divisor must be finite and non-zero.
  static FeatureTransform divide_by(float divisor);
  /// (x - mean) / stddev per feature; the vectors must have equal sizes and stddev > 0.
  static FeatureTransform standardize(std::vector<float> mean, std::vector<float> stddev);
  /// "identity", "divide by 255", "standardize (784 features)".
  std::string str() const;
};

/// The most class ids a Dataset takes unless told otherwise (CsvOptions::max_classes's default):
/// labels are class ids 0..K-1 and a model has K outputs, so one stray label must not size it.
inline constexpr int64_t kDefaultMaxClasses = 1000;

class Dataset {
 public:
  /// An empty dataset (0 rows).
  Dataset() = default;
  /// features (N, F) as bytes, row-major; labels N class ids in 0..max_classes-1, or empty for
  /// unlabelled data. A negative label or one past the limit is a DataError naming its row.
  static Dataset from_bytes(std::vector<uint8_t> features, std::vector<int32_t> labels,
                            int64_t num_features, int64_t max_classes = kDefaultMaxClasses);
  /// features (N, F) as floats, row-major; labels as in from_bytes.
  static Dataset from_floats(std::vector<float> features, std::vector<int32_t> labels,
                             int64_t num_features, int64_t max_classes = kDefaultMaxClasses);
  /// From a parsed CSV: stored as bytes when the table holds bytes (every feature a whole number
  /// in 0..255) and `allow_bytes` is set, as floats otherwise. The table's features are moved out.
  /// Its labels must be class ids as above (errors name the file and line); other labels (3, 7,
  /// 12 or -1) are numbered first with class_labels.hpp's encode_labels.
  static Dataset from_csv(CsvTable&& table, bool allow_bytes = true,
                          int64_t max_classes = kDefaultMaxClasses);
  /// From Fashion-MNIST-style IDX files: F = rows * cols byte features. Checks the counts match.
  static Dataset from_idx(const IdxImages& images, const IdxLabels& labels);

  /// Number of rows (len(dataset)).
  int64_t size() const { return rows_; }
  int64_t num_features() const { return cols_; }
  bool is_bytes() const { return is_bytes_; }
  bool has_labels() const { return has_labels_; }
  /// Largest class id + 1 (0 without labels), at most the max_classes it was built with.
  int32_t num_classes() const { return num_classes_; }
  const std::vector<int32_t>& labels() const { return labels_; }
  /// Row `row`, column `col` as stored (before the transform).
  float raw_value(int64_t row, int64_t col) const;
  /// Row `row` as stored (before the transform), as floats: out (F).
  void raw_row(int64_t row, float* out) const;

  /// Sets the transform applied by gather(); a Standardize transform must have F values.
  void set_transform(FeatureTransform transform);
  const FeatureTransform& transform() const { return transform_; }

  /// A new dataset holding rows[indices] in that order (copied), with the same transform.
  Dataset subset(std::span<const int64_t> indices) const;

  /// Gathers rows[indices] into caller buffers, converting bytes to float and applying the
  /// transform on the way: x_out (n, F); y_out (n) labels as floats and y_int (n) as ints, each
  /// skipped when null (and when there are no labels).
  void gather(std::span<const int64_t> indices, float* x_out, float* y_out, int32_t* y_int) const;
  /// Throws std::out_of_range naming the first index outside 0..N-1.
  void check_indices(std::span<const int64_t> indices) const;
  /// gather() of batch rows [begin, end) only (x_out etc. still point at row 0 of the batch), on
  /// the calling thread and without checking the indices: for a caller that has run
  /// check_indices() and splits the batch itself.
  void gather_range(std::span<const int64_t> indices, int64_t begin, int64_t end, float* x_out,
                    float* y_out, int32_t* y_int) const;
  /// Asks the CPU to start loading rows[indices] and their labels into its caches (no effect on
  /// results): a DataLoader calls it for the next batch, whose rows are scattered over the whole
  /// table, so they arrive while the current step computes instead of stalling the next gather.
  void prefetch(std::span<const int64_t> indices) const;
  /// Every row, transformed: x (N, F).
  Tensor features_tensor() const;
  /// Every label as a float class id: y (N). Throws DataError without labels.
  Tensor labels_tensor() const;

 private:
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  bool is_bytes_ = false;
  bool has_labels_ = false;
  std::vector<uint8_t> bytes_;  // rows_ x cols_ when is_bytes_
  std::vector<float> floats_;   // rows_ x cols_ otherwise
  std::vector<int32_t> labels_;
  int32_t num_classes_ = 0;
  FeatureTransform transform_;
  std::vector<float> inv_stddev_;  // 1 / transform_.stddev, cached for gather()
};

/// Per-feature mean and (population, ddof=0) standard deviation of `train`'s raw values, as a
/// Standardize transform. A constant feature (stddev 0) gets stddev 1, so it maps to 0 instead of
/// dividing by zero. Compute it on the training part only, then set it on both parts.
/// `sum_across`, when set, adds the sums up across the processes that hold the other training
/// rows (data-parallel training), so that every process gets the whole training set's statistics.
FeatureTransform fit_standardize(
    const Dataset& train, const std::function<void(std::span<double>)>& sum_across = nullptr);

struct TrainTestSplit {
  Dataset train;
  Dataset test;
};

/// order becomes a Fisher-Yates permutation of 0..order.size()-1 drawn from `gen` (it depends on
/// the generator only): a shuffling DataLoader's order for an epoch, and train_test_split's rows.
void shuffle_order(std::vector<int64_t>& order, Generator& gen);

/// Splits `data` like sklearn's train_test_split(test_size=...): ceil(N * test_size) rows go to
/// test, the rest to train, chosen by a Fisher-Yates permutation drawn from `gen`. Deterministic
/// for a given seed, but it cannot reproduce sklearn's rows for random_state=20 (numpy's
/// Mersenne Twister is a different generator). Both parts keep data's transform.
TrainTestSplit train_test_split(const Dataset& data, double test_size, Generator& gen);
/// The rows train_test_split(data of n rows, test_size, gen) puts where: test holds rows
/// order[0 .. test_rows), train rows order[test_rows .. n), in that order.
struct SplitOrder {
  std::vector<int64_t> order;
  int64_t test_rows = 0;
};
SplitOrder train_test_order(int64_t n, double test_size, Generator& gen);

}  // namespace minigrad::data
