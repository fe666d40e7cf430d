// Preprocessing: the storage plans, the encoding of rows (median imputation, standardisation,
// one-hot encoding, label encoding). Fitting it is preprocessing_fit.cpp's.
#include "minigrad/tabular/preprocessing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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

// One-hot inputs of a category: all zero for one unseen in training (`known` false).
float* put_category(const ColumnEncoding& f, bool missing, const std::string& text, float* out,
                    bool& known) {
  const int64_t w = f.width();
  std::fill(out, out + w, 0.0f);
  known = true;
  if (missing) {
    if (f.missing_category) out[w - 1] = 1.0f;
  } else {
    const auto it = std::lower_bound(f.categories.begin(), f.categories.end(), text);
    known = it != f.categories.end() && *it == text;
    if (known) out[it - f.categories.begin()] = 1.0f;
  }
  return out + w;
}

}  // namespace

void RowEncoder::check_finite(const ColumnEncoding& f, const float* input, double v) const {
  if (std::isfinite(*input)) return;
  if (!std::isfinite(static_cast<float>(v)))
    throw DataError(
        fmt::format("{}: column '{}' holds a number beyond a float's range (about ±3.4e38) (HINT: "
                    "rescale the column, or --ignore it)",
                    path_, f.name));
  throw DataError(fmt::format(
      "{}: column '{}' holds {}, which standardises to {} with the training mean {} and standard "
      "deviation {} (HINT: a value so far from the training rows' is likely an error in the "
      "file)",
      path_, f.name, v, *input, f.mean, f.std));
}

void RowEncoder::not_a_number(const ColumnEncoding& f, const std::string& text) const {
  throw DataError(
      fmt::format("{}: column '{}' is numeric in the model, but a cell holds '{}' (HINT: add it "
                  "to --na-values if it marks a missing value)",
                  path_, f.name, text));
}

void RowEncoder::note_category(size_t feature, bool known, const std::string& text) const {
  if (known) return;
  if (unseen_.empty()) unseen_.resize(prep_.features.size());
  Unseen& u = unseen_[feature];
  if (u.rows++ == 0) u.first = text;
}

std::vector<std::string> RowEncoder::unseen_categories() const {
  std::vector<std::string> lines;
  for (size_t i = 0; i < unseen_.size(); ++i) {
    const Unseen& u = unseen_[i];
    if (u.rows == 0) continue;
    lines.push_back(fmt::format(
        "column '{}': {} row{} held a category not seen in training ('{}'{}), encoded as all "
        "zeros",
        prep_.features[i].name, u.rows, u.rows == 1 ? "" : "s", u.first,
        u.rows == 1 ? "" : ", ..."));
  }
  return lines;
}

void RowEncoder::encode(const std::vector<std::string>& cells, float* out) const {
  for (size_t i = 0; i < prep_.features.size(); ++i) {
    const ColumnEncoding& f = prep_.features[i];
    const std::string& text = cells[static_cast<size_t>(source_[i])];
    const bool missing = is_missing(text, prep_.na_values);
    double v = 0.0;
    bool known = true;
    if (f.kind == ColumnKind::Categorical) {
      out = put_category(f, missing, text, out, known);
      note_category(i, known, text);
    } else if (!missing && !parse_number(text, v))
      not_a_number(f, text);
    else {
      float* at = out;
      out = put_number(f, missing, v, out);
      check_finite(f, at, v);
    }
  }
}

void RowEncoder::encode(const Table& table, int64_t row, float* out) const {
  for (size_t i = 0; i < prep_.features.size(); ++i) {
    const ColumnEncoding& f = prep_.features[i];
    const int64_t col = source_[i];
    const bool missing = table.missing(row, col);
    double v = 0.0;
    bool known = true;
    if (f.kind == ColumnKind::Categorical) {
      out = put_category(f, missing, table.text(row, col), out, known);
      note_category(i, known, table.text(row, col));
    } else if (!missing && !table.number(row, col, v))
      not_a_number(f, table.text(row, col));
    else {
      float* at = out;
      out = put_number(f, missing, v, out);
      check_finite(f, at, v);
    }
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
    throw UnknownClass(
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
  e.unseen_categories = encoder.unseen_categories();
  return e;
}

std::vector<std::string> column_notes(const Preprocessing& prep, int64_t training_rows) {
  std::vector<std::string> notes;
  for (const ColumnEncoding& f : prep.features) {
    const auto values = static_cast<int64_t>(f.categories.size());
    if (f.kind != ColumnKind::Categorical || f.forced || values <= 20 || values * 2 < training_rows)
      continue;
    notes.push_back(fmt::format(
        "column '{}' has {} distinct values in {} training rows: an identifier? Its one-hot "
        "inputs cannot carry to new rows (HINT: --ignore {})",
        f.name, values, training_rows, f.name));
  }
  return notes;
}

EncodedRows encode_held_out(const Preprocessing& prep, const Table& table,
                            const std::vector<int64_t>& rows, const std::string& part) {
  try {
    return encode_rows(prep, table, rows);
  } catch (const UnknownClass& e) {
    throw DataError(
        fmt::format("{} (HINT: only the {} rows hold it, and a model learns its "
                    "training rows' classes: give the training rows some of that "
                    "class; with --data, another --split-seed may)",
                    e.what(), part));
  }
}

}  // namespace minigrad::tabular
