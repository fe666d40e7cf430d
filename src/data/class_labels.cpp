// Class labels: the table's distinct labels, ascending, become output indices 0..K-1; the
// checkpoint keeps them as text so that a loaded model speaks of the same labels.
#include "minigrad/data/class_labels.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <unordered_set>

#include "minigrad/escape.hpp"

namespace minigrad::data {

ClassLabels ClassLabels::identity(int64_t classes) {
  if (classes < 0 || classes > int64_t{INT32_MAX} + 1)
    throw std::invalid_argument(
        fmt::format("ClassLabels::identity: {} classes, expected 0..2147483648", classes));
  ClassLabels c;
  c.labels_.resize(static_cast<size_t>(classes));
  for (size_t i = 0; i < c.labels_.size(); ++i) c.labels_[i] = static_cast<int32_t>(i);
  return c;
}

ClassLabels ClassLabels::of(std::span<const int32_t> labels) {
  ClassLabels c;
  c.labels_.assign(labels.begin(), labels.end());
  std::sort(c.labels_.begin(), c.labels_.end());
  c.labels_.erase(std::unique(c.labels_.begin(), c.labels_.end()), c.labels_.end());
  return c;
}

ClassLabels ClassLabels::parse(std::string_view text, std::string_view what) {
  ClassLabels c;
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  while (true) {
    int32_t label = 0;
    const auto [next, ec] = std::from_chars(p, end, label);
    if (ec != std::errc() || (next != end && *next != ',') ||
        (!c.labels_.empty() && label <= c.labels_.back()))
      throw std::invalid_argument(fmt::format(
          "{} is '{}', expected strictly ascending 32-bit integer labels separated by commas, "
          "such as '3,7,12'",
          what, escape_bytes(text, 60)));
    c.labels_.push_back(label);
    if (next == end) return c;
    p = next + 1;
  }
}

int64_t ClassLabels::index_of(int32_t label) const {
  const auto it = std::lower_bound(labels_.begin(), labels_.end(), label);
  return it != labels_.end() && *it == label ? it - labels_.begin() : -1;
}

bool ClassLabels::is_identity() const {
  // Strictly ascending from 0 ends at size()-1 exactly when every label is its own index.
  return labels_.empty() || (labels_.front() == 0 && labels_.back() == size() - 1);
}

std::string ClassLabels::text() const { return fmt::format("{}", fmt::join(labels_, ",")); }

std::string ClassLabels::str(size_t most) const {
  if (labels_.size() <= most) return fmt::format("{}", fmt::join(labels_, ", "));
  return fmt::format(
      "{}, ... ({} labels)",
      fmt::join(labels_.begin(), labels_.begin() + static_cast<ptrdiff_t>(most), ", "),
      labels_.size());
}

namespace {

// "column 1 ('label')", as the reader names a column.
std::string label_column(const CsvTable& table) {
  const auto j = static_cast<size_t>(table.label_index);
  if (table.has_header && j < table.column_names.size())
    return fmt::format("column {} ('{}')", j + 1, escape_bytes(table.column_names[j], 40));
  return fmt::format("column {}", j + 1);
}

}  // namespace

ClassLabels class_labels_of(const CsvTable& table, int64_t max_classes) {
  // A set of at most max_classes labels, whatever the file holds; most rows repeat a label.
  std::unordered_set<int32_t> seen;
  for (size_t i = 0; i < table.labels.size(); ++i) {
    const int32_t y = table.labels[i];
    if (i > 0 && y == table.labels[i - 1]) continue;
    if (seen.count(y)) continue;
    if (static_cast<int64_t>(seen.size()) >= max_classes)
      throw DataError(fmt::format(
          "{}:{}: {}: label {} would be class number {}, over the limit of {} classes (HINT: is "
          "the label column right? If the table really has this many classes, raise "
          "CsvOptions::max_classes)",
          table.path, table.line_of(static_cast<int64_t>(i)), label_column(table), y,
          max_classes + 1, max_classes));
    seen.insert(y);
  }
  std::vector<int32_t> distinct(seen.begin(), seen.end());
  return ClassLabels::of(distinct);
}

std::vector<int32_t> encode_labels(const CsvTable& table, const ClassLabels& classes,
                                   std::string_view whose) {
  std::vector<int32_t> indices(table.labels.size());
  for (size_t i = 0; i < table.labels.size(); ++i) {
    const int64_t k = classes.index_of(table.labels[i]);
    if (k < 0)
      throw DataError(fmt::format(
          "{}:{}: {}: label {} is not one of the classes of {} (the labels are {}) (HINT: a "
          "model predicts only the labels it was trained on)",
          table.path, table.line_of(static_cast<int64_t>(i)), label_column(table), table.labels[i],
          whose, classes.str()));
    indices[i] = static_cast<int32_t>(k);
  }
  return indices;
}

}  // namespace minigrad::data
