// Tests of train/sharded_data.hpp that need no second process: in a group of one, the sharded
// loading finds load_training_data's classes, split and scaling, with every training row where
// the owner and local index say. Parts on several ranks are tested by tests/cli/mpi.sh.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/train/sharded_data.hpp"
#include "minigrad/train/training_data.hpp"

using namespace minigrad;
namespace fs = std::filesystem;

namespace {

// Row i of `d` as stored (before scaling).
std::vector<float> raw(const data::Dataset& d, int64_t i) {
  std::vector<float> row(static_cast<size_t>(d.num_features()));
  d.raw_row(i, row.data());
  return row;
}

}  // namespace

TEST_CASE("load_sharded_training_data in a group of one: load_training_data's rows and scaling") {
  const fs::path path =
      fs::temp_directory_path() / ("minigrad_sharded_" + std::to_string(::getpid()) + ".csv");
  {
    std::ofstream f(path);
    f << "a,b,label\n";
    for (int i = 0; i < 37; ++i) f << i * 0.5 << "," << (i * 13) % 7 << "," << (i % 3) * 10 << "\n";
  }
  train::TrainConfig c;
  c.data_path = path.string();
  c.csv.label = data::LabelColumn::last();
  const train::TrainingData one = train::load_training_data(c, nullptr);
  const train::ShardedTrainingData sharded =
      train::load_sharded_training_data(c, nullptr, dist::SingleProcess());
  fs::remove(path);
  const train::TrainingData& d = sharded.data;
  CHECK(d.labels.labels() == one.labels.labels());  // 0, 10, 20
  CHECK(d.classes == 3);
  CHECK(d.features == 2);
  REQUIRE(sharded.train.size() == one.train.size());
  CHECK(sharded.test_rows == one.test.size());
  CHECK(sharded.rows_held == std::vector<int64_t>{37});
  for (int64_t t = 0; t < one.train.size(); ++t) {
    CHECK(sharded.train.owner[static_cast<size_t>(t)] == 0);
    const int64_t local = sharded.train.local[static_cast<size_t>(t)];
    CHECK(raw(sharded.train.held, local) == raw(one.train, t));
    CHECK(sharded.train.held.labels()[static_cast<size_t>(local)] == one.train.labels()[t]);
  }
  REQUIRE(d.test.size() == one.test.size());  // the same test rows in the same order
  for (int64_t i = 0; i < one.test.size(); ++i) CHECK(raw(d.test, i) == raw(one.test, i));
  // The same statistics; the sums run over the rows in another order (file order).
  const data::FeatureTransform& a = d.test.transform();
  const data::FeatureTransform& b = one.test.transform();
  REQUIRE(a.kind == data::FeatureTransform::Kind::Standardize);
  for (size_t j = 0; j < 2; ++j) {
    CHECK(a.mean[j] == doctest::Approx(b.mean[j]).epsilon(1e-6));
    CHECK(a.stddev[j] == doctest::Approx(b.stddev[j]).epsilon(1e-6));
  }
  CHECK(sharded.train.held.transform().mean == a.mean);
}
