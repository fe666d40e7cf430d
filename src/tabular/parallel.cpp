// minigrad train across processes: the parts of the files, the places of the rows, and the
// gathers that give every rank one process's figures. A gather is a sum of zeroed buffers in
// which each rank fills the slots of its own rows (x + 0 is x exactly).
#include "minigrad/tabular/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "minigrad/data/dataset.hpp"
#include "minigrad/generator.hpp"
#include "spool.hpp"

namespace minigrad::tabular {

TablePart read_table_part(const std::string& path, ReadOptions options,
                          const std::vector<std::string>& na_values, const StoragePlan& plan,
                          const dist::ProcessGroup& group) {
  const int ranks = group.size(), me = group.rank();
  if (ranks > 1 && is_stream(path))
    throw DataError(fmt::format(
        "{}: standard input or a pipe cannot be read in parts by {} processes (HINT: write it "
        "to a file that every process can read)",
        path == "-" ? "<stdin>" : path, ranks));
  options.part = me, options.parts = ranks;
  TablePart p;
  p.table = read_table(path, options, na_values, plan);
  if (ranks > 1) {  // a column with text in any rank's part is Text on every rank
    const size_t cols = p.table.data.size();
    std::vector<double> text(cols, 0.0);
    for (size_t c = 0; c < cols; ++c) text[c] = p.table.data[c].storage == Storage::Text;
    group.all_reduce_sum(text);
    bool again = false;
    for (size_t c = 0; c < cols; ++c)
      again = again || (text[c] > 0.0 && p.table.data[c].storage == Storage::Auto);
    if (again)
      p.table = read_table(path, options, na_values, [&](const std::vector<std::string>& names) {
        std::vector<Storage> s = plan ? plan(names) : std::vector<Storage>(names.size());
        for (size_t c = 0; c < s.size(); ++c)
          if (text[c] > 0.0 && s[c] == Storage::Auto) s[c] = Storage::Text;
        return s;
      });
  }
  std::vector<double> rows(static_cast<size_t>(ranks), 0.0);
  rows[static_cast<size_t>(me)] = static_cast<double>(p.table.rows);
  group.all_reduce_sum(rows);
  p.first.assign(1, 0);
  for (const double n : rows) p.first.push_back(p.first.back() + static_cast<int64_t>(n));
  if (p.rows() == 0) throw DataError(fmt::format("{}: has a header but no data rows", path));
  return p;
}

namespace {

// Rows 0..n-1 split as train_csv splits them (data::train_test_order, drawn from `seed`): the
// first ceil(fraction * n) of the permutation are held out, the rest kept.
void split_rows(int64_t n, double fraction, uint64_t seed, std::vector<int64_t>& kept,
                std::vector<int64_t>& held) {
  Generator gen(seed);
  const data::SplitOrder split = data::train_test_order(n, fraction, gen);
  const auto cut = split.order.begin() + static_cast<std::ptrdiff_t>(split.test_rows);
  held.assign(split.order.begin(), cut);
  kept.assign(cut, split.order.end());
}

}  // namespace

RunRows split_run(int64_t n, bool split_test, double test_fraction, double val_fraction,
                  uint64_t seed) {
  RunRows rows;
  if (split_test) {
    split_rows(n, test_fraction, seed, rows.train, rows.test);
  } else {
    rows.train.resize(static_cast<size_t>(n));
    std::iota(rows.train.begin(), rows.train.end(), int64_t{0});
  }
  if (val_fraction > 0.0) {
    std::vector<int64_t> kept, held, fit_rows;
    split_rows(static_cast<int64_t>(rows.train.size()), val_fraction, seed + 1, kept, held);
    for (int64_t i : kept) fit_rows.push_back(rows.train[static_cast<size_t>(i)]);
    for (int64_t i : held) rows.val.push_back(rows.train[static_cast<size_t>(i)]);
    rows.train = std::move(fit_rows);
  }
  return rows;
}

HeldRows held_rows(const std::vector<int64_t>& list, const TablePart& part, int rank) {
  const int64_t begin = part.first[static_cast<size_t>(rank)];
  const int64_t end = part.first[static_cast<size_t>(rank) + 1];
  HeldRows held;
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i] >= begin && list[i] < end) {
      held.rows.push_back(list[i] - begin);
      held.positions.push_back(static_cast<int64_t>(i));
    }
  return held;
}

