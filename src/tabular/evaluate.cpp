// Evaluation and streaming prediction of tabular models.
#include "minigrad/tabular/evaluate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace minigrad::tabular {

namespace {

// Softmax of one row of logits, in double for the subtraction of the maximum.
void softmax_row(const float* logits, int64_t k, std::vector<double>& p) {
  p.resize(static_cast<size_t>(k));
  const double m = *std::max_element(logits, logits + k);
  double sum = 0.0;
  for (int64_t c = 0; c < k; ++c) sum += p[c] = std::exp(logits[c] - m);
  for (double& v : p) v /= sum;
}

}  // namespace

TabularEvaluation evaluate_model(const TabularModel& m, const EncodedRows& rows,
                                 RegressionLoss loss) {
  const std::vector<float> out = forward_rows(*m.model, rows.x.data(), rows.rows, rows.inputs);
  return evaluate_outputs(m.prep, out, rows.y, loss);
}

TabularEvaluation evaluate_outputs(const Preprocessing& p, const std::vector<float>& out,
                                   const std::vector<float>& y, RegressionLoss loss) {
  TabularEvaluation e;
  e.task = p.task;
  e.rows = static_cast<int64_t>(y.size());
  e.loss = score_outputs(out, y, p.num_outputs(), e.task, loss).loss;
  if (e.task == Task::Regression) {
    std::vector<double> truth, predicted;
    for (int64_t i = 0; i < e.rows; ++i) {  // back to the target's units
      truth.push_back(y[i] * p.target_std + p.target_mean);
      predicted.push_back(out[i] * p.target_std + p.target_mean);
    }
    if (!truth.empty()) e.regression = regression_metrics(truth, predicted);
    return e;
  }
  const int k = static_cast<int>(p.classes.size());
  e.confusion = train::ConfusionMatrix(k);
  std::vector<int> labels, predictions;
  for (int64_t i = 0; i < e.rows; ++i) {
    const float* row = out.data() + i * k;
    predictions.push_back(static_cast<int>(std::max_element(row, row + k) - row));
    labels.push_back(static_cast<int>(y[i]));
  }
  e.confusion.add(labels, predictions);
  e.accuracy = e.confusion.accuracy();
  e.per_class = per_class_metrics(e.confusion, p.classes);
  return e;
}

std::string evaluation_text(const TabularEvaluation& e, const Preprocessing& prep,
                            const std::string& prefix) {
  const std::string lead = prefix.empty() ? "" : prefix + " ";
  if (e.task == Task::Regression)
    return fmt::format("{}RMSE: {:.4f}, MAE: {:.4f}, R²: {:.4f} ({} rows; '{}' in its own units)\n",
                       lead, e.regression.rmse, e.regression.mae, e.regression.r2, e.rows,
                       prep.label);
  std::string out = fmt::format("{}accuracy: {:.4f} ({}/{}), {}loss: {:.4f}\n", lead, e.accuracy,
                                e.confusion.correct(), e.confusion.total(), lead, e.loss);
  if (prep.classes.size() <= 30) {
    out += '\n';
    out += e.confusion.str(prep.classes);
    out += '\n';
  }
  return out + per_class_table(e.per_class);
}

std::string evaluation_json(const TabularEvaluation& e, const std::string& prefix) {
  nlohmann::ordered_json j;
  j["task"] = task_name(e.task);
  j[prefix + "_rows"] = e.rows;
  if (e.task == Task::Regression) {
    j[prefix + "_rmse"] = e.regression.rmse;
    j[prefix + "_mae"] = e.regression.mae;
    j[prefix + "_r2"] = e.regression.r2;
    j[prefix + "_loss"] = e.loss;
    return j.dump();
  }
  j[prefix + "_accuracy"] = e.accuracy;
  j[prefix + "_loss"] = e.loss;
  nlohmann::ordered_json classes = nlohmann::ordered_json::array();
  for (const ClassMetrics& c : e.per_class)
    classes.push_back({{"class", c.name},
                       {"precision", c.precision},
                       {"recall", c.recall},
                       {"f1", c.f1},
                       {"support", c.support}});
  j["per_class"] = std::move(classes);
  return j.dump();
}

std::string csv_cell(const std::string& text) {
  const bool quote = text.find_first_of(",\"\n\r") != std::string::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return text;
  std::string out = "\"";
  for (char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

int64_t predict_csv(const TabularModel& m, const std::string& input, std::ostream& out,
                    const PredictOptions& options) {
  TableReader reader(input, options.read);
  const Preprocessing& p = m.prep;
  const RowEncoder encoder(p, reader.columns(), input, false);
  const int64_t in = p.num_inputs();
  const int64_t k = p.num_outputs();
  std::vector<int64_t> kept;  // every --keep column found before the header is written
  for (const std::string& ref : options.keep)
    kept.push_back(find_column(reader.columns(), ref, "--keep", input));
  for (int64_t c : kept) out << csv_cell(reader.columns()[static_cast<size_t>(c)]) << ',';
  out << "prediction";
  if (options.proba && p.task == Task::Classification)
    for (const std::string& c : p.classes) out << ',' << csv_cell(c);
  out << '\n';
  constexpr int64_t kChunk = 1024;  // rows held at once: memory does not grow with the file
  std::vector<float> x(static_cast<size_t>(kChunk * in));
  std::vector<std::string> cells, kept_cells;  // kept_cells: the kept columns of a chunk's rows
  std::vector<double> prob;
  int64_t total = 0;
  for (bool more = true; more;) {
    int64_t n = 0;
    while (n < kChunk && (more = reader.next(cells))) {
      try {
        encoder.encode(cells, x.data() + n * in);
      } catch (const DataError& err) {
        throw DataError(fmt::format("{}:{}: {}", input, reader.line(),
                                    std::string(err.what()).substr(input.size() + 2)));
      }
      if (n == 0) kept_cells.clear();
      for (int64_t c : kept) kept_cells.push_back(csv_cell(cells[static_cast<size_t>(c)]));
      ++n;
    }
    if (n == 0) break;
    const std::vector<float> y = forward_rows(*m.model, x.data(), n, in);
    for (int64_t r = 0; r < n; ++r) {
      const float* row = y.data() + r * k;
      for (size_t c = 0; c < kept.size(); ++c) out << kept_cells[r * kept.size() + c] << ',';
      if (p.task == Task::Regression) {
        out << fmt::format("{}\n", row[0] * p.target_std + p.target_mean);
        continue;
      }
      out << csv_cell(p.classes[static_cast<size_t>(std::max_element(row, row + k) - row)]);
      if (options.proba) {
        softmax_row(row, k, prob);
        for (double v : prob) out << fmt::format(",{:.6f}", v);
      }
      out << '\n';
    }
    total += n;
  }
  if (options.unseen_categories) *options.unseen_categories = encoder.unseen_categories();
  if (!out)
    throw std::runtime_error("predict: writing the output failed (HINT: is the disk full?)");
  return total;
}

int64_t predict_to_file(const TabularModel& m, const std::string& input, const std::string& path,
                        const PredictOptions& options) {
  const std::string partial = path + ".partial";
  try {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out)
      throw DataError(
          fmt::format("--output: cannot write {} (HINT: does the directory exist?)", path));
    const int64_t rows = predict_csv(m, input, out, options);
    out.close();
    if (!out) throw std::runtime_error(fmt::format("--output: writing {} failed", path));
    std::filesystem::rename(partial, path);
    return rows;
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    throw;
  }
}

}  // namespace minigrad::tabular
