// Class labels: the distinct integer labels of the training data, in ascending order, are the
// model's classes 0..K-1, so labels 3, 7 and 12 make a model of 3 outputs (not 13) and output 1
// stands for label 7. Teaches label encoding as scikit-learn's LabelEncoder does it, with a bound
// on K so that one stray label cannot size a model. Leaves out: text labels.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "minigrad/data/csv.hpp"

namespace minigrad::data {

/// Metadata key of a checkpoint's class labels: "3,7,12", the label of output i at place i. A
/// checkpoint without it has the labels 0..K-1.
inline constexpr const char* kClassLabelsKey = "minigrad.class_labels";

/// The labels of a model's outputs: labels()[i] is the label output i stands for, ascending.
class ClassLabels {
 public:
  /// No classes.
  ClassLabels() = default;
  /// 0, 1, ..., classes-1: a table whose labels are already class ids (Fashion-MNIST).
  static ClassLabels identity(int64_t classes);
  /// The distinct values of `labels`, ascending (any order, repeats allowed, negatives too).
  static ClassLabels of(std::span<const int32_t> labels);
  /// kClassLabelsKey's text ("3,7,12") back to labels; throws std::invalid_argument naming
  /// `what` unless it is a comma-separated list of strictly ascending 32-bit integers.
  static ClassLabels parse(std::string_view text, std::string_view what);

  int64_t size() const { return static_cast<int64_t>(labels_.size()); }
  const std::vector<int32_t>& labels() const { return labels_; }
  /// The label of output `index` (0..size()-1).
  int32_t label(int64_t index) const { return labels_.at(static_cast<size_t>(index)); }
  /// The output that stands for `label`, or -1 when it is not one of the classes.
  int64_t index_of(int32_t label) const;
  /// Labels 0..size()-1, where output i is label i.
  bool is_identity() const;
  /// "3,7,12", as stored under kClassLabelsKey.
  std::string text() const;
  /// "3, 7, 12" for messages: at most `most` labels, then how many there are in all.
  std::string str(size_t most = 20) const;

  bool operator==(const ClassLabels&) const = default;

 private:
  std::vector<int32_t> labels_;  // strictly ascending
};

/// The classes of a table: its distinct labels. Throws DataError at the row whose label would be
/// class number max_classes + 1, naming the file, line, column and value (read_csv() checks
/// this with CsvOptions::max_classes).
ClassLabels class_labels_of(const CsvTable& table, int64_t max_classes);

/// The table's labels as output indices 0..K-1 of `classes` (a copy). Throws DataError at the
/// first label that is not one of them, naming the file, line and the known labels; `whose`
/// says whose classes they are ("the model in m.safetensors").
std::vector<int32_t> encode_labels(const CsvTable& table, const ClassLabels& classes,
                                   std::string_view whose);

}  // namespace minigrad::data