RowPlaces place_rows(const EncodedRows& encoded, const HeldRows& held,
                     const std::vector<int64_t>& list, const TablePart& part,
                     const dist::ProcessGroup& group) {
  // Which places of `list` have a label: each rank marks its own (encode_rows kept its held rows'
  // order, leaving out those without a label).
  std::vector<double> labelled(list.size(), 0.0);
  std::vector<int64_t> mine_at;  // the place in `list` of each of this rank's encoded rows
  size_t j = 0;
  for (const int64_t r : encoded.source_rows) {
    while (held.rows[j] != r) ++j;
    mine_at.push_back(held.positions[j]);
    labelled[static_cast<size_t>(held.positions[j])] = 1.0;
  }
  group.all_reduce_sum(labelled);
  RowPlaces p;
  std::vector<int64_t> taken(static_cast<size_t>(group.size()), 0);
  size_t k = 0;
  for (size_t at = 0; at < list.size(); ++at) {
    if (labelled[at] == 0.0) continue;
    const auto owner = static_cast<int32_t>(
        std::upper_bound(part.first.begin(), part.first.end(), list[at]) - part.first.begin() - 1);
    p.owner.push_back(owner);
    p.local.push_back(taken[static_cast<size_t>(owner)]++);
    if (k < mine_at.size() && mine_at[k] == static_cast<int64_t>(at))
      p.mine.push_back(p.total), ++k;
    ++p.total;
  }
  return p;
}

std::vector<float> gather_rows(const std::vector<float>& mine, int64_t width,
                               const RowPlaces& places, const dist::ProcessGroup& group) {
  std::vector<float> all(static_cast<size_t>(places.total * width), 0.0f);
  for (size_t i = 0; i < places.mine.size(); ++i)
    std::copy_n(mine.begin() + static_cast<std::ptrdiff_t>(i) * width, width,
                all.begin() + places.mine[i] * width);
  group.all_reduce_sum(all);
  return all;
}

train::ShardedRows sharded_rows(const EncodedRows& mine, const RowPlaces& places) {
  const int64_t in = mine.inputs;
  std::vector<float> x(static_cast<size_t>(mine.rows * (in + 1)));  // (rows, in + 1)
  for (int64_t r = 0; r < mine.rows; ++r) {
    std::copy_n(mine.x.begin() + r * in, in, x.begin() + r * (in + 1));
    x[static_cast<size_t>(r * (in + 1) + in)] = mine.y[static_cast<size_t>(r)];
  }
  train::ShardedRows rows;
  rows.held = data::Dataset::from_floats(
      std::move(x), std::vector<int32_t>(static_cast<size_t>(mine.rows), 0), in + 1);
  rows.owner = places.owner;
  rows.local = places.local;
  return rows;
}

Scores score_across(nn::Module& model, const EncodedRows& mine, const RowPlaces& places,
                    int64_t width, Task task, RegressionLoss loss,
                    const dist::ProcessGroup& group) {
  const std::vector<float> out = forward_rows(model, mine.x.data(), mine.rows, mine.inputs);
  return score_outputs(gather_rows(out, width, places, group),
                       gather_rows(mine.y, 1, places, group), width, task, loss);
}

TabularEvaluation evaluate_across(const TabularModel& m, const EncodedRows& mine,
                                  const RowPlaces& places, RegressionLoss loss,
                                  const dist::ProcessGroup& group) {
  const int64_t width = m.prep.num_outputs();
  const std::vector<float> out = forward_rows(*m.model, mine.x.data(), mine.rows, mine.inputs);
  return evaluate_outputs(m.prep, gather_rows(out, width, places, group),
                          gather_rows(mine.y, 1, places, group), loss);
}

}  // namespace minigrad::tabular
