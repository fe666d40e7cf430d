// Preprocessing: column typing, median imputation, standardisation, one-hot encoding and label
// encoding, all fitted on the training rows only.
#include "minigrad/tabular/preprocessing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace minigrad::tabular {

int64_t ColumnEncoding::width() const {
  if (kind == ColumnKind::Numeric) return missing_indicator ? 2 : 1;
  return static_cast<int64_t>(categories.size()) + (missing_category ? 1 : 0);
}

int64_t Preprocessing::num_inputs() const {
  int64_t n = 0;
  for (const ColumnEncoding& c : features) n += c.width();
  return n;
}

int64_t Preprocessing::num_outputs() const {
  return task == Task::Regression ? 1 : static_cast<int64_t>(classes.size());
}

std::vector<std::string> Preprocessing::input_names() const {
  std::vector<std::string> names;
  for (const ColumnEncoding& c : features) {
    if (c.kind == ColumnKind::Numeric) {
      names.push_back(c.name);
      if (c.missing_indicator) names.push_back(c.name + "=missing");
    } else {
      for (const std::string& cat : c.categories) names.push_back(c.name + "=" + cat);
      if (c.missing_category) names.push_back(c.name + "=missing");
    }
  }
  return names;
}

std::string task_name(Task task) {
  return task == Task::Regression ? "regression" : "classification";
}

namespace {

// The median as numpy computes it: the middle value, or the mean of the two middle values.
double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2.0;
}

// Mean and population standard deviation (ddof 0, as StandardScaler); a constant column keeps
// std 1 so that it encodes to 0 instead of dividing by zero.
void mean_std(const std::vector<double>& v, double& mean, double& std) {
  double sum = 0.0;
  for (double x : v) sum += x;
  mean = v.empty() ? 0.0 : sum / static_cast<double>(v.size());
  double sq = 0.0;
  for (double x : v) sq += (x - mean) * (x - mean);
  std = v.empty() ? 0.0 : std::sqrt(sq / static_cast<double>(v.size()));
  if (!(std > 0.0)) std = 1.0;
}

std::vector<int64_t> resolve_all(const Table& t, const std::vector<std::string>& refs,
                                 const std::string& flag) {
  std::vector<int64_t> out;
  for (const std::string& r : refs) out.push_back(find_column(t.columns, r, flag, t.path));
  return out;
}

