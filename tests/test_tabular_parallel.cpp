// Tests of tabular/parallel.hpp and of fit_preprocessing across ranks, with two threads standing
// for two processes: each reads its part of a table, and together they fit the preprocessing one
// process fits on the whole table (medians bit for bit), and gather rows in one process's order.
// Training under mpirun is tested by tests/cli/mpi_tabular.sh.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "minigrad/tabular/parallel.hpp"
#include "support/two_thread_group.hpp"

using namespace minigrad;
using namespace minigrad::tabular;

namespace {

// 41 rows: 'x' numeric with NA cells (an odd count of values, then an even one in the training
// rows below), 'kind' categorical with empty cells, 'code' numbers in the first half and text in
// the second (one rank meets only numbers), the label last.
std::string write_table() {
  std::string text = "x,kind,code,label\n";
  for (int i = 0; i < 41; ++i) {
    const std::string x = i % 6 == 0 ? "NA" : std::to_string((i * 37 % 19) * 0.25 - 1.0);
    const std::string kind = i % 5 == 0 ? "" : i % 3 == 0 ? "cat" : "dog";
    const std::string code = i > 30 && i % 4 == 0 ? "n" : std::to_string(i % 3);
    text += x + "," + kind + "," + code + "," + (i % 2 ? "yes" : "no") + "\n";
  }
  const auto dir = std::filesystem::temp_directory_path() /
                   ("minigrad_tabular_parallel_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "table.csv").string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

TEST_CASE("fit_preprocessing across two ranks fits one process's preprocessing") {
  const std::string path = write_table();
  PreprocessingOptions po;
  po.label = "last";
  for (const bool every_row : {true, false}) {
    CAPTURE(every_row);
    // One process's training rows in a shuffled order (positions matter for the task's reason).
    std::vector<int64_t> list;
    for (int64_t i = 0; i < 41; ++i)
      if (every_row || i % 4 != 1) list.push_back((i * 17) % 41);
    const Table whole = read_table(path, {}, po.na_values, training_plan(po, path));
    const Preprocessing one = fit_preprocessing(whole, list, po);

    Preprocessing got[2];
    TwoThreads shared;
    auto run = [&](int r) {
      const TwoThreadGroup group(shared, r);
      const TablePart part =
          read_table_part(path, {}, po.na_values, training_plan(po, path), group);
      const HeldRows held = held_rows(list, part, r);
      got[r] = fit_preprocessing(part.table, held.rows, po, group, held.positions);
    };
    std::thread other(run, 1);
    run(0);
    other.join();
    for (const Preprocessing& p : got) {
      CHECK(to_json(p).size() > 0);
      CHECK(p.classes == one.classes);
      CHECK(p.task_reason == one.task_reason);
      REQUIRE(p.features.size() == one.features.size());
      for (size_t i = 0; i < p.features.size(); ++i) {
        const ColumnEncoding &a = p.features[i], &b = one.features[i];
        CAPTURE(b.name);
        CHECK(a.kind == b.kind);
        CHECK(a.categories == b.categories);
        CHECK(a.missing_category == b.missing_category);
        CHECK(a.missing_indicator == b.missing_indicator);
        CHECK(a.median == b.median);  // found by counting: exact
        CHECK(a.mean == doctest::Approx(b.mean).epsilon(1e-12));
        CHECK(a.std == doctest::Approx(b.std).epsilon(1e-12));
      }
    }
    CHECK(one.features[2].kind == ColumnKind::Categorical);  // 'code': text in one half only
    CHECK(one.features[2].categories == std::vector<std::string>{"0", "1", "2", "n"});
  }
}

TEST_CASE("place_rows and gather_rows put every rank's rows in one process's order") {
  const std::string path = write_table();
  PreprocessingOptions po;
  po.label = "last";
  const Table whole = read_table(path, {}, po.na_values, training_plan(po, path));
  std::vector<int64_t> list(41);
  std::iota(list.begin(), list.end(), 0);
  const Preprocessing prep = fit_preprocessing(whole, list, po);
  std::reverse(list.begin(), list.end());  // one process's order: the file's, backwards
  const EncodedRows one = encode_rows(prep, whole, list);

  std::vector<float> x[2], y[2];
  int64_t total[2] = {};
  TwoThreads shared;
  auto run = [&](int r) {
    const TwoThreadGroup group(shared, r);
    const TablePart part = read_table_part(path, {}, po.na_values, training_plan(po, path), group);
    const HeldRows held = held_rows(list, part, r);
    const EncodedRows mine = encode_rows(prep, part.table, held.rows);
    const RowPlaces places = place_rows(mine, held, list, part, group);
    total[r] = places.total;
    x[r] = gather_rows(mine.x, mine.inputs, places, group);
    y[r] = gather_rows(mine.y, 1, places, group);
  };
  std::thread other(run, 1);
  run(0);
  other.join();
  for (int r = 0; r < 2; ++r) {
    CHECK(total[r] == one.rows);
    CHECK(x[r] == one.x);
    CHECK(y[r] == one.y);
  }
}
