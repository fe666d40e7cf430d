// Data for a training run: read, classes numbered, split, checked against a loaded model, scaled.
#include "minigrad/train/training_data.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace minigrad::train {

data::CsvTable read_table(const std::string& path, const data::CsvOptions& csv, int64_t features,
                          const std::string& model_source) {
  data::CsvTable table;
  try {
    table = data::read_csv(path, csv);
  } catch (const data::DataError& e) {
    // The library names its option; this program's users know it as a flag.
    const std::string what = e.what();
    if (what.find("CsvOptions::max_classes") == std::string::npos) throw;
    throw data::DataError(what + " (--max-classes sets that limit)");
  }
  if (table.label_index < 0)  // (a part of a file may hold no rows, and so no labels)
    throw data::DataError(fmt::format("{}: no label column (HINT: choose one with --label)", path));
  if (features > 0) data::check_num_features(table, features, model_source);
  return table;
}

data::Dataset to_dataset(data::CsvTable&& table, const data::ClassLabels& labels,
                         const std::string& whose) {
  table.labels = data::encode_labels(table, labels, whose);  // 0..K-1, K within --max-classes
  return data::Dataset::from_csv(std::move(table), true, std::max<int64_t>(labels.size(), 1));
}

std::vector<std::string> untrained_classes(const data::ClassLabels& labels,
                                           std::span<const int64_t> train_rows,
                                           const std::string& path) {
  std::vector<int32_t> missing;
  for (size_t k = 0; k < train_rows.size(); ++k)
    if (train_rows[k] == 0) missing.push_back(labels.label(static_cast<int64_t>(k)));
  if (missing.empty()) return {};
  return {fmt::format(
      "warning: {}: label{} {} ha{} no rows in the training part (all fell into the test part): "
      "the model's output for {} is never trained (HINT: change --split-seed or --split, or give "
      "--train and --test)",
      path, missing.size() > 1 ? "s" : "", fmt::join(missing, ", "),
      missing.size() > 1 ? "ve" : "s", missing.size() > 1 ? "them" : "it")};
}

data::FeatureTransform choose_transform(const TrainConfig& c, const io::ModelCheckpoint* loaded,
                                        const data::Dataset& train, int64_t train_rows,
                                        const std::function<void(std::span<double>)>& sum_across) {
  if (loaded && loaded->transform) return *loaded->transform;
  if (c.scaling == Scaling::Divide) return data::FeatureTransform::divide_by(c.scale);
  if (train_rows == 0)
    throw std::invalid_argument(fmt::format(
        "{} does not say how its inputs were scaled, and there is no training data to compute "
        "standardisation from (HINT: pass --scale K, e.g. --scale 255 for pixels)",
        c.load_path));
  return data::fit_standardize(train, sum_across);
}

TrainingData load_training_data(const TrainConfig& c, const io::ModelCheckpoint* loaded) {
  TrainingData d;
  const int64_t model_features = loaded ? loaded->in_features : 0;
  const std::string source =
      loaded ? fmt::format("the model in {}", c.load_path.empty() ? c.resume_path : c.load_path)
             : "";
  if (loaded) d.labels = loaded->labels;
  auto check_classes = [&](const std::string& path) {
    d.classes = static_cast<int>(d.labels.size());
    if (d.classes < 2)
      throw data::DataError(
          fmt::format("{}: found {} class, need at least 2 to classify (HINT: is "
                      "--label the right column?)",
                      path, d.classes));
  };
  if (!c.data_path.empty()) {
    data::CsvTable table = read_table(c.data_path, c.csv, model_features, source);
    if (!loaded) d.labels = data::ClassLabels::of(table.labels);  // read_csv bounded the count
    check_classes(c.data_path);
    const data::Dataset all = to_dataset(std::move(table), d.labels, loaded ? source : "the data");
    Generator split_gen(c.split_seed);
    data::TrainTestSplit parts = data::train_test_split(all, c.test_fraction, split_gen);
    d.train = std::move(parts.train);
    d.test = std::move(parts.test);
    if (!loaded) {
      std::vector<int64_t> train_rows(static_cast<size_t>(d.classes), 0);
      for (int32_t y : d.train.labels()) ++train_rows[static_cast<size_t>(y)];
      d.warnings = untrained_classes(d.labels, train_rows, c.data_path);
    }
  } else {
    if (!c.train_path.empty()) {
      data::CsvTable table = read_table(c.train_path, c.csv, model_features, source);
      if (!loaded) d.labels = data::ClassLabels::of(table.labels);
      check_classes(c.train_path);
      d.train = to_dataset(std::move(table), d.labels, loaded ? source : "the data");
    } else {
      check_classes(c.test_path);
    }
    const int64_t features = model_features ? model_features : d.train.num_features();
    const std::string test_source =
        loaded ? source : fmt::format("the training data in {}", c.train_path);
    d.test =
        to_dataset(read_table(c.test_path, c.csv, features, test_source), d.labels, test_source);
  }
  d.features = d.test.num_features();

  const data::FeatureTransform transform =
      choose_transform(c, loaded, d.train, d.train.size(), nullptr);
  if (d.train.size() > 0) d.train.set_transform(transform);
  d.test.set_transform(transform);
  return d;
}

}  // namespace minigrad::train
