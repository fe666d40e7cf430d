// Sharded training data: each rank reads its part of the file; what needs the whole file is
// gathered or summed across the ranks (two all-reduces make an all-gather: counts, then values).
#include "minigrad/train/sharded_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace minigrad::train {

namespace {

// Every rank's values, in rank order: each rank's count in its slot, then its values in its
// segment, summed. Exact for integers below 2^53 (labels, row counts).
std::vector<double> gather_all(const dist::ProcessGroup& g, std::span<const double> mine) {
  std::vector<double> counts(static_cast<size_t>(g.size()), 0.0);
  counts[static_cast<size_t>(g.rank())] = static_cast<double>(mine.size());
  g.all_reduce_sum(counts);
  size_t at = 0, total = 0;
  for (int q = 0; q < g.size(); ++q) {
    const auto n = static_cast<size_t>(counts[static_cast<size_t>(q)]);
    if (q < g.rank()) at += n;
    total += n;
  }
  std::vector<double> all(total, 0.0);
  std::copy(mine.begin(), mine.end(), all.begin() + static_cast<ptrdiff_t>(at));
  g.all_reduce_sum(all);
  return all;
}

// This rank's part of a labelled CSV.
data::CsvTable read_part(const std::string& path, const TrainConfig& c, int64_t features,
                         const std::string& source, const dist::ProcessGroup& g) {
  if (path == "-")
    throw std::invalid_argument(
        "standard input cannot be split across processes (HINT: save the table to a file that "
        "every process can read)");
  data::CsvOptions csv = c.csv;
  csv.part = g.rank();
  csv.parts = g.size();
  return read_table(path, csv, features, source);
}

// The classes one process finds in the whole file: the distinct labels of every rank's part.
data::ClassLabels labels_of_parts(const data::CsvTable& part, const TrainConfig& c,
                                  const dist::ProcessGroup& g) {
  const data::ClassLabels own = data::ClassLabels::of(part.labels);
  const std::vector<int32_t>& mine = own.labels();
  const std::vector<double> all = gather_all(g, std::vector<double>(mine.begin(), mine.end()));
  std::vector<int32_t> labels(all.size());
  std::transform(all.begin(), all.end(), labels.begin(),
                 [](double v) { return static_cast<int32_t>(v); });
  data::ClassLabels classes = data::ClassLabels::of(labels);
  if (classes.size() > c.csv.max_classes)
    throw data::DataError(fmt::format(
        "{}: {} distinct labels, over the limit of {} classes (HINT: is the label column right? "
        "--max-classes sets that limit)",
        part.path, classes.size(), c.csv.max_classes));
  return classes;
}

// Where each rank's part starts among the file's data rows (N + 1 entries: the last is the
// row count).
std::vector<int64_t> part_starts(int64_t rows, const dist::ProcessGroup& g) {
  std::vector<double> counts(static_cast<size_t>(g.size()), 0.0);
  counts[static_cast<size_t>(g.rank())] = static_cast<double>(rows);
  g.all_reduce_sum(counts);
  std::vector<int64_t> starts = {0};
  for (double n : counts) starts.push_back(starts.back() + static_cast<int64_t>(n));
  return starts;
}

void check_classes(const TrainingData& d, const std::string& path) {
  if (d.classes < 2)
    throw data::DataError(fmt::format(
        "{}: found {} class, need at least 2 to classify (HINT: is --label the right column?)",
        path, d.classes));
}

}  // namespace