bool contains(const std::vector<int64_t>& v, int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

ColumnEncoding fit_column(const Table& t, int64_t col, const std::vector<int64_t>& rows,
                          bool forced_categorical) {
  ColumnEncoding enc;
  enc.name = t.columns[static_cast<size_t>(col)];
  enc.forced = forced_categorical;
  std::vector<double> values;
  int64_t missing = 0;
  bool numeric = !forced_categorical;
  for (int64_t r : rows) {
    if (t.missing(r, col)) {
      ++missing;
      continue;
    }
    double v;  // kept as the float the model will see, so the statistics are train_csv's
    if (numeric && t.number(r, col, v))
      values.push_back(static_cast<float>(v));
    else
      numeric = false;
  }
  if (numeric) {
    enc.kind = ColumnKind::Numeric;
    enc.median = median_of(values);
    enc.missing_indicator = missing > 0;
    values.resize(values.size() + static_cast<size_t>(missing), enc.median);  // imputed
    mean_std(values, enc.mean, enc.std);
    return enc;
  }
  // Not numeric in the training rows, so read as Text (a numeric column was forced, and the
  // training plan reads forced columns as Text): categories are the cells as written.
  enc.kind = ColumnKind::Categorical;
  const TableColumn& column = t.data[static_cast<size_t>(col)];
  std::vector<bool> seen(column.values.size(), false);
  for (int64_t r : rows)
    if (const int32_t code = column.codes[static_cast<size_t>(r)]; code >= 0) seen[code] = true;
  for (size_t code = 0; code < seen.size(); ++code)
    if (seen[code]) enc.categories.push_back(column.values[code]);
  std::sort(enc.categories.begin(), enc.categories.end());
  enc.missing_category = missing > 0;
  return enc;
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

// The label's task and, for auto, the reason shown to the user.
void choose_task(Preprocessing& p, const Table& t, int64_t label, const std::vector<int64_t>& rows,
                 TaskChoice choice) {
  std::set<std::string> distinct;
  bool numeric = true, whole = true;
  std::string first_text, first_fraction;
  for (int64_t r : rows) {
    if (t.missing(r, label)) continue;
    const std::string& cell = t.text(r, label);
    distinct.insert(cell);
    double v;
    if (!parse_number(cell, v)) {
      if (numeric) first_text = cell;
      numeric = false;
    } else if (v != std::floor(v) && whole) {
      whole = false;
      first_fraction = cell;
    }
  }
  constexpr size_t kMaxAutoClasses = 20;
  if (choice == TaskChoice::Classification) {
    p.task = Task::Classification;
    p.task_reason = "--task classification";
  } else if (choice == TaskChoice::Regression) {
    if (!numeric)
      throw DataError(
          fmt::format("{}: --task regression needs a numeric label, but '{}' holds "
                      "'{}' (HINT: use --task classification)",
                      t.path, p.label, first_text));
    p.task = Task::Regression;
    p.task_reason = "--task regression";
  } else if (!numeric) {
    p.task = Task::Classification;
    p.task_reason = fmt::format("'{}' holds text such as '{}'", p.label, first_text);
  } else if (!whole) {
    p.task = Task::Regression;
    p.task_reason =
        fmt::format("'{}' holds numbers with fractions such as {}", p.label, first_fraction);
  } else if (distinct.size() > kMaxAutoClasses) {
    p.task = Task::Regression;
    p.task_reason = fmt::format("'{}' holds {} distinct whole numbers (more than {})", p.label,
                                distinct.size(), kMaxAutoClasses);
  } else {
    p.task = Task::Classification;
    p.task_reason = fmt::format("'{}' holds {} distinct whole numbers ({} or fewer)", p.label,
                                distinct.size(), kMaxAutoClasses);
  }
  if (p.task == Task::Classification) {
    p.classes.assign(distinct.begin(), distinct.end());
    sort_classes(p.classes);
    if (p.classes.size() < 2)
      throw DataError(
          fmt::format("{}: the label '{}' has {} class(es) in the training rows; "
                      "classification needs at least 2 (HINT: is --label right?)",
                      t.path, p.label, p.classes.size()));
  } else {
    std::vector<double> ys;
    for (int64_t r : rows) {
      double v;
      if (parse_number(t.text(r, label), v)) ys.push_back(v);
    }
    mean_std(ys, p.target_mean, p.target_std);
  }
}

}  // namespace

Preprocessing fit_preprocessing(const Table& t, const std::vector<int64_t>& rows,
                                const PreprocessingOptions& options) {
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
  for (int64_t c = 0; c < t.cols(); ++c) {
    if (c == label) continue;
    if (contains(ignored, c)) {
      p.ignored.push_back(t.columns[static_cast<size_t>(c)]);
      continue;
    }
    p.features.push_back(fit_column(t, c, rows, contains(categorical, c)));
  }
  if (p.features.empty())
    throw DataError(
        fmt::format("{}: no feature column is left besides the label '{}' (HINT: "
                    "check --ignore)",
                    t.path, p.label));
  choose_task(p, t, label, rows, options.task);
  return p;
}

StoragePlan training_plan(const PreprocessingOptions& o, const std::string& path) {
  return [o, path](const std::vector<std::string>& columns) {
    std::vector<Storage> s(columns.size(), Storage::Auto);
    for (const std::string& ref : o.ignore)
      s[static_cast<size_t>(find_column(columns, ref, "--ignore", path))] = Storage::Skip;
    for (const std::string& ref : o.categorical)
      s[static_cast<size_t>(find_column(columns, ref, "--categorical", path))] = Storage::Text;
    s[static_cast<size_t>(find_column(columns, o.label, "--label", path))] = Storage::Text;
    return s;
  };
}

StoragePlan model_plan(const Preprocessing& prep, const std::string& label_ref,
                       const std::string& path) {
  return [&prep, label_ref, path](const std::vector<std::string>& columns) {
    std::vector<Storage> s(columns.size(), Storage::Skip);
    for (const ColumnEncoding& f : prep.features)
      if (const auto it = std::find(columns.begin(), columns.end(), f.name); it != columns.end())
        s[static_cast<size_t>(it - columns.begin())] =
            f.kind == ColumnKind::Numeric ? Storage::Auto : Storage::Text;
    if (!label_ref.empty())
      s[static_cast<size_t>(find_column(columns, label_ref, "--label", path))] = Storage::Text;
    else if (const auto it = std::find(columns.begin(), columns.end(), prep.label);
             it != columns.end())
      s[static_cast<size_t>(it - columns.begin())] = Storage::Text;
    return s;
  };
}

// ---- encoding ----

RowEncoder::RowEncoder(const Preprocessing& prep, const std::vector<std::string>& columns,
                       const std::string& path, bool need_label)
    : prep_(prep), path_(path) {
  for (const ColumnEncoding& f : prep.features) {
    const auto it = std::find(columns.begin(), columns.end(), f.name);
    if (it == columns.end())
      throw DataError(
          fmt::format("{}: the model needs the column '{}', which the file lacks; its "
                      "columns are: {}",
                      path, f.name, column_list(columns)));
    source_.push_back(it - columns.begin());
  }
  const auto it = std::find(columns.begin(), columns.end(), prep.label);
  if (it != columns.end())
    label_column_ = it - columns.begin();
  else if (need_label)
    throw DataError(
        fmt::format("{}: no label column '{}' to evaluate against; its columns are: {} "
                    "(HINT: --label names the column)",
                    path, prep.label, column_list(columns)));
}

namespace {

// One numeric input (the median if missing, standardised in float as train_csv does:
// (x - mean) · (1 / std)), and its missing indicator if the column has one.
float* put_number(const ColumnEncoding& f, bool missing, double v, float* out) {
  if (missing) v = f.median;
  *out++ =
      (static_cast<float>(v) - static_cast<float>(f.mean)) * (1.0f / static_cast<float>(f.std));
  if (f.missing_indicator) *out++ = missing ? 1.0f : 0.0f;
  return out;
}

// One-hot inputs of a category: all zero for one unseen in training.
float* put_category(const ColumnEncoding& f, bool missing, const std::string& text, float* out) {
  const int64_t w = f.width();
  std::fill(out, out + w, 0.0f);
  if (missing) {
    if (f.missing_category) out[w - 1] = 1.0f;
  } else {
    const auto it = std::lower_bound(f.categories.begin(), f.categories.end(), text);
    if (it != f.categories.end() && *it == text) out[it - f.categories.begin()] = 1.0f;
  }
  return out + w;
}

}  // namespace

void RowEncoder::not_a_number(const ColumnEncoding& f, const std::string& text) const {
  throw DataError(
      fmt::format("{}: column '{}' is numeric in the model, but a cell holds '{}' (HINT: add it "
                  "to --na-values if it marks a missing value)",
                  path_, f.name, text));
}

void RowEncoder::encode(const std::vector<std::string>& cells, float* out) const {
  for (size_t i = 0; i < prep_.features.size(); ++i) {
    const ColumnEncoding& f = prep_.features[i];
    const std::string& text = cells[static_cast<size_t>(source_[i])];
    const bool missing = is_missing(text, prep_.na_values);
    double v = 0.0;
    if (f.kind == ColumnKind::Categorical)
      out = put_category(f, missing, text, out);
    else if (!missing && !parse_number(text, v))
      not_a_number(f, text);
    else
      out = put_number(f, missing, v, out);
  }
}

void RowEncoder::encode(const Table& table, int64_t row, float* out) const {
  for (size_t i = 0; i < prep_.features.size(); ++i) {
    const ColumnEncoding& f = prep_.features[i];
    const int64_t col = source_[i];
    const bool missing = table.missing(row, col);
    double v = 0.0;
    if (f.kind == ColumnKind::Categorical)
      out = put_category(f, missing, table.text(row, col), out);
    else if (!missing && !table.number(row, col, v))
      not_a_number(f, table.text(row, col));
    else
      out = put_number(f, missing, v, out);
  }
}

bool RowEncoder::label(const std::string& cell, float& target, int64_t line) const {
  if (is_missing(cell, prep_.na_values)) return false;
  if (prep_.task == Task::Regression) {
    double v;
    if (!parse_number(cell, v))
      throw DataError(fmt::format("{}:{}: the label '{}' should be a number, found '{}'", path_,
                                  line, prep_.label, cell));
    target = static_cast<float>((v - prep_.target_mean) / prep_.target_std);
    return true;
  }
  const auto it = std::find(prep_.classes.begin(), prep_.classes.end(), cell);
  if (it == prep_.classes.end())
    throw DataError(
        fmt::format("{}:{}: the label '{}' is '{}', a class the model does not know "
                    "(its classes: {})",
                    path_, line, prep_.label, cell, column_list(prep_.classes)));
  target = static_cast<float>(it - prep_.classes.begin());
  return true;
}

EncodedRows encode_rows(const Preprocessing& prep, const Table& table,
                        const std::vector<int64_t>& rows) {
  RowEncoder encoder(prep, table.columns, table.path, true);
  if (table.data[static_cast<size_t>(encoder.label_column())].storage != Storage::Text)
    throw std::logic_error("encode_rows: read the label column as Text (model_plan)");
  EncodedRows e;
  e.inputs = prep.num_inputs();
  e.x.resize(rows.size() * static_cast<size_t>(e.inputs));
  e.y.reserve(rows.size());
  for (int64_t r : rows) {
    float y;
    if (!encoder.label(table.text(r, encoder.label_column()), y,
                       table.lines[static_cast<size_t>(r)])) {
      ++e.label_missing;
      continue;
    }
    try {
      encoder.encode(table, r, e.x.data() + e.rows * e.inputs);
    } catch (const DataError& err) {  // add the line the message could not know
      throw DataError(fmt::format("{}:{}: {}", table.path, table.lines[static_cast<size_t>(r)],
                                  std::string(err.what()).substr(table.path.size() + 2)));
    }
    e.y.push_back(y);
    e.source_rows.push_back(r);
    ++e.rows;
  }
  e.x.resize(static_cast<size_t>(e.rows * e.inputs));
  return e;
}

}  // namespace minigrad::tabular
