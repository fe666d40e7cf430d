// Fitting the preprocessing on the training rows: column typing, medians, means and standard
// deviations, categories, classes or the target's statistics. In a data-parallel job each rank
// holds some of the training rows, and the ranks agree on every figure: counts and sums are
// summed, the distinct categories and classes gathered, and each median found exactly by counting
// (a bisection over the float values, every count summed), so every rank ends with the
// preprocessing one process fits on all the rows.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "minigrad/tabular/preprocessing.hpp"
#include "minigrad/train/data_parallel.hpp"

namespace minigrad::tabular {

namespace {

std::vector<int64_t> resolve_all(const Table& t, const std::vector<std::string>& refs,
                                 const std::string& flag) {
  std::vector<int64_t> out;
  for (const std::string& r : refs) out.push_back(find_column(t.columns, r, flag, t.path));
  return out;
}

bool contains(const std::vector<int64_t>& v, int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A float as an unsigned key in the same order: a < b exactly when key(a) < key(b).
uint32_t order_key(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}

float from_key(uint32_t key) {
  const uint32_t bits = key & 0x80000000u ? key & 0x7FFFFFFFu : ~key;
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// The k-th smallest (0-based) of every rank's values, for several columns and ranks k at once:
// keys[c] holds this rank's sorted keys of column c, and each of `wanted` names a column and a k.
// A bisection over the 2^32 keys: each of its 32 rounds sums, across the ranks, how many values
// lie at or below the middle key.
struct Wanted {
  size_t column;
  int64_t k;
};
std::vector<float> kth_smallest(const std::vector<std::vector<uint32_t>>& keys,
                                const std::vector<Wanted>& wanted,
                                const dist::ProcessGroup& group) {
  const size_t n = wanted.size();
  std::vector<uint64_t> lo(n, 0), hi(n, 0xFFFFFFFFu);
  std::vector<double> counts(n);
  for (int round = 0; round < 32; ++round) {
    for (size_t c = 0; c < n; ++c) {
      const std::vector<uint32_t>& column = keys[wanted[c].column];
      const auto mid = static_cast<uint32_t>((lo[c] + hi[c]) / 2);
      counts[c] =
          static_cast<double>(std::upper_bound(column.begin(), column.end(), mid) - column.begin());
    }
    group.all_reduce_sum(counts);
    for (size_t c = 0; c < n; ++c) {
      const uint64_t mid = (lo[c] + hi[c]) / 2;
      if (counts[c] >= static_cast<double>(wanted[c].k + 1))
        hi[c] = mid;  // the k-th is at or below the middle
      else
        lo[c] = mid + 1;
    }
  }
  std::vector<float> out(n);
  for (size_t c = 0; c < n; ++c) out[c] = from_key(static_cast<uint32_t>(lo[c]));
  return out;
}

// A column over this rank's training rows, before the ranks agree.
struct ColumnPart {
  int64_t missing = 0;
  bool numeric = true;
  std::vector<float> values;  // the numbers, in training order, kept as the model's floats
};

ColumnPart scan_column(const Table& t, int64_t col, const std::vector<int64_t>& rows,
                       bool forced_categorical) {
  ColumnPart part;
  part.numeric = !forced_categorical;
  for (int64_t r : rows) {
    if (t.missing(r, col)) {
      ++part.missing;
      continue;
    }
    double v;
    if (part.numeric && t.number(r, col, v)) {
      part.values.push_back(static_cast<float>(v));
      if (std::isinf(part.values.back()))
        throw DataError(fmt::format(
            "{}:{}: column '{}' holds a number beyond a float's range (about ±3.4e38) (HINT: "
            "rescale the column, or --ignore it)",
            t.path, t.lines[static_cast<size_t>(r)], t.columns[static_cast<size_t>(col)]));
    } else {
      part.numeric = false;
    }
  }
  return part;
}

// The distinct cells of a Text column among `rows`.
std::vector<std::string> categories_of(const Table& t, int64_t col,
                                       const std::vector<int64_t>& rows) {
  const TableColumn& column = t.data[static_cast<size_t>(col)];
  std::vector<bool> seen(column.values.size(), false);
  for (int64_t r : rows)
    if (const int32_t code = column.codes[static_cast<size_t>(r)]; code >= 0) seen[code] = true;
  std::vector<std::string> out;
  for (size_t code = 0; code < seen.size(); ++code)
    if (seen[code]) out.push_back(column.values[code]);
  return out;
}

// Class names sort numerically when they are all numbers ("2" before "10"), else as text.
void sort_classes(std::vector<std::string>& classes) {
  double a, b;
  const bool numeric = std::all_of(classes.begin(), classes.end(),
                                   [&](const std::string& c) { return parse_number(c, a); });
  if (numeric)
    std::sort(classes.begin(), classes.end(), [&](const std::string& x, const std::string& y) {
      parse_number(x, a);
      parse_number(y, b);
      return a < b;
    });
  else
    std::sort(classes.begin(), classes.end());
}

// A column read as categories that are nearly all numbers with a decimal comma ("9,60") was meant
// as numbers: one-hot inputs per value would train a model on nonsense without a word.
void check_not_decimal_commas(const ColumnEncoding& f, const std::string& path) {
  if (f.forced || f.categories.size() < 3) return;
  const auto commas = std::count_if(f.categories.begin(), f.categories.end(),
                                    [](const std::string& c) { return decimal_comma_number(c); });
  if (static_cast<size_t>(commas) * 10 < f.categories.size() * 9) return;
  const std::string example =
      *std::find_if(f.categories.begin(), f.categories.end(),
                    [](const std::string& c) { return decimal_comma_number(c); });
  throw DataError(fmt::format(
      "{}: column '{}' holds numbers written with a comma ('{}', {} of its {} distinct values), "
      "which would be read as categories (HINT: --decimal , reads them as numbers; if the "
      "comma separates thousands, remove it; --categorical {} keeps them as categories)",
      path, f.name, example, commas, f.categories.size(), f.name));
}

// The label over every rank's training rows: what choosing the task needs.
struct LabelFacts {
  std::set<std::string> distinct;
  bool numeric = true, whole = true;
  std::string first_text, first_fraction;  // the first in training order of each kind
};

// The label's task and, for auto, the reason shown to the user.
void choose_task(Preprocessing& p, const Table& t, const LabelFacts& f, TaskChoice choice) {
  constexpr size_t kMaxAutoClasses = 20;
  if (f.distinct.empty())
    throw DataError(
        fmt::format("{}: the label '{}' is missing in every training row (HINT: is --label right? "
                    "--na-values changes what counts as missing)",
                    t.path, p.label));
  if (choice == TaskChoice::Classification) {
    p.task = Task::Classification;
    p.task_reason = "--task classification";
  } else if (choice == TaskChoice::Regression) {
    if (!f.numeric)
      throw DataError(
          fmt::format("{}: --task regression needs a numeric label, but '{}' holds "
                      "'{}' (HINT: use --task classification)",
                      t.path, p.label, f.first_text));
    p.task = Task::Regression;
    p.task_reason = "--task regression";
  } else if (!f.numeric) {
    // Many distinct values, nearly all numbers: more likely a numeric column with stray cells
    // ("inf", "n.a.", "12,5") than class names. Guessing either way would mislead.
    std::vector<std::string> others;
    double v;
    for (const std::string& c : f.distinct)
      if (!parse_number(c, v)) others.push_back(c);
    if (f.distinct.size() > kMaxAutoClasses && others.size() * 10 <= f.distinct.size()) {
      std::string named;
      for (size_t i = 0; i < others.size() && i < 5; ++i)
        named += fmt::format("{}'{}'", i ? ", " : "", others[i]);
      if (others.size() > 5) named += fmt::format(", ... ({} in all)", others.size());
      throw DataError(fmt::format(
          "{}: the label '{}' holds {} distinct values, all numbers but {}: a numeric column with "
          "stray cells, or class names? (HINT: fix those cells, list them in --na-values to leave "
          "their rows out (it replaces the default list), or give --task classification)",
          t.path, p.label, f.distinct.size(), named));
    }
    p.task = Task::Classification;
    p.task_reason = fmt::format("'{}' holds text such as '{}'", p.label, f.first_text);
  } else if (!f.whole) {
    p.task = Task::Regression;
    p.task_reason =
        fmt::format("'{}' holds numbers with fractions such as {}", p.label, f.first_fraction);
  } else if (f.distinct.size() > kMaxAutoClasses) {
    p.task = Task::Regression;
    p.task_reason = fmt::format("'{}' holds {} distinct whole numbers (more than {})", p.label,
                                f.distinct.size(), kMaxAutoClasses);
  } else {
    p.task = Task::Classification;
    p.task_reason = fmt::format("'{}' holds {} distinct whole numbers ({} or fewer)", p.label,
                                f.distinct.size(), kMaxAutoClasses);
  }
  if (p.task == Task::Classification) {
    p.classes.assign(f.distinct.begin(), f.distinct.end());
    sort_classes(p.classes);
    if (p.classes.size() < 2)
      throw DataError(
          fmt::format("{}: the label '{}' has {} class(es) in the training rows; "
                      "classification needs at least 2 (HINT: is --label right?)",
                      t.path, p.label, p.classes.size()));
  }
}

// The label over this rank's rows, then over every rank's: the distinct cells gathered, and the
// first text and first fraction taken from the rank that met them earliest in training order.
LabelFacts label_facts(const Table& t, int64_t label, const std::vector<int64_t>& rows,
                       const std::vector<int64_t>& positions, const dist::ProcessGroup& group) {
  LabelFacts mine;
  int64_t text_at = -1, fraction_at = -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (t.missing(rows[i], label)) continue;
    const std::string& cell = t.text(rows[i], label);
    mine.distinct.insert(cell);
    double v;
    if (!parse_number(cell, v)) {
      if (mine.numeric) mine.first_text = cell, text_at = positions[i];
      mine.numeric = false;
    } else if (v != std::floor(v) && mine.whole) {
      mine.whole = false;
      mine.first_fraction = cell, fraction_at = positions[i];
    }
  }
  if (group.size() == 1) return mine;
  // [position of the first text, its cell, of the first fraction, its cell, distinct cells...]
  std::vector<std::string> sent = {std::to_string(text_at), mine.first_text,
                                   std::to_string(fraction_at), mine.first_fraction};
  sent.insert(sent.end(), mine.distinct.begin(), mine.distinct.end());
  LabelFacts all;
  int64_t best_text = -1, best_fraction = -1;
  for (const std::vector<std::string>& got : train::all_gather_strings(group, sent)) {
    const int64_t t_at = std::stoll(got[0]), f_at = std::stoll(got[2]);
    if (t_at >= 0 && (best_text < 0 || t_at < best_text))
      best_text = t_at, all.first_text = got[1], all.numeric = false;
    if (f_at >= 0 && (best_fraction < 0 || f_at < best_fraction))
      best_fraction = f_at, all.first_fraction = got[3], all.whole = false;
    all.distinct.insert(got.begin() + 4, got.end());
  }
  return all;
}

}  // namespace

Preprocessing fit_preprocessing(const Table& t, const std::vector<int64_t>& rows,
                                const PreprocessingOptions& options) {
  std::vector<int64_t> positions(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) positions[i] = static_cast<int64_t>(i);
  return fit_preprocessing(t, rows, options, dist::SingleProcess(), positions);
}

Preprocessing fit_preprocessing(const Table& t, const std::vector<int64_t>& rows,
                                const PreprocessingOptions& options,
                                const dist::ProcessGroup& group,
                                const std::vector<int64_t>& positions) {
  Preprocessing p;
  p.na_values = options.na_values;
  const int64_t label = find_column(t.columns, options.label, "--label", t.path);
  if (t.data[static_cast<size_t>(label)].storage != Storage::Text)
    throw std::logic_error("fit_preprocessing: read the label column as Text (training_plan)");
  p.label = t.columns[static_cast<size_t>(label)];
  const std::vector<int64_t> ignored = resolve_all(t, options.ignore, "--ignore");
  const std::vector<int64_t> categorical = resolve_all(t, options.categorical, "--categorical");
  if (contains(ignored, label) || contains(categorical, label))
    throw DataError(
        fmt::format("'{}' is the label column; it cannot be in --ignore or "
                    "--categorical (HINT: the label's type is set by --task)",
                    p.label));
  std::vector<int64_t> cols;  // the feature columns, in the file's order
  for (int64_t c = 0; c < t.cols(); ++c) {
    if (c == label) continue;
    if (contains(ignored, c))
      p.ignored.push_back(t.columns[static_cast<size_t>(c)]);
    else
      cols.push_back(c);
  }
  if (cols.empty())
    throw DataError(
        fmt::format("{}: no feature column is left besides the label '{}' (HINT: "
                    "check --ignore)",
                    t.path, p.label));

  // ---- each column's kind: numeric only if every rank's training cells are numbers ----
  std::vector<ColumnPart> parts;
  std::vector<double> counts;  // per column: rows missing, 1 if not numeric here
  for (int64_t c : cols) {
    parts.push_back(scan_column(t, c, rows, contains(categorical, c)));
    counts.insert(counts.end(),
                  {static_cast<double>(parts.back().missing), parts.back().numeric ? 0.0 : 1.0});
  }
  group.all_reduce_sum(counts);
  for (size_t i = 0; i < cols.size(); ++i) {
    ColumnEncoding enc;
    enc.name = t.columns[static_cast<size_t>(cols[i])];
    enc.forced = contains(categorical, cols[i]);
    enc.kind = counts[2 * i + 1] == 0.0 ? ColumnKind::Numeric : ColumnKind::Categorical;
    if (enc.kind == ColumnKind::Numeric)
      enc.missing_indicator = counts[2 * i] > 0.0;
    else
      enc.missing_category = counts[2 * i] > 0.0;
    p.features.push_back(enc);
  }

  // ---- categories: the distinct cells every rank saw, sorted (a categorical column is read as
  // Text on every rank: the cells as written) ----
  std::vector<size_t> text_cols;
  std::vector<std::string> sent;  // per categorical column: its count, then its cells
  for (size_t i = 0; i < cols.size(); ++i)
    if (p.features[i].kind == ColumnKind::Categorical) {
      text_cols.push_back(i);
      const std::vector<std::string> seen = categories_of(t, cols[i], rows);
      sent.push_back(std::to_string(seen.size()));
      sent.insert(sent.end(), seen.begin(), seen.end());
    }
  for (const std::vector<std::string>& got : train::all_gather_strings(group, sent)) {
    size_t at = 0;
    for (size_t i : text_cols) {
      const auto n = static_cast<std::ptrdiff_t>(std::stoll(got[at]));
      std::vector<std::string>& cats = p.features[i].categories;
      cats.insert(cats.end(), got.begin() + static_cast<std::ptrdiff_t>(at) + 1,
                  got.begin() + static_cast<std::ptrdiff_t>(at) + 1 + n);
      at += static_cast<size_t>(n) + 1;
    }
  }
  for (size_t i : text_cols) {
    std::vector<std::string>& cats = p.features[i].categories;
    std::sort(cats.begin(), cats.end());
    cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
    check_not_decimal_commas(p.features[i], t.path);
  }

  // ---- the label: the task, the classes ----
  choose_task(p, t, label_facts(t, label, rows, positions, group), options.task);

  // ---- medians of the numeric columns (missing cells take them), found by counting ----
  std::vector<size_t> num_cols;
  std::vector<std::vector<uint32_t>> keys;
  std::vector<Wanted> middle;  // per column: the upper middle value, then the lower one
  std::vector<double> totals;
  for (size_t i = 0; i < cols.size(); ++i)
    if (p.features[i].kind == ColumnKind::Numeric) {
      num_cols.push_back(i);
      totals.push_back(static_cast<double>(parts[i].values.size()));
    }
  group.all_reduce_sum(totals);  // the values each numeric column holds, over every rank
  for (size_t j = 0; j < num_cols.size(); ++j) {
    std::vector<uint32_t> k;
    for (float v : parts[num_cols[j]].values) k.push_back(order_key(v));
    std::sort(k.begin(), k.end());
    const auto n = static_cast<int64_t>(totals[j]);
    keys.push_back(std::move(k));
    middle.push_back({j, n / 2});
    middle.push_back({j, n % 2 == 1 ? n / 2 : std::max<int64_t>(n / 2 - 1, 0)});
  }
  const std::vector<float> middles = kth_smallest(keys, middle, group);
  for (size_t j = 0; j < num_cols.size(); ++j)  // numpy's median: the mean of the middle two
    p.features[num_cols[j]].median =
        totals[j] == 0.0 ? 0.0 : (static_cast<double>(middles[2 * j + 1]) + middles[2 * j]) / 2.0;

  // ---- means, then standard deviations (population, as StandardScaler), over the values with
  // the missing ones imputed; the regression target's too. Two sums, as one process makes ----
  std::vector<double> ys;
  if (p.task == Task::Regression)
    for (int64_t r : rows)
      if (double v; parse_number(t.text(r, label), v)) ys.push_back(v);
  // Σ x, or with `mean` given Σ (x - mean)², over a column's values then its imputed cells (this
  // rank's), in one process's order; the same over the target last.
  const auto sums = [&](const std::vector<double>* means) {
    std::vector<double> out;
    const auto term = [&](double x, size_t k) {
      return means ? (x - (*means)[k]) * (x - (*means)[k]) : x;
    };
    for (size_t j = 0; j < num_cols.size(); ++j) {
      const ColumnPart& part = parts[num_cols[j]];
      const double median = p.features[num_cols[j]].median;
      double sum = 0.0;
      for (const float v : part.values) sum += term(v, j);
      for (int64_t k = 0; k < part.missing; ++k) sum += term(median, j);
      out.push_back(sum);
    }
    double sum = 0.0;
    for (const double y : ys) sum += term(y, num_cols.size());
    out.push_back(sum);
    group.all_reduce_sum(out);
    return out;
  };
  std::vector<double> n;  // the values (with the imputed ones) of each column, then the targets
  for (size_t j = 0; j < num_cols.size(); ++j) n.push_back(totals[j] + counts[2 * num_cols[j]]);
  n.push_back(static_cast<double>(ys.size()));
  group.all_reduce_sum(std::span(n).last(1));
  std::vector<double> means = sums(nullptr);
  for (size_t k = 0; k < n.size(); ++k) means[k] = n[k] > 0.0 ? means[k] / n[k] : 0.0;
  const std::vector<double> squares = sums(&means);
  for (size_t k = 0; k < n.size(); ++k) {
    double std = n[k] > 0.0 ? std::sqrt(squares[k] / n[k]) : 0.0;
    if (!(std > 0.0)) std = 1.0;  // a constant column encodes to 0 instead of dividing by zero
    if (k < num_cols.size())
      p.features[num_cols[k]].mean = means[k], p.features[num_cols[k]].std = std;
    else if (p.task == Task::Regression)
      p.target_mean = means[k], p.target_std = std;
  }
  return p;
}

}  // namespace minigrad::tabular