ShardedTrainingData load_sharded_training_data(const TrainConfig& c,
                                               const io::ModelCheckpoint* loaded,
                                               const dist::ProcessGroup& g) {
  ShardedTrainingData s;
  TrainingData& d = s.data;
  const auto rank = static_cast<size_t>(g.rank());
  const int64_t model_features = loaded ? loaded->in_features : 0;
  const std::string source = loaded ? fmt::format("the model in {}", c.load_path) : "";
  const std::string whose = loaded ? source : "the data";
  if (loaded) d.labels = loaded->labels;
  d.classes = static_cast<int>(d.labels.size());

  // ---- this rank's part of the training file (with --data: of the whole table) ----
  const std::string& path = c.data_path.empty() ? c.train_path : c.data_path;
  data::Dataset part;
  std::vector<int64_t> starts = {0};  // of each rank's part in the file's rows
  if (!path.empty()) {
    data::CsvTable table = read_part(path, c, model_features, source, g);
    if (!loaded) d.labels = labels_of_parts(table, c, g);
    d.classes = static_cast<int>(d.labels.size());
    check_classes(d, path);
    d.features = table.cols;
    starts = part_starts(table.rows, g);
    part = to_dataset(std::move(table), d.labels, whose);
  }
  const int64_t n = starts.back(), first = starts.size() > 1 ? starts[rank] : 0;

  // ---- the split, drawn over every row as one process draws it ----
  std::vector<int64_t> train_rows;  // the file row of each training row, in one process's order
  std::vector<char> is_test(static_cast<size_t>(n), 0);
  std::vector<int64_t> my_test;  // this rank's test rows (indices into part), in the split's order
  if (!c.data_path.empty()) {
    Generator split_gen(c.split_seed);
    const data::SplitOrder split = data::train_test_order(n, c.test_fraction, split_gen);
    const auto n_test = static_cast<ptrdiff_t>(split.test_rows);
    train_rows.assign(split.order.begin() + n_test, split.order.end());
    s.test_rows = split.test_rows;
    for (ptrdiff_t k = 0; k < n_test; ++k) {
      const int64_t row = split.order[static_cast<size_t>(k)];
      is_test[static_cast<size_t>(row)] = 1;
      if (row >= first && row < first + part.size()) my_test.push_back(row - first);
    }
  } else {
    train_rows.resize(static_cast<size_t>(n));
    std::iota(train_rows.begin(), train_rows.end(), int64_t{0});
  }

  // ---- who holds each training row: its part's rank, at its place among that part's training
  // rows ----
  std::vector<int64_t> index_in_part(static_cast<size_t>(n), -1), my_train;
  for (size_t q = 0; q + 1 < starts.size(); ++q)
    for (int64_t row = starts[q], k = 0; row < starts[q + 1]; ++row)
      if (!is_test[static_cast<size_t>(row)]) {
        index_in_part[static_cast<size_t>(row)] = k++;
        if (q == rank) my_train.push_back(row - first);
      }
  for (const int64_t row : train_rows) {
    const auto q = std::upper_bound(starts.begin(), starts.end(), row) - starts.begin() - 1;
    s.train.owner.push_back(static_cast<int32_t>(q));
    s.train.local.push_back(index_in_part[static_cast<size_t>(row)]);
  }
  s.train.held = part.subset(my_train);
  if (!c.data_path.empty()) {
    d.test = part.subset(my_test);
    if (!loaded) {  // the classes no training row shows, as in one process
      std::vector<double> counts(static_cast<size_t>(d.classes), 0.0);
      for (const int32_t y : s.train.held.labels()) counts[static_cast<size_t>(y)] += 1.0;
      g.all_reduce_sum(counts);
      const std::vector<int64_t> rows(counts.begin(), counts.end());
      d.warnings = untrained_classes(d.labels, rows, c.data_path);
    }
  }
  part = data::Dataset();  // the rows now live in held and test

  // ---- a separate test file, read in parts too ----
  if (c.data_path.empty()) {
    if (path.empty()) check_classes(d, c.test_path);
    const int64_t features = model_features ? model_features : d.features;
    const std::string test_source =
        loaded ? source : fmt::format("the training data in {}", c.train_path);
    data::CsvTable table = read_part(c.test_path, c, features, test_source, g);
    d.features = table.cols;
    s.test_rows = part_starts(table.rows, g).back();
    d.test = to_dataset(std::move(table), d.labels, test_source);
  }

  const data::FeatureTransform transform = choose_transform(
      c, loaded, s.train.held, s.train.size(), [&g](std::span<double> v) { g.all_reduce_sum(v); });
  s.train.held.set_transform(transform);
  d.test.set_transform(transform);
  const std::vector<double> held =
      gather_all(g, std::vector<double>{static_cast<double>(s.train.held.size() + d.test.size())});
  s.rows_held.assign(held.begin(), held.end());
  return s;
}

}  // namespace minigrad::train
