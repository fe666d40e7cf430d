// Data for a training run: read, split, checked against a loaded model, scaled.
#include "minigrad/train/training_data.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace minigrad::train {

namespace {

// One labelled CSV; `features` and `classes` (when > 0) are what `model_source` expects.
data::Dataset read_dataset(const std::string& path, const data::CsvOptions& csv, int64_t features,
                           int classes, const std::string& model_source) {
  data::CsvTable table;
  try {
    table = data::read_csv(path, csv);
  } catch (const data::DataError& e) {
    // The library names its option; this program's users know it as a flag.
    const std::string what = e.what();
    if (what.find("CsvOptions::max_classes") == std::string::npos) throw;
    throw data::DataError(what + " (--max-classes sets that limit)");
  }
  if (table.labels.empty())
    throw data::DataError(fmt::format("{}: no label column (HINT: choose one with --label)", path));
  if (features > 0) data::check_num_features(table, features, model_source);
  if (classes > 0) data::check_labels_below(table, classes, model_source);
  return data::Dataset::from_csv(std::move(table));
}

// Scaling: a loaded model's own, else the configured one with statistics from training rows.
data::FeatureTransform choose_transform(const TrainConfig& c, const io::ModelCheckpoint* loaded,
                                        const data::Dataset& train) {
  if (loaded && loaded->transform) return *loaded->transform;
  if (c.scaling == Scaling::Divide) return data::FeatureTransform::divide_by(c.scale);
  if (train.size() == 0)
    throw std::invalid_argument(fmt::format(
        "{} does not say how its inputs were scaled, and there is no training data to compute "
        "standardisation from (HINT: pass --scale K, e.g. --scale 255 for pixels)",
        c.load_path));
  return data::fit_standardize(train);
}

}  // namespace

TrainingData load_training_data(const TrainConfig& c, const io::ModelCheckpoint* loaded) {
  TrainingData d;
  const int64_t model_features = loaded ? loaded->in_features : 0;
  const int model_classes = loaded ? static_cast<int>(loaded->classes) : 0;
  const std::string source =
      loaded ? fmt::format("the model in {}", c.load_path.empty() ? c.resume_path : c.load_path)
             : "";
  if (!c.data_path.empty()) {
    data::Dataset all = read_dataset(c.data_path, c.csv, model_features, model_classes, source);
    d.classes = model_classes ? model_classes : all.num_classes();
    Generator split_gen(c.split_seed);
    data::TrainTestSplit parts = data::train_test_split(all, c.test_fraction, split_gen);
    d.train = std::move(parts.train);
    d.test = std::move(parts.test);
  } else {
    if (!c.train_path.empty()) {
      d.train = read_dataset(c.train_path, c.csv, model_features, model_classes, source);
      d.classes = model_classes ? model_classes : d.train.num_classes();
    } else {
      d.classes = model_classes;
    }
    const int64_t features = model_features ? model_features : d.train.num_features();
    const std::string test_source =
        loaded ? source : fmt::format("the training data in {}", c.train_path);
    d.test = read_dataset(c.test_path, c.csv, features, d.classes, test_source);
  }
  d.features = d.test.num_features();
  if (d.classes < 2)
    throw data::DataError(
        fmt::format("{}: found {} class, need at least 2 to classify (HINT: is "
                    "--label the right column?)",
                    c.data_path.empty() ? c.train_path : c.data_path, d.classes));

  const data::FeatureTransform transform = choose_transform(c, loaded, d.train);
  if (d.train.size() > 0) d.train.set_transform(transform);
  d.test.set_transform(transform);
  return d;
}

}  // namespace minigrad::train
